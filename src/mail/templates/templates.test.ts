import { describe, expect, it } from 'vitest'
import { missingBodyFields, renderTemplate, variablesOf } from './templates.ts'

const content = (parts: Partial<{ subject: string; text: string; html: string }>) => ({
  subject: parts.subject ?? null,
  text: parts.text ?? null,
  html: parts.html ?? null,
})

describe('a template as sending uses it', () => {
  it('lists its variables across subject, text and html, once each, in that order', () => {
    expect(variablesOf(content({ subject: '{{s}} {{t}}', text: '{{t}} {{x}}', html: '{{h}} {{s}}' }))).toEqual([
      's',
      't',
      'x',
      'h',
    ])
  })

  it('needs text or html', () => {
    expect(missingBodyFields(content({ subject: 'only a subject' }))).toEqual({ text: 'required', html: 'required' })
    expect(missingBodyFields(content({ html: '<p>x</p>' }))).toBeNull()
  })

  it('renders each part, escaping only html, and keeps absent parts null', () => {
    const result = renderTemplate(content({ subject: 'To {{n}}', html: '<b>{{n}}</b>' }), { n: 'A&B' })
    expect(result).toEqual({ ok: true, rendered: { subject: 'To A&B', text: null, html: '<b>A&amp;B</b>' } })
  })

  it('reports every missing value, and a line break in any value the subject uses', () => {
    const result = renderTemplate(content({ subject: '{{a}} {{b}}', text: '{{c}} {{b}}' }), { b: 'x\ny' })
    expect(result).toEqual({
      ok: false,
      fields: { 'substitutions.a': 'required', 'substitutions.c': 'required', 'substitutions.b': 'invalid' },
    })
  })
})
