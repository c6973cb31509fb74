import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEMO_KEYS } from '../../src/bootstrap/bootstrap.ts'
import { generateKey } from '../../src/keys/keys.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** The README is part of the product: these checks keep it true as the code changes. */
describe('README', () => {
  it('documents every environment variable config.ts reads, in the configuration table', () => {
    const source = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8')
    const variables = new Set([...source.matchAll(/env(?:\.|, ')([A-Z][A-Z_]+)/g)].map((match) => match[1]))
    expect(variables.size).toBeGreaterThan(10)
    for (const variable of variables) expect(readme, variable).toMatch(new RegExp(`^\\| \`${variable}\` \\|`, 'm'))
  })

  it('lists the demo keys exactly as demo mode creates them', () => {
    for (const demo of DEMO_KEYS) expect(readme).toContain(generateKey('km', demo.mode, demo).raw)
  })

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm install && npm test')
  })
})
