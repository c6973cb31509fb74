/** The soak test's traffic: 90 % authenticated reads, 9 % sends, 1 % key create/revoke, in exact proportions. */

export interface MixRequest {
  kind: MixKind
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  /** The raw key for the Authorization header; kept in memory only. */
  key: string
  body?: string
  /** The one status that counts as success; anything else is an error. */
  expect: number
  /** Called with the response body when `expect` was met (only set where the body is needed). */
  onBody?: (body: string) => void
}

export const MIX_KINDS = ['whoami', 'list-keys', 'list-messages', 'send', 'create-key', 'revoke-key'] as const
export type MixKind = (typeof MIX_KINDS)[number]

type Slot = 'whoami' | 'list-keys' | 'list-messages' | 'send' | 'lifecycle'

/** Out of every 100 requests: 30 + 30 + 30 reads, 9 sends, 1 lifecycle step (a create, or the revoke of one). */
const PER_HUNDRED: Record<Slot, number> = { whoami: 30, 'list-keys': 30, 'list-messages': 30, send: 9, lifecycle: 1 }

export interface Mix {
  next(): MixRequest
  /** A send alone, outside the proportions: for filling the messages table before the maximum is measured. */
  send(): MixRequest
  /** Ids of keys created by the mix and not yet revoked (revoked by the next lifecycle steps, or by `drain`). */
  pendingRevocations(): string[]
  /** Requests revoking every pending key, for the end of the run. */
  drain(): MixRequest[]
}

export function createMix(keys: readonly string[], fromAddress: string): Mix {
  if (keys.length === 0) throw new Error('the soak mix needs at least one key')
  const cycle = shuffled(Object.entries(PER_HUNDRED).flatMap(([slot, n]) => Array<Slot>(n).fill(slot as Slot)))
  const pending: string[] = []
  let position = 0
  let created = 0
  const pickKey = () => keys[Math.floor(Math.random() * keys.length)] as string
  const sendBody = JSON.stringify({
    personalizations: [{ to: [{ email: 'reader@example.org' }] }],
    from: { email: fromAddress, name: 'Soak' },
    subject: 'Soak test',
    content: [{ type: 'text/plain', value: 'A small message from the soak test.' }],
  })
  const revoke = (id: string): MixRequest => ({
    kind: 'revoke-key',
    method: 'DELETE',
    path: `/v1/api-keys/${encodeURIComponent(id)}`,
    key: pickKey(),
    expect: 200,
  })
  const lifecycle = (): MixRequest => {
    const id = pending.shift()
    if (id !== undefined) return revoke(id)
    created++
    return {
      kind: 'create-key',
      method: 'POST',
      path: '/v1/api-keys',
      key: pickKey(),
      // Unique among the client's active keys; narrower than the pool keys (a key may only create narrower ones).
      body: JSON.stringify({ name: `soak-${process.pid}-${created}`, scope: 'sending' }),
      expect: 201,
      // Only the id is kept: the new raw key in the response is dropped with the body.
      onBody: (body) => pending.push((JSON.parse(body) as { id: string }).id),
    }
  }
  const read = (kind: MixKind, path: string): MixRequest => ({ kind, method: 'GET', path, key: pickKey(), expect: 200 })
  const send = (): MixRequest => ({
    kind: 'send',
    method: 'POST',
    path: '/v1/send',
    key: pickKey(),
    body: sendBody,
    expect: 202,
  })
  return {
    next() {
      const slot = cycle[position++ % cycle.length] as Slot
      switch (slot) {
        case 'whoami':
          return read('whoami', '/v1/whoami')
        case 'list-keys':
          return read('list-keys', '/v1/api-keys?limit=10')
        case 'list-messages':
          return read('list-messages', '/v1/messages?limit=10')
        case 'send':
          return send()
        case 'lifecycle':
          return lifecycle()
      }
    },
    send,
    pendingRevocations: () => [...pending],
    drain: () => pending.splice(0).map(revoke),
  }
}

/** Fisher-Yates over a copy, so the slots of one hundred are spread rather than in runs. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}
