import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Services } from '../app.ts'
import type { ConfirmOutcome } from './opt-in.ts'

type PageName = 'confirmed' | Extract<ConfirmOutcome, { ok: false }>['reason']

const PAGES: Record<PageName, { status: number; title: string; text: string }> = {
  confirmed: { status: 200, title: 'Subscription confirmed', text: 'Thank you: your subscription is confirmed.' },
  invalid: {
    status: 400,
    title: 'This link is not valid',
    text: 'The confirmation link is incomplete or was changed. Please use the link exactly as it came in the email.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    text: 'Confirmation links work for 7 days. Please sign up again to receive a new one.',
  },
  used: {
    status: 410,
    title: 'This link can no longer be used',
    text: 'This confirmation link was already used or replaced by a newer one. If you confirmed before, nothing more is needed.',
  },
}

/** `GET /confirm/{token}`: the double-opt-in link in mail, no API key (the signed token is the credential). */
export async function confirmRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { optIn } = services

  app.get(
    '/confirm/:token',
    {
      schema: {
        hide: true,
        params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
      },
      // A page, not an API answer: a malformed token gets the same page as a forged one, never a JSON error.
      attachValidation: true,
    },
    async (request, reply) => {
      const outcome = request.validationError
        ? ({ ok: false, reason: 'invalid' } as const)
        : await optIn.confirm(request.params.token)
      const page = PAGES[outcome.ok ? 'confirmed' : outcome.reason]
      return reply
        .code(page.status)
        .header('cache-control', 'no-store')
        .header('x-robots-tag', 'noindex')
        .type('text/html; charset=utf-8')
        .send(htmlPage(page.title, page.text))
    },
  )
}

export function htmlPage(title: string, text: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
</body>
</html>
`
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
