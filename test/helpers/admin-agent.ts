import type { TestApp } from './test-app.ts'

export interface PageResponse {
  status: number
  body: string
  headers: Record<string, string | string[] | number | undefined>
  /** Where a redirect points, if it is one. */
  location: string | undefined
}

/** A user of the admin UI over `inject`: keeps cookies like a browser and reads form tokens out of pages. */
export class AdminAgent {
  readonly cookies = new Map<string, string>()
  lastPage = ''

  constructor(
    private readonly t: TestApp,
    private readonly remoteAddress = '127.0.0.1',
  ) {}

  get(url: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.send('GET', url, undefined, headers)
  }

  /** Posts a form; `_csrf` is taken from the last page seen unless the fields give one. */
  postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const form = new URLSearchParams()
    const token = csrfTokenIn(this.lastPage)
    if (token && !('_csrf' in fields)) form.append('_csrf', token)
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, item)
    }
    return this.send('POST', url, form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    })
  }

  async signIn(email: string, password: string): Promise<PageResponse> {
    await this.get('/admin/login/')
    return this.postForm('/admin/login/', { email, password })
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await this.t.app.inject({
      method,
      url,
      payload,
      remoteAddress: this.remoteAddress,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    })
    for (const set of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const cleared = set.value === '' || set.maxAge === 0 || (set.expires && set.expires.getTime() < Date.now())
      if (cleared) this.cookies.delete(set.name)
      else this.cookies.set(set.name, set.value)
    }
    if (response.statusCode === 200 || response.statusCode >= 400 || response.statusCode === 201) {
      this.lastPage = response.body
    }
    const location = response.headers.location
    return {
      status: response.statusCode,
      body: response.body,
      headers: response.headers,
      location: typeof location === 'string' ? location : undefined,
    }
  }
}

export function csrfTokenIn(page: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(page)?.[1]
}

/** The hidden once-only id of the Create API Key form on a client page. */
export function formIdIn(page: string): string | undefined {
  return /name="form_id" value="([^"]+)"/.exec(page)?.[1]
}
