import { type ParsedMail, simpleParser } from 'mailparser'
import { expect } from 'vitest'
import { cliActor } from '../../src/audit/audit.ts'
import type { ApiResponse, TestApp } from './test-app.ts'

/** The verified sending domain most send tests use, and an address on it. */
export const SENDING_DOMAIN = 'mail.example.com'
export const SENDER = `news@${SENDING_DOMAIN}`

export type SendBody = Record<string, unknown>

/** A minimal valid `POST /v1/send` body from SENDER to one recipient; `overrides` replace top-level fields. */
export function sendBody(overrides: SendBody = {}): SendBody {
  return {
    personalizations: [{ to: [{ email: 'a@example.com', name: 'A' }] }],
    from: { email: SENDER, name: 'Example' },
    subject: 'Hello',
    content: [{ type: 'text/plain', value: 'Hi' }],
    ...overrides,
  }
}

/** Adds a domain to the test app's organization (or `organizationId`'s), verified unless told otherwise. */
export async function addDomain(
  t: TestApp,
  name: string = SENDING_DOMAIN,
  options: { verified?: boolean; organizationId?: string } = {},
) {
  return t.core.domains.create(options.organizationId ?? t.org.id, name, cliActor(), {
    verified: options.verified ?? true,
  })
}

export function postSend(t: TestApp, body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) {
  return t.request({ method: 'POST', url: '/v1/send', body, key: options.key, headers: options.headers })
}

/** How many messages `key` (the full key by default) can list: proves what a request stored, or did not. */
export async function messageTotal(t: TestApp, key?: string): Promise<number> {
  const response = await t.request({ url: '/v1/messages?limit=1', key })
  expect(response.status).toBe(200)
  return response.body.total
}

/** Asserts a `400 validation_error` whose `fields` include `fields`. */
export function expectFields(response: ApiResponse, fields: Record<string, string>): void {
  expect(response.status, JSON.stringify(response.body)).toBe(400)
  expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
}

/** A message's MIME source (`?include=raw`), parsed: the raw is quoted-printable/7bit, so bodies need decoding. */
export async function parsedRaw(t: TestApp, messageId: string, key?: string): Promise<ParsedMail> {
  const response = await t.request({ url: `/v1/messages/${messageId}?include=raw`, key })
  expect(response.status).toBe(200)
  return simpleParser(response.body.raw)
}
