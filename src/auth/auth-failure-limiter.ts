import type { Clock } from '../clock.ts'
import { formatCidr, parseCidr, unmapIpv4 } from './ip-allowlist.ts'

/** One minute: `KEYMAIL_AUTH_FAILURES_PER_MINUTE` counts failures in windows this long. */
export const FAILURE_WINDOW_MS = 60_000
/**
 * Addresses tracked at once; past it the one that failed least recently is forgotten. Measured full: 8 MB of heap
 * with IPv4 addresses, 13 MB with IPv6 networks.
 */
export const FAILURE_TRACKING_CAPACITY = 50_000

interface FailureWindow {
  /** When this address's window began (its first failure in it), on the clock's monotonic scale. */
  start: number
  failures: number
}

/**
 * Slows down guessing keys: failed authentications are counted per client address in fixed one-minute windows that
 * begin with an address's first failure. Once an address has `limit` failures in its window, every authentication
 * attempt from it — with a valid key too — is refused until the window ends. Refusing only failures would let an
 * attacker who holds one valid key keep probing between its requests; refusing everything costs them the window.
 *
 * IPv6 addresses are counted per /64, the block one subscriber usually gets, so an attacker cannot step through the
 * addresses of one network to start fresh. Counts live in this process (per node), in a map of at most
 * FAILURE_TRACKING_CAPACITY addresses kept in least-recently-failed order.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, FailureWindow>()

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly capacity = FAILURE_TRACKING_CAPACITY,
  ) {}

  /** Seconds until `ip` may authenticate again; 0 when it may now. Costs nothing while no address has failed. */
  blockedFor(ip: string): number {
    if (this.windows.size === 0) return 0
    const group = addressGroup(ip)
    const window = this.windows.get(group)
    if (!window) return 0
    const left = this.secondsLeft(window, this.clock.monotonic())
    if (left === 0) this.windows.delete(group)
    return window.failures >= this.limit ? left : 0
  }

  /**
   * Counts a failure of `ip`. `overLimit` when it already had `limit` failures in its window: requests that were
   * in flight when the address was blocked are answered like blocked ones, so at most `limit` failures per window
   * are ever answered as such. `justBlocked` for the failure that reaches the limit (logged once per window).
   */
  recordFailure(ip: string): { overLimit: boolean; justBlocked: boolean; retryAfter: number } {
    const group = addressGroup(ip)
    const now = this.clock.monotonic()
    let window = this.windows.get(group)
    if (!window || this.secondsLeft(window, now) === 0) window = { start: now, failures: 0 }
    window.failures++
    // Re-inserted, so the map's first entry is always the address that failed least recently.
    this.windows.delete(group)
    this.windows.set(group, window)
    if (this.windows.size > this.capacity) this.windows.delete(this.windows.keys().next().value as string)
    return {
      overLimit: window.failures > this.limit,
      justBlocked: window.failures === this.limit,
      retryAfter: this.secondsLeft(window, now),
    }
  }

  /** Addresses currently tracked (for metrics). */
  size(): number {
    return this.windows.size
  }

  private secondsLeft(window: FailureWindow, now: number): number {
    return Math.max(0, Math.ceil((window.start + FAILURE_WINDOW_MS - now) / 1000))
  }
}

/** What failures are counted by: an IPv4 address (also when IPv4-mapped), or an IPv6 address's /64 network. */
export function addressGroup(ip: string): string {
  if (!ip.includes(':')) return ip
  const address = unmapIpv4(ip)
  if (!address.includes(':')) return address
  const network = parseCidr(`${address}/64`)
  return network ? formatCidr(network) : address
}
