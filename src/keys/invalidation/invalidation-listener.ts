import pg from 'pg'
import type { Db, Dialect } from '../../db/database.ts'
import { decodeTarget, type InvalidationHandler, NOTIFY_CHANNEL } from './invalidation.ts'
import {
  invalidationsAfter,
  latestInvalidationSeq,
  pruneInvalidations,
  sqliteDataVersion,
} from './invalidations.repository.ts'

/**
 * Delivers invalidations made by other processes to this one: LISTEN on PostgreSQL, a cheap change check on SQLite.
 * `onCoherence(false)` tells the verifier to stop trusting its cache (listener lost); `true` when it is back.
 */
export interface InvalidationListener {
  stop(): Promise<void>
}

export interface ListenerOptions {
  db: Db
  dialect: Dialect
  postgresUrl: string | null
  pollMs: number
  onInvalidate: InvalidationHandler
  onCoherence: (coherent: boolean) => void
  onError: (error: unknown) => void
}

const PRUNE_EVERY_MS = 60_000
const KEEP_FOR_MS = 3_600_000

export async function startInvalidationListener(options: ListenerOptions): Promise<InvalidationListener> {
  const pruneTimer = setInterval(() => {
    pruneInvalidations(options.db, new Date(Date.now() - KEEP_FOR_MS).toISOString()).catch(options.onError)
  }, PRUNE_EVERY_MS)
  pruneTimer.unref()
  const listener =
    options.dialect === 'postgres' && options.postgresUrl
      ? await listenPostgres(options.postgresUrl, options)
      : await pollSqlite(options)
  return {
    stop: async () => {
      clearInterval(pruneTimer)
      await listener.stop()
    },
  }
}

async function pollSqlite(options: ListenerOptions): Promise<InvalidationListener> {
  let seq = await latestInvalidationSeq(options.db)
  let version = await sqliteDataVersion(options.db)
  let polling = false
  const timer = setInterval(async () => {
    if (polling) return
    polling = true
    try {
      const current = await sqliteDataVersion(options.db)
      if (current === version) return
      version = current
      const rows = await invalidationsAfter(options.db, seq)
      for (const row of rows) options.onInvalidate({ type: row.type, id: row.id })
      seq = rows.at(-1)?.seq ?? seq
    } catch (error) {
      options.onError(error)
    } finally {
      polling = false
    }
  }, options.pollMs)
  timer.unref()
  return { stop: async () => clearInterval(timer) }
}

/** One dedicated connection (LISTEN cannot use a pooled one); reconnects with backoff, dropping the cache meanwhile. */
async function listenPostgres(url: string, options: ListenerOptions): Promise<InvalidationListener> {
  let stopped = false
  let client: pg.Client | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let backoffMs = 250

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url })
    next.on('notification', (message) => {
      if (message.channel === NOTIFY_CHANNEL) options.onInvalidate(decodeTarget(message.payload ?? ''))
    })
    next.on('error', (error) => lost(next, error))
    next.on('end', () => lost(next, null))
    await next.connect()
    await next.query(`LISTEN ${NOTIFY_CHANNEL}`)
    client = next
    backoffMs = 250
    // Anything committed while we were not listening is unknown: start from an empty cache.
    options.onInvalidate('all')
    options.onCoherence(true)
  }

  const lost = (which: pg.Client, error: unknown) => {
    if (stopped || client !== which) return
    client = null
    if (error) options.onError(error)
    options.onCoherence(false)
    options.onInvalidate('all')
    scheduleReconnect()
  }

  const scheduleReconnect = () => {
    if (stopped) return
    retryTimer = setTimeout(() => {
      connect().catch((error) => {
        options.onError(error)
        backoffMs = Math.min(backoffMs * 2, 30_000)
        scheduleReconnect()
      })
    }, backoffMs)
    retryTimer.unref()
  }

  await connect()
  return {
    stop: async () => {
      stopped = true
      if (retryTimer) clearTimeout(retryTimer)
      const current = client
      client = null
      await current?.end().catch(() => {})
    },
  }
}
