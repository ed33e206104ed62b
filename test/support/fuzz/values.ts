import fc from 'fast-check';

/** Strings that have broken parsers, databases and encoders before. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e\u2066',
  '\ufeff{}',
  '💥🔥',
  'ｅｘａｍｐｌｅ',
  'é',
  '%',
  '%zz',
  '%00',
  '%ff%fe',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  '1e999',
  '-0',
  'NaN',
  'rt_',
  'rt_' + 'A'.repeat(43),
  'Bearer x',
  '\r\n\t',
];

/** A long run of one character, from just over a field limit to over the body limit. */
export const hugeString = fc
  .tuple(fc.integer({ min: 65, max: 40_000 }), fc.constantFrom('x', 'é', '💥', '\u0000', '%'))
  .map(([n, c]) => c.repeat(n));

/** Any string: ASCII, full Unicode (lone surrogates too), known troublemakers, very long ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ minLength: 200, maxLength: 1_200 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Any JSON value, with some depth. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** A value for a named field: a string of any kind, or any JSON value (wrong types). */
export const anyFieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: anyString },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1e308, [], {}, [''], { a: 1 }) },
);

/** Printable Latin-1 text, the only kind `fetch` puts in a header value. */
export const headerText = (maxLength = 60): fc.Arbitrary<string> =>
  fc.string({
    unit: fc
      .oneof(
        { weight: 9, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
        { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }) },
        { weight: 1, arbitrary: fc.constant(0x20) },
      )
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Percent-encodes the UTF-8 bytes of `value` (lone surrogates become U+FFFD, as in UTF-8). */
export const percentEncode = (value: string): string =>
  [...Buffer.from(value, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** Raw path or query text that is not valid percent-encoding, or is otherwise odd. */
const RAW_URL_PARTS = ['%', '%zz', '%00', '%ED%A0%80', '%C0%AF', '%2F', '%2e%2e', '..', '.', '%20'];

/**
 * Longest encoded path segment or query string. Node refuses a request head over 16 KiB with a
 * bare 431 before the app sees it; URLs stay well under that, bodies and headers test the limits.
 */
const MAX_URL_PART = 4_000;

/** A path segment: a UUID, odd strings encoded, malformed encodings, or a given known value. */
export const pathSegment = (known: readonly string[] = []): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.uuid().map((u) => u) },
    { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
    { weight: 3, arbitrary: anyString.map((v) => percentEncode(v).slice(0, MAX_URL_PART)) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_PARTS) },
    ...(known.length > 0
      ? [{ weight: 2, arbitrary: fc.constantFrom(...known.map(percentEncode)) }]
      : []),
  );

/** A query string (with its `?`), or none. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('limit', 'limit[]', 'limit[a]', '__proto__', 'token', 'sid'),
            anyString.filter((s) => s.length < 100),
          ),
          fc.oneof(
            fc.constantFrom('1', '0', '-5', '1000', '1e3', '0x10', '99999999999999999999', ''),
            anyString.filter((s) => s.length < 200),
          ),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) =>
        `?${pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`.slice(
          0,
          MAX_URL_PART,
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...RAW_URL_PARTS, '&&&=', '=', 'limit').map((q) => `?${q}`),
  },
);
