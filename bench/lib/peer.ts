import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA_DIR } from './datasets.ts'
import { ROOT, runToCompletion, type ServerUnderTest, startServer } from './processes.ts'

const PEER_DIR = join(ROOT, 'bench', 'peer')

/** The peer is a dependency of the bench only: installed into bench/peer on first use, from its lockfile. */
function installPeer(): Promise<void> {
  process.stdout.write('installing the better-auth peer into bench/peer (first run only)\n')
  return new Promise((resolve) => {
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER_DIR, stdio: 'ignore' })
    child.on('exit', () => resolve())
    child.on('error', () => resolve())
  })
}

/**
 * better-auth's API-key plugin over SQLite with `count` keys (seeded once per count and kept under bench/.data).
 * Returns null when bench/peer could not be installed.
 */
export async function startPeer(
  count: number,
  logFile: string,
): Promise<{ server: ServerUnderTest; keys: string[] } | null> {
  if (!existsSync(join(PEER_DIR, 'node_modules', 'better-auth'))) await installPeer()
  if (!existsSync(join(PEER_DIR, 'node_modules', 'better-auth'))) return null
  const db = join(DATA_DIR, `peer-${count}.sqlite`)
  const sampleFile = join(DATA_DIR, `peer-${count}.keys.txt`)
  if (!existsSync(sampleFile)) {
    const args = [join(PEER_DIR, 'seed.mjs'), '--count', String(count), '--sample', '10000', '--sample-out', sampleFile]
    await runToCompletion(args, { PEER_DB: db })
  }
  const server = await startServer('peer', [join(PEER_DIR, 'server.mjs')], { PEER_DB: db }, logFile, PEER_DIR)
  return { server, keys: readFileSync(sampleFile, 'utf8').split('\n').filter(Boolean) }
}
