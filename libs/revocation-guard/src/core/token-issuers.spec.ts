import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { GuardError } from './guard-error.js';
import { JwksKeySource } from './jwks-key-source.js';
import { ManualClock } from './manual-clock.js';
import {
  TokenVerifier,
  type SupportedAlgorithm,
  type TokenIssuerVerification,
} from './token-verifier.js';

const NOW = 1_800_000_000;
const OURS = 'http://127.0.0.1:3000';
const KEYCLOAK = 'http://127.0.0.1:8280/realms/acme';

interface Signer {
  readonly kid: string;
  readonly alg: SupportedAlgorithm;
  readonly privateKey: CryptoKey;
  readonly jwks: JSONWebKeySet;
}

async function signer(kid: string, alg: SupportedAlgorithm): Promise<Signer> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, jwks: { keys: [jwk] } };
}

function sign(
  by: Signer,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
  kid: string | null = by.kid,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: by.alg, ...(kid === null ? {} : { kid }), ...header })
    .sign(by.privateKey);
}

/** A key source over a JWKS the test can change, counting fetches. */
function keySource(clock: ManualClock, jwks: () => JSONWebKeySet) {
  let fetches = 0;
  const source = new JwksKeySource({
    jwksUrl: 'https://keys.test.invalid/jwks.json',
    clock,
    fetch: () => {
      fetches++;
      return Promise.resolve(
        new Response(JSON.stringify(jwks()), { headers: { 'content-type': 'application/json' } }),
      );
    },
  });
  return { source, fetches: () => fetches };
}

/** The access token Keycloak 26 signs (review 2026-11-30, section 6), with an audience mapper. */
const keycloakClaims = (over: JWTPayload = {}): JWTPayload => ({
  exp: NOW + 300,
  iat: NOW - 10,
  jti: 'onrtro:bb599220-3369-0a07-9d78-5c3fcc993e75',
  iss: KEYCLOAK,
  aud: ['orders', 'account'],
  sub: '2054f4bd-ee42-46ad-8af9-bd770836eca0',
  typ: 'Bearer',
  azp: 'app',
  sid: 'fud9ATSyHuB8b3sDMZiM4n-P',
  acr: '1',
  scope: 'openid profile email',
  preferred_username: 'alice',
  ...over,
});

const ourClaims = (over: JWTPayload = {}): JWTPayload => ({
  iss: OURS,
  aud: 'tokenfence-services',
  sub: 'user-1',
  sid: 'sid-1',
  jti: 'jti-1',
  client_id: 'first-party',
  scope: 'orders:read',
  iat: NOW - 10,
  exp: NOW + 600,
  ...over,
});

let ours: Signer;
let keycloak: Signer;
let stranger: Signer;

beforeAll(async () => {
  [ours, keycloak, stranger] = await Promise.all([
    signer('tokens-1', 'ES256'),
    signer('W0ECx_36SHN6Shv9CYgj4XwteDW87OQdhzOFpguYyJA', 'RS256'),
    signer('stranger-1', 'RS256'),
  ]);
});

