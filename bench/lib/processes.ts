import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')

export interface ServerUnderTest {
  name: string
  url: string
  pid: number
  /** User + system CPU seconds the process has used so far (from /proc). */
  cpuSeconds(): number
  /** Resident set size in bytes, now. */
  rssBytes(): number
  stop(): Promise<void>
}

const CLOCK_TICKS = 100

/**
 * Starts a server as its own process on a free loopback port, with its output going to a log file (so the bench
 * process does no work reading it), and waits for its "listening" line.
 */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  cwd = ROOT,
  /** What the log says once the process is ready; its first group, if any, is the URL. */
  ready = /(?:listening|Server listening at) (http:\/\/127\.0\.0\.1:\d+)/,
): Promise<ServerUnderTest> {
  const out = openSync(logFile, 'w')
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  const url = await waitForReady(child, logFile, ready)
  const pid = child.pid as number
  return {
    name,
    url,
    pid,
    cpuSeconds: () => cpuSecondsOf(pid),
    rssBytes: () => rssOf(pid),
    stop: () => stopProcess(child),
  }
}

async function waitForReady(child: ChildProcess, logFile: string, ready: RegExp): Promise<string> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    const match = ready.exec(readFileSync(logFile, 'utf8'))
    if (match) return match[1] ?? ''
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`server did not start in 120 s:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
}

function cpuSecondsOf(pid: number): number {
  // Fields after the command name (which may contain spaces): utime is field 14, stime field 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) * 1024
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(killer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Runs a command to completion and returns its stdout; throws with its stderr on failure. */
export function runToCompletion(args: string[], env: Record<string, string>, stdoutFile?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe'
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', out, 'pipe'],
    })
    if (typeof out === 'number') closeSync(out)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')} failed:\n${stderr}`)),
    )
  })
}
