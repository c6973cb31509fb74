import { cliActor } from '../../src/audit/audit.ts'
import { AdminAgent } from './admin-agent.ts'
import type { TestApp } from './test-app.ts'

export const ADMIN_PASSWORD = 'correct horse battery staple'

export interface AdminWorld {
  staffEmail: string
  /** An admin of the test app's organization (`t.org`). */
  orgAdminEmail: string
  /** Another organization with a client and a key, which `orgAdminEmail` must never reach. */
  other: Awaited<ReturnType<TestApp['createOrgWithClient']>>
}

let counter = 0

/** A staff user, an admin of `t.org`, and a second organization; emails are unique per call. */
export async function createAdminWorld(t: TestApp): Promise<AdminWorld> {
  const n = ++counter
  const staffEmail = `staff${n}@example.com`
  const orgAdminEmail = `owner${n}@example.com`
  await t.core.users.createUser(
    { email: staffEmail, password: ADMIN_PASSWORD, staff: true, organizationId: null },
    cliActor(),
  )
  await t.core.users.createUser(
    { email: orgAdminEmail, password: ADMIN_PASSWORD, staff: false, organizationId: t.org.id },
    cliActor(),
  )
  return { staffEmail, orgAdminEmail, other: await t.createOrgWithClient(`other${n}`) }
}

export async function signedIn(t: TestApp, email: string, remoteAddress?: string): Promise<AdminAgent> {
  const agent = new AdminAgent(t, remoteAddress)
  const response = await agent.signIn(email, ADMIN_PASSWORD)
  if (response.status !== 303) throw new Error(`sign-in of ${email} answered ${response.status}`)
  return agent
}
