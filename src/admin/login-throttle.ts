import type { Clock } from '../clock.ts'

/** How many failed sign-ins are allowed per window, per client IP and per account. */
export interface LoginLimits {
  perIp: number
  perAccount: number
  windowSeconds: number
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = Object.freeze({ perIp: 20, perAccount: 5, windowSeconds: 15 * 60 })

/** Entries kept per kind before ended windows are dropped: memory stays bounded whoever is guessing. */
const MAX_ENTRIES = 50_000

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; by: 'ip' | 'account' }

/**
 * Failed admin sign-ins, counted in fixed windows per IP and per account (email). A blocked sign-in is refused
 * before the password is checked, so guessing stops even with the right password. Counts live in this process:
 * with several nodes each allows the limit (an attacker gains at most a factor of the node count).
 */
export class LoginThrottle {
  private readonly byIp = new Map<string, { start: number; failures: number }>()
  private readonly byAccount = new Map<string, { start: number; failures: number }>()

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  check(ip: string, account: string): ThrottleVerdict {
    const now = this.clock.now().getTime()
    const ipWait = this.wait(this.byIp.get(ip), this.limits.perIp, now)
    if (ipWait > 0) return { allowed: false, retryAfterSeconds: ipWait, by: 'ip' }
    const accountWait = this.wait(this.byAccount.get(account), this.limits.perAccount, now)
    if (accountWait > 0) return { allowed: false, retryAfterSeconds: accountWait, by: 'account' }
    return { allowed: true }
  }

  recordFailure(ip: string, account: string): void {
    const now = this.clock.now().getTime()
    this.count(this.byIp, ip, now)
    this.count(this.byAccount, account, now)
  }

  /** A successful sign-in clears the account's count (not the IP's: one good password does not vouch for others). */
  recordSuccess(account: string): void {
    this.byAccount.delete(account)
  }

  private wait(entry: { start: number; failures: number } | undefined, limit: number, now: number): number {
    const windowMs = this.limits.windowSeconds * 1000
    if (!entry || entry.failures < limit || entry.start + windowMs <= now) return 0
    return Math.max(1, Math.ceil((entry.start + windowMs - now) / 1000))
  }

  private count(map: Map<string, { start: number; failures: number }>, id: string, now: number): void {
    const windowMs = this.limits.windowSeconds * 1000
    const entry = map.get(id)
    if (entry && entry.start + windowMs > now) {
      entry.failures++
      return
    }
    if (map.size >= MAX_ENTRIES) {
      for (const [key, value] of map) if (value.start + windowMs <= now) map.delete(key)
      if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string)
    }
    map.set(id, { start: now, failures: 1 })
  }
}
