import { describe, expect, it } from 'vitest'
import { escapeHtml, missingVariables, render, templateVariables } from './render.ts'

describe('{{variable}} templates', () => {
  it('substitutes every occurrence, with or without spaces inside the braces', () => {
    expect(render('Hi {{name}}, {{ name }}!', { name: 'Ann' }, 'text')).toBe('Hi Ann, Ann!')
  })

  it('HTML-escapes values in HTML, including quotes for attribute values', () => {
    const values = { name: `<script>alert("x")</script> & 'co'` }
    expect(render('<p title="{{name}}">{{name}}</p>', values, 'html')).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>',
    )
  })

  it('inserts values raw in text and subjects', () => {
    expect(render('{{a}}', { a: '<b> & "c"' }, 'text')).toBe('<b> & "c"')
  })

  it('does not expand variables inside substituted values (no second pass)', () => {
    expect(render('{{a}}', { a: '{{b}}', b: 'no' }, 'text')).toBe('{{b}}')
  })

  it('lists the variables a source uses, once each, in order', () => {
    expect(templateVariables('{{b}} {{a}} {{ b }} {{user.first-name}}')).toEqual(['b', 'a', 'user.first-name'])
    expect(templateVariables(null)).toEqual([])
  })

  it('names the variables that have no value, across subject, text and html', () => {
    expect(missingVariables(['{{a}}', null, '<p>{{b}} {{c}}</p>'], { a: 'x', c: '' })).toEqual(['b'])
  })

  it('treats an empty string as a value, and refuses to render a missing one', () => {
    expect(render('[{{a}}]', { a: '' }, 'text')).toBe('[]')
    expect(() => render('{{a}}', {}, 'text')).toThrow('a')
  })

  it('leaves text that is not a variable alone', () => {
    expect(render('{{ not a var }} {single} {{}}', {}, 'text')).toBe('{{ not a var }} {single} {{}}')
    expect(escapeHtml('plain')).toBe('plain')
  })

  it('does not read inherited properties as values', () => {
    expect(missingVariables(['{{constructor}}'], {})).toEqual(['constructor'])
  })
})