async function codeOf(verifier: TokenVerifier, token: string): Promise<[string, string]> {
  const err = await verifier.verify(token).then(
    () => new Error('accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GuardError);
  return [(err as GuardError).code, (err as GuardError).message];
}

describe('TokenVerifier token profiles and claim names', () => {
  const keycloakIssuer = (
    over: Partial<TokenIssuerVerification> = {},
  ): ConstructorParameters<typeof TokenVerifier>[0] => ({
    issuer: KEYCLOAK,
    audience: 'orders',
    algorithms: ['RS256'],
    clockToleranceSeconds: 5,
    keys: new JwksKeySource({
      jwksUrl: 'https://kc.test.invalid/certs',
      fetch: () => Promise.resolve(new Response(JSON.stringify(keycloak.jwks))),
    }).getKey,
    clock: { nowMs: () => NOW * 1000 },
    profile: 'jwt',
    claims: { clientId: 'azp' },
    ...over,
  });

  it('accepts a Keycloak access token (typ JWT, payload typ Bearer, azp) under profile jwt', async () => {
    const token = await sign(keycloak, keycloakClaims(), { typ: 'JWT' });
    const principal = await new TokenVerifier(keycloakIssuer()).verify(token);
    expect(principal).toMatchObject({
      iss: KEYCLOAK,
      sub: '2054f4bd-ee42-46ad-8af9-bd770836eca0',
      sid: 'fud9ATSyHuB8b3sDMZiM4n-P',
      jti: 'onrtro:bb599220-3369-0a07-9d78-5c3fcc993e75',
      clientId: 'app',
      kind: 'user',
      scopes: ['openid', 'profile', 'email'],
      kid: keycloak.kid,
    });
    // typ case-insensitive, and absent in the header or the payload.
    const lower = await sign(keycloak, keycloakClaims({ typ: 'bearer' }), { typ: 'jwt' });
    const bare = await sign(keycloak, keycloakClaims({ typ: undefined }));
    await expect(new TokenVerifier(keycloakIssuer()).verify(lower)).resolves.toBeDefined();
    await expect(new TokenVerifier(keycloakIssuer()).verify(bare)).resolves.toBeDefined();
  });

  it('refuses the same Keycloak token under the default profile (RFC 9068: typ at+jwt)', async () => {
    const token = await sign(keycloak, keycloakClaims(), { typ: 'JWT' });
    const verifier = new TokenVerifier(keycloakIssuer({ profile: undefined }));
    expect(await codeOf(verifier, token)).toEqual([
      'TOKEN_CLAIMS_INVALID',
      'The access token\'s "typ" claim is not accepted.',
    ]);
  });

  it.each([
    ['an ID token (typ ID)', { typ: 'ID' }, { typ: 'JWT' }, '"typ" claim'],
    ['a refresh token (typ Refresh)', { typ: 'Refresh' }, { typ: 'JWT' }, '"typ" claim'],
    ['a payload typ that is no string', { typ: ['Bearer'] }, { typ: 'JWT' }, '"typ" claim'],
    ['an at+jwt header', {}, { typ: 'at+jwt' }, '"typ" header'],
    ['a logout token header', {}, { typ: 'logout+jwt' }, '"typ" header'],
  ])('refuses %s under profile jwt', async (_name, claims, header, names) => {
    const token = await sign(keycloak, keycloakClaims(claims), header);
    const [code, message] = await codeOf(new TokenVerifier(keycloakIssuer()), token);
    expect(code).toBe('TOKEN_CLAIMS_INVALID');
    expect(message).toContain(names);
  });

  it('reads the client from azp, never from client_id, when told so', async () => {
    const token = await sign(keycloak, keycloakClaims({ client_id: 'other' }), { typ: 'JWT' });
    const principal = await new TokenVerifier(keycloakIssuer()).verify(token);
    expect(principal.clientId).toBe('app');
    const byClientId = await new TokenVerifier(
      keycloakIssuer({ claims: { clientId: 'client_id' } }),
    ).verify(token);
    expect(byClientId.clientId).toBe('other');
  });

  // cid: Okta; appid: Entra ID v1.0 tokens.
  it.each(['cid', 'appid'] as const)('reads the client from %s when told so', async (claim) => {
    const token = await sign(keycloak, keycloakClaims({ [claim]: 'their-app', azp: 'app' }));
    const verifier = new TokenVerifier(keycloakIssuer({ claims: { clientId: claim } }));
    expect((await verifier.verify(token)).clientId).toBe('their-app');
  });

  it('keeps the client rule: no sid, and sub equal to azp, is a client', async () => {
    const token = await sign(keycloak, keycloakClaims({ sid: undefined, sub: 'app' }));
    expect((await new TokenVerifier(keycloakIssuer()).verify(token)).kind).toBe('client');
  });

  it('reads scp as a space-separated string or an array of strings', async () => {
    const verifier = new TokenVerifier(keycloakIssuer({ claims: { scope: 'scp' } }));
    const asArray = await sign(keycloak, keycloakClaims({ scope: 'ignored', scp: ['a', 'b'] }));
    const asString = await sign(keycloak, keycloakClaims({ scope: undefined, scp: 'a  b' }));
    const absent = await sign(keycloak, keycloakClaims({ scp: undefined }));
    expect((await verifier.verify(asArray)).scopes).toEqual(['a', 'b']);
    expect((await verifier.verify(asString)).scopes).toEqual(['a', 'b']);
    expect((await verifier.verify(absent)).scopes).toEqual([]);
    for (const scp of [[1], 7, { a: true }]) {
      const bad = await sign(keycloak, keycloakClaims({ scp }));
      expect((await codeOf(verifier, bad))[0]).toBe('TOKEN_CLAIMS_INVALID');
    }
  });

  it('takes scope as a string only: an array under "scope" is refused', async () => {
    const token = await sign(keycloak, keycloakClaims({ scope: ['a'] }));
    expect((await codeOf(new TokenVerifier(keycloakIssuer()), token))[0]).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
  });
});

describe('TokenVerifier with several issuers', () => {
  function twoIssuers(
    clock: ManualClock,
    jwks: { ours: () => JSONWebKeySet; keycloak: () => JSONWebKeySet },
  ) {
    const oursSource = keySource(clock, jwks.ours);
    const keycloakSource = keySource(clock, jwks.keycloak);
    const verifier = new TokenVerifier({
      issuers: [
        {
          issuer: OURS,
          audience: 'tokenfence-services',
          algorithms: ['ES256', 'RS256'],
          clockToleranceSeconds: 5,
          keys: oursSource.source.getKey,
          keySource: oursSource.source,
        },
        {
          issuer: KEYCLOAK,
          audience: 'orders',
          algorithms: ['RS256'],
          clockToleranceSeconds: 5,
          keys: keycloakSource.source.getKey,
          keySource: keycloakSource.source,
          profile: 'jwt',
          claims: { clientId: 'azp' },
        },
      ],
      clock,
      verifiedTokenCacheMaxEntries: 100,
    });
    return { verifier, oursSource, keycloakSource };
  }

  it("accepts each issuer's tokens under that issuer's pins, chosen by kid", async () => {
    const clock = new ManualClock(NOW * 1000);
    const { verifier } = twoIssuers(clock, {
      ours: () => ours.jwks,
      keycloak: () => keycloak.jwks,
    });
    const fromUs = await sign(ours, ourClaims(), { typ: 'at+jwt' });
    const fromKeycloak = await sign(keycloak, keycloakClaims(), { typ: 'JWT' });
    expect(await verifier.verify(fromUs)).toMatchObject({ iss: OURS, clientId: 'first-party' });
    expect(await verifier.verify(fromKeycloak)).toMatchObject({ iss: KEYCLOAK, clientId: 'app' });
    // Each issuer's profile stays its own: ours refuses a typ JWT token, Keycloak an at+jwt one.
    const oursAsJwt = await sign(ours, ourClaims(), { typ: 'JWT' });
    const keycloakAsAt = await sign(keycloak, keycloakClaims(), { typ: 'at+jwt' });
    expect((await codeOf(verifier, oursAsJwt))[0]).toBe('TOKEN_CLAIMS_INVALID');
    expect((await codeOf(verifier, keycloakAsAt))[0]).toBe('TOKEN_CLAIMS_INVALID');
    // ... and its audience: Keycloak's "account" audience is not ours.
    const wrongAudience = await sign(keycloak, keycloakClaims({ aud: 'tokenfence-services' }));
    expect(await codeOf(verifier, wrongAudience)).toEqual([
      'TOKEN_CLAIMS_INVALID',
      'The access token\'s "aud" claim is not accepted.',
    ]);
  });

  it("chooses by iss when two issuers' key sets hold the same kid", async () => {
    const clock = new ManualClock(NOW * 1000);
    const twin = await signer(keycloak.kid, 'RS256'); // our RS256 key, under Keycloak's kid
    const { verifier } = twoIssuers(clock, {
      ours: () => ({ keys: [...ours.jwks.keys, ...twin.jwks.keys] }),
      keycloak: () => keycloak.jwks,
    });
    const ourToken = await sign(twin, ourClaims(), { typ: 'at+jwt' });
    const keycloakToken = await sign(keycloak, keycloakClaims());
    // Warm both sources (a first lookup fetches them), then the kid is at both.
    await verifier.verify(await sign(ours, ourClaims(), { typ: 'at+jwt' }));
    expect(await verifier.verify(ourToken)).toMatchObject({ iss: OURS, kid: keycloak.kid });
    expect(await verifier.verify(keycloakToken)).toMatchObject({ iss: KEYCLOAK });
    // The iss only chooses the pins: our iss on a token Keycloak's key signed is refused.
    const forged = await sign(keycloak, ourClaims(), { typ: 'at+jwt' });
    expect((await codeOf(verifier, forged))[0]).toBe('TOKEN_SIGNATURE_INVALID');
    // An iss no issuer has, under the shared kid.
    const foreign = await sign(keycloak, keycloakClaims({ iss: 'https://evil.test' }));
    expect(await codeOf(verifier, foreign)).toEqual([
      'TOKEN_SIGNATURE_INVALID',
      'No trusted key matches the access token.',
    ]);
  });

  it('refuses a token of an unconfigured issuer, signed with its own key, after each source refetched once', async () => {
    const clock = new ManualClock(NOW * 1000);
    const { verifier, oursSource, keycloakSource } = twoIssuers(clock, {
      ours: () => ours.jwks,
      keycloak: () => keycloak.jwks,
    });
    await verifier.verify(await sign(ours, ourClaims(), { typ: 'at+jwt' }));
    await verifier.verify(await sign(keycloak, keycloakClaims()));
    const fetched = [oursSource.fetches(), keycloakSource.fetches()];
    expect(fetched).toEqual([1, 1]);

    clock.advance(10_000); // past the 5 s cooldown
    const token = await sign(stranger, keycloakClaims({ iss: 'https://stranger.test' }));
    expect(await codeOf(verifier, token)).toEqual([
      'TOKEN_SIGNATURE_INVALID',
      'No trusted key matches the access token.',
    ]);
    expect([oursSource.fetches(), keycloakSource.fetches()]).toEqual([2, 2]);
    // Within the cooldown, more such tokens fetch nothing.
    for (let i = 0; i < 5; i++)
      expect((await codeOf(verifier, token))[0]).toBe('TOKEN_SIGNATURE_INVALID');
    expect([oursSource.fetches(), keycloakSource.fetches()]).toEqual([2, 2]);
    // Claiming a configured iss does not help it: that issuer's keys refuse it.
    const claimingKeycloak = await sign(stranger, keycloakClaims());
    expect(await codeOf(verifier, claimingKeycloak)).toEqual([
      'TOKEN_SIGNATURE_INVALID',
      'No trusted key matches the access token.',
    ]);
  });

  it("refuses a token claiming one issuer's iss but signed with the other's key", async () => {
    const clock = new ManualClock(NOW * 1000);
    const { verifier } = twoIssuers(clock, {
      ours: () => ours.jwks,
      keycloak: () => keycloak.jwks,
    });
    // Keycloak's kid and key, our iss and audience: Keycloak's pins refuse the iss.
    const asUs = await sign(keycloak, ourClaims({ aud: 'orders' }));
    expect(await codeOf(verifier, asUs)).toEqual([
      'TOKEN_CLAIMS_INVALID',
      'The access token\'s "iss" claim is not accepted.',
    ]);
    // Our kid in the header, signed with Keycloak's key: our key does not verify it.
    const ourKid = await sign(keycloak, ourClaims(), { typ: 'at+jwt' }, ours.kid);
    expect((await codeOf(verifier, ourKid))[0]).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('takes a rotated-in kid once its source refetches, and a token without kid never', async () => {
    const clock = new ManualClock(NOW * 1000);
    const rotated = await signer('W-rotated', 'RS256');
    let keycloakKeys = keycloak.jwks;
    const { verifier } = twoIssuers(clock, { ours: () => ours.jwks, keycloak: () => keycloakKeys });
    await verifier.verify(await sign(keycloak, keycloakClaims()));
    keycloakKeys = { keys: [...keycloak.jwks.keys, ...rotated.jwks.keys] };
    clock.advance(6_000);
    expect(await verifier.verify(await sign(rotated, keycloakClaims()))).toMatchObject({
      iss: KEYCLOAK,
      kid: 'W-rotated',
    });
    const noKid = await sign(keycloak, keycloakClaims(), {}, null);
    expect(await codeOf(verifier, noKid)).toEqual([
      'TOKEN_SIGNATURE_INVALID',
      'No trusted key matches the access token.',
    ]);
  });

  it("answers SIGNING_KEYS_UNAVAILABLE for an issuer whose JWKS never loaded, and serves the other's", async () => {
    const clock = new ManualClock(NOW * 1000);
    const down = new JwksKeySource({
      jwksUrl: 'https://kc.test.invalid/certs',
      clock,
      fetch: () => Promise.resolve(new Response('unavailable', { status: 503 })),
    });
    const { source } = keySource(clock, () => ours.jwks);
    const verifier = new TokenVerifier({
      issuers: [
        {
          issuer: OURS,
          audience: 'tokenfence-services',
          algorithms: ['ES256'],
          clockToleranceSeconds: 5,
          keys: source.getKey,
          keySource: source,
        },
        {
          issuer: KEYCLOAK,
          audience: 'orders',
          algorithms: ['RS256'],
          clockToleranceSeconds: 5,
          keys: down.getKey,
          keySource: down,
          profile: 'jwt',
        },
      ],
      clock,
    });
    expect(await codeOf(verifier, await sign(keycloak, keycloakClaims()))).toEqual([
      'SIGNING_KEYS_UNAVAILABLE',
      'The signing keys cannot be loaded.',
    ]);
    expect(await verifier.verify(await sign(ours, ourClaims(), { typ: 'at+jwt' }))).toMatchObject({
      iss: OURS,
    });
  });

  it('refuses a header that is not a JSON object as malformed', async () => {
    const clock = new ManualClock(NOW * 1000);
    const { verifier } = twoIssuers(clock, {
      ours: () => ours.jwks,
      keycloak: () => keycloak.jwks,
    });
    const token = await sign(keycloak, keycloakClaims());
    const [, payload, signature] = token.split('.');
    const badHeader = `${Buffer.from('[1]').toString('base64url')}.${payload}.${signature}`;
    expect((await codeOf(verifier, badHeader))[0]).toBe('TOKEN_MALFORMED');
  });

  it('refuses an empty issuer list and an issuer given twice', () => {
    expect(() => new TokenVerifier({ issuers: [] })).toThrow(TypeError);
    const clock = new ManualClock(NOW * 1000);
    const { source } = keySource(clock, () => ours.jwks);
    const one = {
      issuer: OURS,
      audience: 'a',
      algorithms: ['ES256'] as SupportedAlgorithm[],
      clockToleranceSeconds: 5,
      keys: source.getKey,
      keySource: source,
    };
    expect(() => new TokenVerifier({ issuers: [one, one] })).toThrow(
      'TokenVerifier: each issuer must appear once in "issuers"',
    );
  });
});
