import fc from 'fast-check';
import { ACCESS_TOKEN } from './request.js';
import { anyJson, anyString, headerText } from './values.js';

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A compact JWS-looking token: three parts, with random or hostile JSON in the first two. */
const jwsLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.record({
        alg: fc.constantFrom('none', 'HS256', 'ES256', 'RS256', 'EdDSA', 'ES512', ''),
        kid: fc.oneof(fc.constant(undefined), headerText(20)),
        typ: fc.constantFrom('at+jwt', 'JWT', undefined),
      }),
      anyJson,
    ),
    fc.oneof(
      fc.record({ sub: headerText(20), exp: fc.integer(), iat: fc.integer(), jti: headerText(10) }),
      anyJson,
    ),
    fc.uint8Array({ maxLength: 80 }),
  )
  .map(([header, claims, sig]) => {
    const h = b64url(JSON.stringify(header) ?? 'null');
    const p = b64url(JSON.stringify(claims) ?? 'null');
    return `${h}.${p}.${b64url(Buffer.from(sig))}`;
  });

/** `Basic` credentials: random ids and secrets, malformed percent-encoding, no colon at all. */
const basic: fc.Arbitrary<string> = fc
  .oneof(
    fc.tuple(anyString, anyString).map(([id, secret]) => `${id}:${secret}`),
    fc.constantFrom('%:x', 'a%zz:b', 'nocolon', ':', 'orders-service:%E0%A4%A', ''),
    anyString,
  )
  .map((pair) => `Basic ${Buffer.from(pair.slice(0, 2_000), 'utf8').toString('base64')}`);

/** An Authorization header that carries no valid credentials (undefined: no header). */
export const garbageAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic', 'Digest x', 'bearer') },
  { weight: 2, arbitrary: headerText(200).map((t) => `Bearer ${t}`) },
  { weight: 3, arbitrary: jwsLike.map((t) => `Bearer ${t}`) },
  { weight: 1, arbitrary: fc.tuple(jwsLike, jwsLike).map(([a, b]) => `Bearer ${a} ${b}`) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1_000, max: 8_000 }).map((n) => `Bearer ${'a'.repeat(n)}.b.c`),
  },
  { weight: 2, arbitrary: basic },
  { weight: 1, arbitrary: headerText(100) },
);

/** Mostly the holder's valid bearer token (as a placeholder), sometimes spelled oddly or garbage. */
export const holderAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${ACCESS_TOKEN}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `bearer ${ACCESS_TOKEN}`,
      `Bearer   ${ACCESS_TOKEN}  `,
      `Bearer ${ACCESS_TOKEN}x`,
      `Bearer ${ACCESS_TOKEN} ${ACCESS_TOKEN}`,
      `Basic ${ACCESS_TOKEN}`,
    ),
  },
  { weight: 1, arbitrary: garbageAuthorization },
);
