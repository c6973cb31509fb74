import fc from 'fast-check'

/**
 * Hostile input for the fuzzer: odd strings, wrong types, huge numbers, deep nesting, prototype-pollution keys,
 * broken JSON, wrong content types. Bodies are produced as text, so that a `__proto__` key reaches the server as
 * an own member and nesting deeper than JSON.stringify could handle can be sent.
 */

/** What a prototype-pollution attempt sets; the test checks that no object ever carries it. */
export const POLLUTION_MARKER = 'polluted_by_fuzz'

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const

// NUL, lone surrogates, right-to-left override and mark, byte order mark, line separator, a combining accent.
const UNICODE_PIECES = ['\u0000', '\uD800', '\uDFFF', '\u202E', '\u200F', '\uFEFF', '\u2028', '\u0301']
const TEXT_PIECES = ['😀', '👩‍👩‍👧', 'İ', 'ß', '٣', '\r\n', '\t', ' ', '%', '%00', '../', '\\', '"', "'", '<script>']
const SYNTAX_PIECES = ['{{x}}', '$' + '{x}', "' OR 1=1 --", '@', '.', '-', 'a', 'aud_', 'NaN', '-0', '1e309']
const ODD_PIECES = [
  ...UNICODE_PIECES,
  ...TEXT_PIECES,
  ...SYNTAX_PIECES,
  'key_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  ...PROTOTYPE_KEYS,
]

/** Short strings made of the pieces above and arbitrary code points. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...ODD_PIECES), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 30 }),
)

/**
 * Very long values, past every documented limit. In a URL at most a few thousand characters: a real server refuses
 * a request line over 16 KB before Keymail sees it (Node's header size limit), only `inject` would pass it on.
 */
export const longUrlString: fc.Arbitrary<string> = longOf(fc.constantFrom(64, 101, 201, 255, 321, 999, 2049))
/** In a body, up to 200,000 characters (the body limit is 1 MiB). */
export const longString: fc.Arbitrary<string> = longOf(
  fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(64, 101, 255, 321, 999, 2049) },
    { weight: 1, arbitrary: fc.constantFrom(70_000, 200_000) },
  ),
)

function longOf(lengths: fc.Arbitrary<number>): fc.Arbitrary<string> {
  return fc
    .tuple(lengths, fc.constantFrom('a', '😀', '\u0000', 'é', '-'))
    .map(([length, piece]) => piece.repeat(Math.ceil(length / piece.length)))
}

export const hugeNumber: fc.Arbitrary<number | string> = fc.constantFrom(
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 31,
  2 ** 32 + 1,
  -1,
  0,
  -0,
  0.5,
  1e21,
)

/** A member name: ordinary, odd, or one that would pollute a prototype if merged carelessly. */
const memberName = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('name', 'email', 'id', 'slug', 'status', 'fields', 'url', 'events', 'scopes'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: oddString },
)

/** Any JSON value, with odd strings, huge numbers and prototype keys, a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    hugeNumber,
    fc.double(),
    oddString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(memberName, tie('value')), { maxLength: 4 })
      .map((entries) => Object.assign(Object.create(null), Object.fromEntries(entries)) as unknown),
    fc.constant({ [POLLUTION_MARKER]: true }),
  ),
})).value

/** A value that does not fit where it is put: wrong type, too long, too big, odd, or a pollution attempt. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  longString,
  hugeNumber,
  fc.constant(pollution('__proto__')),
  fc.constant(pollution('constructor')),
)

/** `{"__proto__": {"polluted_by_fuzz": true}}` as an own member, the way a JSON parser would build it. */
export function pollution(key: (typeof PROTOTYPE_KEYS)[number]): Record<string, unknown> {
  const inner = key === 'constructor' ? { prototype: { [POLLUTION_MARKER]: true } } : { [POLLUTION_MARKER]: true }
  const outer = Object.create(null) as Record<string, unknown>
  outer[key] = inner
  return outer
}

/** Raw bodies no JSON encoder would write. */
export const brokenJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1_000, 10_000, 300_000).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1_000, 10_000, 100_000).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  },
  {
    weight: 10,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '}',
      '{"a":}',
      'nul',
      '\uFEFF{}',
      '{"name":"a","name":"b"}',
      '{"__proto__":{"polluted_by_fuzz":true}}',
      '{"constructor":{"prototype":{"polluted_by_fuzz":true}}}',
      '[1e999]',
      '{"limit":1e999}',
      '"\\ud800"',
      '{"name":"\\u0000"}',
      '{"a":1}garbage',
      'true',
      '123',
      `{"n":${'9'.repeat(400)}}`,
      '\u0000',
    ),
  },
)

/** A JSON text deeper than any schema expects, to put where a value goes: arrays, objects, or an object holding one. */
export const deepValueText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(64, 1_000, 5_000, 50_000), fc.constantFrom('array', 'object', 'member'))
  .map(([depth, shape]) => {
    const array = `${'['.repeat(depth)}${']'.repeat(depth)}`
    if (shape === 'array') return array
    if (shape === 'member') return `{"x":${array}}`
    return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
  })

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;;',
      'application/vnd.api+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '*/*',
      '',
      'json',
    ),
  },
)

/** Header values as a real client could send them (visible Latin-1), odd or very long. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 40 }),
  fc.constantFrom('', ' ', 'x'.repeat(300), '\u00ff\u00fe', 'null', '-1', '1e999', '__proto__'),
)

/** A query string from known and odd names, repeated names and broken percent-encoding. */
export function queryString(knownNames: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 3, arbitrary: knownNames.length ? fc.constantFrom(...knownNames) : fc.constant('page') },
    { weight: 1, arbitrary: fc.constantFrom('page', 'limit', ...PROTOTYPE_KEYS, 'a[b]', 'page[]', '__proto__[x]') },
    { weight: 1, arbitrary: oddString },
  )
  const value = fc.oneof(
    oddString,
    hugeNumber.map(String),
    fc.constantFrom('', '0', '-1', '1.5', '1e3', '9'.repeat(400), 'true', 'null', '[]', '{}'),
    longUrlString,
  )
  const pair = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(name, value).map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '=', '&&', 'page', '%ED%A0%80=1', 'limit=%00') },
  )
  return fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => pairs.join('&'))
}

/** A path parameter: odd, long or broken-encoded. */
export const pathValue: fc.Arbitrary<string> = fc.oneof(
  oddString.map(percentEncode),
  longUrlString.map(percentEncode),
  fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '%2F', '..', '.', '%2e%2e', 'x%0Ay', '%C0%AE'),
)

/** encodeURIComponent, except that lone surrogates are sent as their (invalid) UTF-8 bytes instead of throwing. */
export function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return [...value]
      .map((char) =>
        /[\uD800-\uDFFF]/.test(char)
          ? `%ED%${(((char.charCodeAt(0) >> 6) & 0x3f) | 0x80).toString(16)}%${((char.charCodeAt(0) & 0x3f) | 0x80).toString(16)}`
          : encodeURIComponent(char),
      )
      .join('')
  }
}
