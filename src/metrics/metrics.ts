import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** What the verifier's cache reports (plain counters on the hot path; read only when /metrics is scraped). */
export interface CacheStats {
  hits: number
  misses: number
  size: number
}

/**
 * Prometheus metrics (`GET /metrics`, enabled by KEYMAIL_METRICS_TOKEN): requests by route and status with a latency
 * histogram, authentication failures by code, and the key cache. Later capabilities add their own (jobs, deliveries).
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly requests: Histogram<'method' | 'route' | 'status'>
  private readonly authFailures: Counter<'code'>

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
}
