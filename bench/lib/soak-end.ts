import { createReadStream, existsSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { ServerUnderTest } from './processes.ts'
import type { SoakRun } from './soak-report.ts'

/** What the soak left behind: keys active and messages stored (from the API's list totals), database size, errors. */
export async function readEndState(
  server: ServerUnderTest,
  key: string,
  database: string,
  logFile: string,
): Promise<SoakRun['end']> {
  return {
    activeKeys: await listTotal(server, key, '/v1/api-keys?limit=1'),
    messages: await listTotal(server, key, '/v1/messages?limit=1'),
    databaseBytes: fileBytes(database) + fileBytes(`${database}-wal`),
    serverErrorLines: await serverErrorLines(logFile),
  }
}

/** A list's `total`, or null when the server cannot say (it may have died: the report is still written). */
async function listTotal(server: ServerUnderTest, key: string, path: string): Promise<number | null> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(10_000),
  }).catch(() => null)
  if (response?.status !== 200) return null
  return ((await response.json()) as { total: number }).total
}

/** The `msg` of each error-level line (pino levels 50 and 60) of the server's log, streamed: the log is large. */
async function serverErrorLines(logFile: string): Promise<string[]> {
  const found: string[] = []
  const lines = createInterface({ input: createReadStream(logFile), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (!/"level":(50|60)/.test(line)) continue
    try {
      const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } }
      found.push(`${parsed.msg ?? ''} ${parsed.err?.message ?? ''}`.trim().slice(0, 200))
    } catch {
      found.push(line.slice(0, 200))
    }
  }
  return found
}

function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}
