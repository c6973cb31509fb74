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

/** 80 bits as 16 base32 digits: two 40-bit halves, each exact in a double (no BigInt on the hot path). */
function encodeRandom(bytes: Uint8Array): string {
  return encode40(bytes, 0) + encode40(bytes, 5)
}

function encode40(bytes: Uint8Array, from: number): string {
  let value = 0
  for (let i = from; i < from + 5; i++) value = value * 256 + (bytes[i] ?? 0)
  let out = ''
  for (let i = 0; i < 8; i++) {
    out = CROCKFORD[value % 32] + out
    value = Math.floor(value / 32)
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
