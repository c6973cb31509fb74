// Seeds a SQLite database for the benchmark peer: better-auth's schema (made by better-auth's own migrations)
// plus N API keys for one user, inserted directly in big transactions, hashed exactly as the plugin hashes
// when it verifies. Writes a random sample of the raw keys, one per line, for the load generator.
//
//   node bench/peer/seed.mjs --db /tmp/peer.db --count 1000000 --sample 10000 --sample-out /tmp/peer-keys.txt
//
// Options:
//   --db <file>              database file (default: env PEER_DB); must not exist unless --force
//   --force                  delete an existing database file (and its -wal/-shm) first
//   --count <N>              keys to insert (default 1000000)
//   --sample <N>             raw keys to write, drawn at random without replacement (default 10000)
//   --sample-out <file>      where to write them (default: <db>.sample.txt)
//   --expires-in-days <D>    expiresAt = now + D days, so the plugin's expiry check runs (default 365, the
//                            plugin's maxExpiresIn); 0 = no expiry (NULL)
//   --batch <N>              rows per transaction (default 100000)
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { defaultKeyHasher } from '@better-auth/api-key'
import { getMigrations } from 'better-auth/db/migration'
import { API_KEY_PLUGIN_OPTIONS, authOptions, createAuth, openDatabase } from './auth.mjs'

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.PEER_DB },
    force: { type: 'boolean', default: false },
    count: { type: 'string', default: '1000000' },
    sample: { type: 'string', default: '10000' },
    'sample-out': { type: 'string' },
    'expires-in-days': { type: 'string', default: '365' },
    batch: { type: 'string', default: '100000' },
  },
})

const dbPath = args.db
if (!dbPath) fail('--db <file> (or env PEER_DB) is required')
const count = positiveInt('count', args.count)
const sampleSize = Math.min(nonNegativeInt('sample', args.sample), count)
const sampleOut = args['sample-out'] ?? `${dbPath}.sample.txt`
const expiresInDays = nonNegativeInt('expires-in-days', args['expires-in-days'])
const batchSize = positiveInt('batch', args.batch)

// The plugin's key format and hashing (node_modules/@better-auth/api-key/dist/index.mjs, 1.7.5):
//   defaultKeyGenerator: `${prefix || ""}${generateRandomString(defaultKeyLength = 64, "a-z", "A-Z")}`
//   defaultKeyHasher:    base64url(SHA-256(utf8(key))), no padding, of the WHOLE key (prefix included)
//   start:               key.substring(0, startingCharactersConfig.charactersLength = 6)
//   prefix column:       prefix ?? defaultPrefix ?? null  -> NULL (no defaultPrefix configured)
//   id:                  generateId(): 32 chars of [a-zA-Z0-9]
const KEY_LENGTH = 64
const KEY_ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')
const ID_LENGTH = 32
const ID_ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
const START_LENGTH = API_KEY_PLUGIN_OPTIONS.startingCharactersConfig.charactersLength

const hashKey = (key) => createHash('sha256').update(key).digest('base64url')

/** Unbiased random strings over an alphabet, by rejection sampling from a pooled random buffer. */
function randomStringMaker(alphabet, length) {
  const limit = 256 - (256 % alphabet.length)
  const out = Buffer.allocUnsafe(length)
  let pool = randomBytes(1 << 20)
  let at = 0
  return () => {
    let i = 0
    while (i < length) {
      if (at === pool.length) {
        pool = randomBytes(1 << 20)
        at = 0
      }
      const b = pool[at++]
      if (b < limit) out[i++] = alphabet[b % alphabet.length]
    }
    return out.toString('latin1')
  }
}
const newKey = randomStringMaker(KEY_ALPHABET, KEY_LENGTH)
const newId = randomStringMaker(ID_ALPHABET, ID_LENGTH)

// The node:crypto hash must equal the plugin's own hasher, or no seeded key would ever verify.
for (let i = 0; i < 3; i++) {
  const key = newKey()
  if (hashKey(key) !== (await defaultKeyHasher(key))) fail('hash mismatch with the plugin defaultKeyHasher')
}

if (existsSync(dbPath)) {
  if (!args.force) fail(`${dbPath} exists; pass --force to replace it`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true })
}

const t0 = performance.now()
const sqlite = openDatabase(dbPath)

// 1. Schema: better-auth's own migration (the same thing `npx @better-auth/cli migrate` runs for Kysely/SQLite).
const migrations = await getMigrations(authOptions(sqlite))
await migrations.runMigrations()
const tSchema = performance.now()

// Bulk-load settings for this process only (the server reopens with Keymail's pragmas).
sqlite.pragma('synchronous = OFF')
sqlite.pragma('cache_size = -1048576') // 1 GiB
sqlite.pragma('temp_store = MEMORY')

