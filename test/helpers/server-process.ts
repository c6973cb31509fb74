import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { collectOutput, spawnKeymail } from './cli.ts'

export interface ServerProcess {
  url: string
  /** Everything the process wrote to stdout so far (banner and JSON log lines). */
  output(): string
  /** SIGTERM and wait for a graceful exit; resolves to the exit code. */
  stop(): Promise<number | null>
}

/** Starts `keymail serve` as a real child process on a free loopback port and waits until it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawnKeymail(['serve'], { PORT: '0', LOG_LEVEL: 'info', ...env })
  const output = collectOutput(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`server did not start in 30 s\n${output.stdout()}\n${output.stderr()}`)),
      30_000,
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    let started = false
    child.on('exit', (code) => {
      if (!started) fail(new Error(`server exited with ${code}\n${output.stdout()}\n${output.stderr()}`))
    })
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.stdout())
      if (match) {
        clearTimeout(timer)
        started = true
        resolve({ url: match[1] as string, output: output.stdout, stop: () => stop(child) })
      }
    })
  })
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', (code) => {
      clearTimeout(killer)
      resolve(code)
    })
    child.kill('SIGTERM')
  })
}
