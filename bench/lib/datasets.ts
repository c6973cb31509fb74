import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runToCompletion } from './processes.ts'

export const DATA_DIR = join(ROOT, 'bench', '.data')
const KEYS_PER_CLIENT = 100_000
const CLI = ['--import', 'tsx', 'src/cli.ts']

export interface Dataset {
  /** DATABASE_URL of the loaded database. */
  url: string
  /** Every raw key created, in creation order. */
  keys: string[]
  seconds: number
}

/**
 * Loads `count` sending-scope keys through the CLI's bulk path (`keymail key create --count`), 100,000 per client,
 * into the database at `url`. SQLite datasets are kept under bench/.data and reused by later runs.
 */
export async function loadKeys(url: string, count: number, workDir: string): Promise<Dataset> {
  const keysFile = join(workDir, 'keys.txt')
  const marker = join(workDir, 'ready.json')
  if (existsSync(marker)) {
    const { seconds } = JSON.parse(readFileSync(marker, 'utf8')) as { seconds: number }
    return { url, keys: readKeys(keysFile), seconds }
  }
  const env = { DATABASE_URL: url, KEYMAIL_DATA_DIR: workDir, KEYMAIL_MAX_KEYS_PER_CLIENT: String(KEYS_PER_CLIENT) }
  const started = performance.now()
  await runToCompletion([...CLI, 'org', 'create', 'bench'], env)
  const parts: string[] = []
  for (let client = 1; client * KEYS_PER_CLIENT - KEYS_PER_CLIENT < count; client++) {
    const size = Math.min(KEYS_PER_CLIENT, count - (client - 1) * KEYS_PER_CLIENT)
    await runToCompletion([...CLI, 'client', 'create', `bench-${client}`, '--org', 'bench'], env)
    const part = join(workDir, `keys-${client}.txt`)
    const args = [
      'key',
      'create',
      '--client',
      `bench-${client}`,
      '--name',
      'load',
      '--scope',
      'sending',
      '--count',
      String(size),
    ]
    await runToCompletion([...CLI, ...args], env, part)
    parts.push(part)
  }
  const seconds = (performance.now() - started) / 1000
  writeFileSync(keysFile, parts.map((part) => readFileSync(part, 'utf8')).join(''))
  for (const part of parts) rmSync(part)
  writeFileSync(marker, JSON.stringify({ count, seconds }))
  return { url, keys: readKeys(keysFile), seconds }
}

export function sqliteWorkDir(count: number): string {
  const dir = join(DATA_DIR, `sqlite-${count}`)
  if (!existsSync(join(dir, 'ready.json'))) rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

function readKeys(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
}

/** `n` distinct entries drawn at random (a partial Fisher-Yates shuffle of a copy). */
export function sample<T>(items: readonly T[], n: number): T[] {
  const copy = [...items]
  const size = Math.min(n, copy.length)
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy.slice(0, size)
}
