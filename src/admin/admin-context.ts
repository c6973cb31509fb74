import type { Services } from '../app.ts'
import type { AdminReads } from './admin-reads.ts'
import type { LoginThrottle } from './login-throttle.ts'
import type { AdminSessions } from './sessions.ts'

/** What every admin page plugin receives: the app's services and the admin UI's own session machinery. */
export interface AdminContext {
  services: Services
  reads: AdminReads
  sessions: AdminSessions
  throttle: LoginThrottle
  cookies: AdminCookies
}

export interface AdminCookies {
  /** `__Host-` names when served over https: the browser then refuses them from any other origin or path. */
  session: string
  login: string
  options: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/' }
}

export function adminCookies(publicUrl: string): AdminCookies {
  const secure = publicUrl.startsWith('https:')
  const prefix = secure ? '__Host-' : ''
  return {
    session: `${prefix}keymail_session`,
    login: `${prefix}keymail_login`,
    options: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
  }
}
