import { randomBytes } from 'node:crypto'

/** Type prefixes of every id Keymail issues (api.md "Conventions"). */
export type IdPrefix =
  | 'org'
  | 'cli'
  | 'key'
  | 'evt'
  | 'usr'
  | 'aud'
  | 'dom'
  | 'tpl'
  | 'con'
  | 'msg'
  | 'whk'
  | 'snd'
  | 'job'
  | 'dlv'
  | 'chg'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
let lastTime = -1
let lastRandom: Uint8Array = new Uint8Array(10)

/**
 * `<prefix>_<ULID>`: time-ordered (so "newest first" is a plain sort) and generated in the app, so both engines
 * behave the same. Within one millisecond the random part is incremented, keeping ids from one process ordered.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = increment(lastRandom)
  } else {
    lastTime = now
    lastRandom = new Uint8Array(randomBytes(10))
  }
  return `${prefix}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`
}

function encodeTime(time: number): string {
  let out = ''
  let rest = time
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  return out
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte)
  let out = ''
  for (let i = 0; i < 16; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out
    bits >>= 5n
  }
  return out
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = new Uint8Array(bytes)
  for (let i = next.length - 1; i >= 0; i--) {
    next[i] = ((next[i] ?? 0) + 1) & 0xff
    if (next[i] !== 0) break
  }
  return next
}
