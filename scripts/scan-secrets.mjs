// Finds, in the given files, every string that is one of Keymail's secrets:
// - a well-formed Keymail API key with a valid checksum (a real key, not a deliberately malformed test value);
// - a webhook signing secret (`whsec_` + base64 of 32 bytes: the redacted form `whsec_…abcd` does not match);
// - a private key: a PEM armour line (`-----BEGIN PRIVATE KEY-----`, `RSA PRIVATE KEY`, ...), or the start of the
//   base64 body of an RSA private key without its armour (PKCS#8 or PKCS#1 DER: a SEQUENCE, then version 0), which
//   is what Keymail's DKIM keys are. A public key's base64 (SPKI, as in DNS records) does not match.
// Used after the test suite on every log it wrote. Admin passwords have no recognisable shape: the
// secrets-at-rest test (test/security/secrets-at-rest.test.ts) checks those against the values it created.
import { readFileSync } from 'node:fs'
import { crc32 } from 'node:zlib'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const KEY = /\b[a-z]{2,8}_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\b/g
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/]{43}=/g
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g
const RSA_PRIVATE_KEY_BODY = /MII[A-Za-z0-9+/]{3}IBA(?:DAN|AK)[A-Za-z0-9+/]{20}/g

function checksum(body) {
  let value = crc32(body)
  let out = ''
  for (let i = 0; i < 6; i++) {
    out = BASE62[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

export function isRealKey(candidate) {
  return checksum(candidate.slice(0, -6)) === candidate.slice(-6)
}

export function scanForKeys(files) {
  const leaks = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(KEY)) {
      if (isRealKey(match[0])) leaks.push({ file, redacted: `${match[0].slice(0, 20)}_…${match[0].slice(-4)}` })
    }
    for (const match of text.matchAll(WEBHOOK_SECRET)) leaks.push({ file, redacted: `whsec_…${match[0].slice(-4)}` })
    for (const match of text.matchAll(PEM_PRIVATE_KEY)) leaks.push({ file, redacted: match[0] })
    for (const match of text.matchAll(RSA_PRIVATE_KEY_BODY)) {
      leaks.push({ file, redacted: `${match[0].slice(0, 12)}… (base64 of an RSA private key)` })
    }
  }
  return leaks
}
