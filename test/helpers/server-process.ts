import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { collectOutput, spawnKeymail } from './cli.ts'

export interface KeymailProcess {
  /** What the ready line captured: the listening URL for `serve`, '' for `worker`. */
  url: string
  /** Everything the process wrote to stdout so far (banner and JSON log lines). */
  output(): string
  /** SIGTERM and wait for a graceful exit; resolves to the exit code. */
  stop(): Promise<number | null>
  /** Sends `signal` (SIGKILL for a crash); resolves with the exit code and how long the exit took. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }>
}

export type ServerProcess = KeymailProcess

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/

/** Starts `keymail serve` as a real child process on a free loopback port and waits until it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startKeymailProcess(['serve'], { PORT: '0', ...env }, LISTENING)
}

/** `keymail worker` as its own process, once it says it has started (its signal handlers are installed by then). */
export function startWorkerProcess(env: Record<string, string>): Promise<KeymailProcess> {
  return startKeymailProcess(['worker'], env, /delivery worker started/)
}

/** Any long-running `keymail` command, once its stdout matches `ready`. */
function startKeymailProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<KeymailProcess> {
  const child = spawnKeymail(args, { LOG_LEVEL: 'info', ...env })
  const output = collectOutput(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`keymail ${args[0]} did not start in 30 s\n${output.stdout()}\n${output.stderr()}`)),
      30_000,
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    let started = false
    child.on('exit', (code) => {
      if (!started) fail(new Error(`keymail ${args[0]} exited with ${code}\n${output.stdout()}\n${output.stderr()}`))
    })
    const onOutput = () => {
      const match = ready.exec(output.stdout())
      if (!match) return
      clearTimeout(timer)
      started = true
      child.stdout.off('data', onOutput)
      resolve({
        url: match[1] ?? '',
        output: output.stdout,
        stop: async () => (await signalAndWait(child, 'SIGTERM')).code,
        kill: (signal) => signalAndWait(child, signal),
      })
    }
    child.stdout.on('data', onOutput)
  })
}

/** Sends `signal` and waits for the exit (SIGKILL after 15 s, so a test never hangs on a stuck process). */
function signalAndWait(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals) {
  const started = performance.now()
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, ms: 0 })
  return new Promise<{ code: number | null; ms: number }>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', (code) => {
      clearTimeout(killer)
      resolve({ code, ms: performance.now() - started })
    })
    child.kill(signal)
  })
}
