/**
 * Resolves on the first SIGINT or SIGTERM; a second signal exits at once (an operator who presses Ctrl-C twice
 * means it). Handlers are installed when this is called, so call it before starting anything.
 */
export function shutdownSignal(): Promise<void> {
  let signalled = false
  return new Promise((resolve) => {
    const onSignal = () => {
      if (signalled) process.exit(1)
      signalled = true
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
