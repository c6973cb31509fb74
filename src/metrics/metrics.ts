import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** What the verifier's cache reports (plain counters on the hot path; read only when /metrics is scraped). */
export interface CacheStats {
  hits: number
  misses: number
  size: number
}

/**
 * Prometheus metrics (`GET /metrics`, enabled by KEYMAIL_METRICS_TOKEN): requests by route and status with a latency
 * histogram, authentication failures by code, refusals by the failure and per-key rate limits, and the key cache.
 * Later capabilities add their own (jobs, deliveries).
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly requests: Histogram<'method' | 'route' | 'status'>
  private readonly authFailures: Counter<'code'>
  private readonly authBlocked: Counter
  private readonly keyRateLimited: Counter

  constructor(cacheStats: () => CacheStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'keymail_' })
    this.requests = new Histogram({
      name: 'keymail_http_request_duration_seconds',
      help: 'HTTP requests by method, route and status, with their latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    })
    this.authFailures = new Counter({
      name: 'keymail_auth_failures_total',
      help: 'Requests refused by authentication, by error code',
      labelNames: ['code'],
      registers: [this.registry],
    })
    this.authBlocked = new Counter({
      name: 'keymail_auth_blocked_total',
      help: 'Authentication attempts refused unchecked (429) because their address had too many recent failures',
      registers: [this.registry],
    })
    this.keyRateLimited = new Counter({
      name: 'keymail_key_rate_limited_total',
      help: 'Requests refused (429) because their key was over its rate_limit',
      registers: [this.registry],
    })
    const cacheGauge = (name: string, help: string, read: (stats: CacheStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(cacheStats()))
        },
      })
    cacheGauge('keymail_key_cache_hits', 'Key look-ups answered from the verifier cache since start', (s) => s.hits)
    cacheGauge('keymail_key_cache_misses', 'Key look-ups that read the database since start', (s) => s.misses)
    cacheGauge('keymail_key_cache_entries', 'Keys currently in the verifier cache', (s) => s.size)
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status: String(status) }, seconds)
  }

  countAuthFailure(code: string): void {
    this.authFailures.inc({ code })
  }

  countAuthBlocked(): void {
    this.authBlocked.inc()
  }

  countKeyRateLimited(): void {
    this.keyRateLimited.inc()
  }

  /** The failure limiter's tracked addresses, read at scrape time (its memory is bounded; this shows how full). */
  watchAuthFailureAddresses(read: () => number): void {
    new Gauge({
      name: 'keymail_auth_failure_addresses',
      help: 'Client addresses (IPv6: /64 networks) with recent authentication failures, tracked by this node',
      registers: [this.registry],
      collect() {
        this.set(read())
      },
    })
  }
}
