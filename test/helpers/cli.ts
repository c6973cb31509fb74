import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { join } from 'node:path'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

const ROOT = join(import.meta.dirname, '..', '..')

/** `keymail <args>` as its own process, exactly as a user runs it (through tsx), with only the given environment. */
export function spawnKeymail(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
  })
}

/** Everything a child process writes, gathered as it arrives. */
export function collectOutput(child: ChildProcessWithoutNullStreams): { stdout(): string; stderr(): string } {
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  return { stdout: () => stdout, stderr: () => stderr }
}

/** Runs one CLI command to completion, feeding `stdin` to it. */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnKeymail(args, env)
    const output = collectOutput(child)
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }))
    child.stdin.end(stdin ?? '')
  })
}
