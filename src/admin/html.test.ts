import { describe, expect, it } from 'vitest'
import { html, trustedHtml } from './html.ts'

describe('admin html templates', () => {
  it('escape every interpolated value by default, in text and in attributes', () => {
    const name = `<script>alert(1)</script>" onmouseover="x'`
    expect(html`<td title="${name}">${name}</td>`.value).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;">' +
        '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39;</td>',
    )
  })

  it('nest markup built with html without escaping it twice, and join arrays', () => {
    const rows = ['a&b', 'c'].map((cell) => html`<li>${cell}</li>`)
    expect(html`<ul>${rows}</ul>`.value).toBe('<ul><li>a&amp;b</li><li>c</li></ul>')
  })

  it('drop null, undefined and false, so conditional fragments read naturally', () => {
    expect(html`[${null}${undefined}${false}${0}]`.value).toBe('[0]')
  })

  it('pass through only markup marked as trusted', () => {
    expect(html`${trustedHtml('<b>x</b>')}${'<b>y</b>'}`.value).toBe('<b>x</b>&lt;b&gt;y&lt;/b&gt;')
  })
})