// 2. One user who owns every key (referenceId = user id, the plugin's default `references: "user"`).
const now = new Date()
const nowIso = now.toISOString()
const expiresAt = expiresInDays === 0 ? null : new Date(now.getTime() + expiresInDays * 86_400_000).toISOString()
const userId = newId()
sqlite
  .prepare(
    `insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
     values (?, ?, ?, ?, ?, ?, ?)`,
  )
  .run(userId, 'Bench User', 'bench@example.test', 1, null, nowIso, nowIso)

// 3. The keys. The secondary indexes that the migration made on apikey are dropped during the load and made
// again from their own stored SQL afterwards (sorting once beats 1M random B-tree inserts); the result is the
// same schema the migration produced.
const indexes = sqlite
  .prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name = 'apikey' and sql is not null`)
  .all()
for (const { name } of indexes) sqlite.exec(`drop index "${name}"`)

const insert = sqlite.prepare(
  `insert into "apikey" ("id", "configId", "name", "start", "referenceId", "prefix", "key",
     "refillInterval", "refillAmount", "lastRefillAt", "enabled", "rateLimitEnabled", "rateLimitTimeWindow",
     "rateLimitMax", "requestCount", "remaining", "lastRequest", "expiresAt", "createdAt", "updatedAt",
     "permissions", "metadata")
   values (?, 'default', ?, ?, ?, null, ?, null, null, null, 1, 1, null, null, 0, null, null, ?, ?, ?, null, null)`,
)
// enabled = 1, rateLimitEnabled = 1 (the column default), rateLimitTimeWindow/rateLimitMax = NULL: no per-key
// limit, so verification neither checks nor writes a counter. remaining = NULL: no usage quota to decrement.

// Which positions go to the sample: a random subset of [0, count), flagged in a byte array.
const inSample = new Uint8Array(count)
for (let picked = 0; picked < sampleSize; ) {
  const i = randomInt(count)
  if (!inSample[i]) {
    inSample[i] = 1
    picked++
  }
}
const sample = []

const insertBatch = sqlite.transaction((from, to) => {
  for (let i = from; i < to; i++) {
    const key = newKey()
    if (inSample[i]) sample.push(key)
    insert.run(newId(), `bench-${i}`, key.substring(0, START_LENGTH), userId, hashKey(key), expiresAt, nowIso, nowIso)
  }
})
for (let from = 0; from < count; from += batchSize) {
  insertBatch(from, Math.min(count, from + batchSize))
  if (count >= 200_000) process.stderr.write(`\r  ${Math.min(count, from + batchSize)} / ${count} keys`)
}
if (count >= 200_000) process.stderr.write('\n')
const tInsert = performance.now()

for (const { sql } of indexes) sqlite.exec(sql)
const tIndex = performance.now()

sqlite.pragma('wal_checkpoint(TRUNCATE)')
sqlite.pragma('synchronous = NORMAL')

// Shuffle the sample so consecutive lines are not in insertion order.
for (let i = sample.length - 1; i > 0; i--) {
  const j = randomInt(i + 1)
  ;[sample[i], sample[j]] = [sample[j], sample[i]]
}
writeFileSync(sampleOut, sample.length ? `${sample.join('\n')}\n` : '')

// 4. Self-check through the plugin itself: a sampled key verifies, a one-character change does not.
// (This bumps updatedAt on that one row, as any verification does.)
if (sample.length > 0) {
  const auth = createAuth(sqlite)
  const good = await auth.api.verifyApiKey({ body: { key: sample[0] } })
  if (!good.valid) fail(`self-check: a seeded key did not verify: ${JSON.stringify(good.error)}`)
  const last = sample[0].at(-1)
  const bad = await auth.api.verifyApiKey({ body: { key: `${sample[0].slice(0, -1)}${last === 'a' ? 'b' : 'a'}` } })
  if (bad.valid) fail('self-check: a modified key verified')
}
sqlite.close()
const tEnd = performance.now()

const rows = count.toLocaleString('en-US')
const size = (statSync(dbPath).size / 1024 / 1024).toFixed(1)
const secs = (from, to, digits = 1) => `${((to - from) / 1000).toFixed(digits)} s`
process.stdout.write(
  `seeded ${rows} keys into ${dbPath} (${size} MiB) in ${secs(t0, tEnd)}\n` +
    `  schema ${secs(t0, tSchema, 2)}, rows ${secs(tSchema, tInsert)}, indexes ${secs(tInsert, tIndex)}, ` +
    `checkpoint+self-check ${secs(tIndex, tEnd)}\n` +
    `  expiresAt ${expiresAt ?? 'none'}; ${sample.length} sampled raw keys in ${sampleOut}\n`,
)

function positiveInt(name, raw) {
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${raw}`)
  return n
}
function nonNegativeInt(name, raw) {
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${raw}`)
  return n
}
function fail(message) {
  process.stderr.write(`seed: ${message}\n`)
  process.exit(1)
}
