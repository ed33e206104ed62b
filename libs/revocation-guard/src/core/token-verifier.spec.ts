import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { GuardError } from './guard-error.js';
import { TokenVerifier } from './token-verifier.js';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'services';
const NOW = 1_800_000_000;

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  keys = createLocalJWKSet({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }],
  });
});

function verifier(extra: object = {}): TokenVerifier {
  return new TokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    clockToleranceSeconds: 5,
    keys,
    clock: { nowMs: () => NOW * 1000 },
    ...extra,
  });
}

function token(
  over: JWTPayload = {},
  header: Record<string, unknown> = {},
  key: CryptoKey = signingKey,
): Promise<string> {
  const claims: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    jti: 'jti-1',
    sid: 'sid-1',
    client_id: 'app',
    scope: 'a b',
    iat: NOW - 60,
    exp: NOW + 600,
    ...over,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header })
    .sign(key);
}

async function codeOf(compact: string): Promise<string | undefined> {
  try {
    await verifier().verify(compact);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(GuardError);
    return (err as GuardError).code;
  }
}

describe('TokenVerifier', () => {
  it('returns the principal of a valid token', async () => {
    const principal = await verifier().verify(await token());
    expect(principal).toMatchObject({
      iss: ISSUER,
      sub: 'user-1',
      sid: 'sid-1',
      jti: 'jti-1',
      clientId: 'app',
      kind: 'user',
      scopes: ['a', 'b'],
      iat: NOW - 60,
      exp: NOW + 600,
      kid: 'k1',
    });
    expect(principal).not.toHaveProperty('scope');
    expect(principal.claims.scope).toBe('a b');
  });

  it('accepts a token without sid or jti, and leaves them out of the principal', async () => {
    const principal = await verifier().verify(await token({ sid: undefined, jti: undefined }));
    expect(principal).toMatchObject({ sub: 'user-1', kind: 'user' });
    expect(principal).not.toHaveProperty('sid');
    expect(principal).not.toHaveProperty('jti');
  });

  it('tells a client acting for itself (no sid, sub = client_id) from a user', async () => {
    const client = await verifier().verify(
      await token({ sub: 'app', client_id: 'app', sid: undefined }),
    );
    expect(client.kind).toBe('client');
    expect(client.clientId).toBe('app');
    // A session makes it a user's token, whatever the sub; so does a sub other than client_id.
    expect((await verifier().verify(await token({ sub: 'app', client_id: 'app' }))).kind).toBe(
      'user',
    );
    expect((await verifier().verify(await token({ sid: undefined }))).kind).toBe('user');
    const noClient = await verifier().verify(await token({ client_id: undefined }));
    expect(noClient.kind).toBe('user');
    expect(noClient).not.toHaveProperty('clientId');
  });

  it('tells expired, bad signature, wrong claims and malformed tokens apart', async () => {
    expect(await codeOf(await token({ exp: NOW - 6 }))).toBe('TOKEN_EXPIRED');
    expect(await codeOf(await token({ exp: NOW - 4 }))).toBeUndefined(); // within tolerance
    expect(await codeOf(await token({}, {}, otherKey))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await codeOf(await token({ iss: 'https://evil.test' }))).toBe('TOKEN_CLAIMS_INVALID');
    expect(await codeOf(await token({ aud: 'other' }))).toBe('TOKEN_CLAIMS_INVALID');
    for (const claim of ['iss', 'aud', 'sub', 'iat', 'exp']) {
      expect([claim, await codeOf(await token({ [claim]: undefined }))]).toEqual([
        claim,
        'TOKEN_CLAIMS_INVALID',
      ]);
    }
    expect(await codeOf(await token({ iat: 'yesterday' as unknown as number }))).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    expect(await codeOf(await token({ nbf: NOW + 60 }))).toBe('TOKEN_CLAIMS_INVALID');
    expect(await codeOf(await token({}, { typ: 'JWT' }))).toBe('TOKEN_CLAIMS_INVALID');
    expect(await codeOf(await token({}, { kid: 'unknown' }))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await codeOf('a.b')).toBe('TOKEN_MALFORMED');
    expect(await codeOf('eyJhbGciOiJFUzI1NiJ9.e30.c2ln')).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await codeOf('eyJub3QganNvbg.e30.c2ln')).toBe('TOKEN_MALFORMED');
  });

  it('F17: refuses sub, and jti, sid or client_id when present, that are not non-empty strings (the denylist keys them)', async () => {
    for (const [claim, value] of [
      ['sub', 42],
      ['jti', 7],
      ['sid', 3],
      ['sid', ''],
      ['jti', ''],
      ['client_id', 5],
      ['client_id', ''],
      ['sub', ['user-1']],
      ['jti', { id: 1 }],
      ['sub', ''],
    ] as const) {
      expect([claim, value, await codeOf(await token({ [claim]: value }))]).toEqual([
        claim,
        value,
        'TOKEN_CLAIMS_INVALID',
      ]);
    }
  });

  it('refuses an iat ahead of the clock beyond the tolerance, naming the claim', async () => {
    const refusal = async (compact: string) =>
      verifier()
        .verify(compact)
        .then(
          () => 'ACCEPTED',
          (err: GuardError) => [err.code, err.message],
        );
    expect(await refusal(await token({ iat: NOW + 5, exp: NOW + 600 }))).toBe('ACCEPTED');
    expect(await refusal(await token({ iat: NOW + 6, exp: NOW + 600 }))).toEqual([
      'TOKEN_CLAIMS_INVALID',
      expect.stringContaining('"iat"'),
    ]);
  });

  it('refuses a token whose exp - iat exceeds maxTokenLifetimeSeconds (default a day)', async () => {
    const refusal = async (compact: string, extra: object = {}) =>
      verifier(extra)
        .verify(compact)
        .then(
          () => 'ACCEPTED',
          (err: GuardError) => [err.code, err.message],
        );
    const aDay = await token({ iat: NOW - 60, exp: NOW - 60 + 86_400 });
    const longer = await token({ iat: NOW - 60, exp: NOW - 60 + 86_401 });
    expect(await refusal(aDay)).toBe('ACCEPTED');
    expect(await refusal(longer)).toEqual([
      'TOKEN_CLAIMS_INVALID',
      expect.stringContaining('"exp"'),
    ]);
    const lifetime = { maxTokenLifetimeSeconds: 900 };
    expect(await refusal(await token({ exp: NOW - 60 + 900 }), lifetime)).toBe('ACCEPTED');
    expect(await refusal(await token({ exp: NOW - 60 + 901 }), lifetime)).toEqual([
      'TOKEN_CLAIMS_INVALID',
      expect.stringContaining('"exp"'),
    ]);
  });

  it('refuses alg none and HMAC tokens whatever their content', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'x',
      jti: 'j',
      sid: 's',
      iat: NOW,
      exp: NOW + 60,
    });
    expect(await codeOf(`${b64({ alg: 'none', typ: 'at+jwt' })}.${claims}.`)).toBe(
      'TOKEN_MALFORMED',
    );
    const hs = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${claims}.c2lnbmF0dXJl`;
    expect(await codeOf(hs)).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('reports an unreachable key source as SIGNING_KEYS_UNAVAILABLE, not as a bad token', async () => {
    const broken = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      clockToleranceSeconds: 5,
      keys: () => Promise.reject(new TypeError('fetch failed')),
      clock: { nowMs: () => NOW * 1000 },
    });
    await expect(broken.verify(await token())).rejects.toMatchObject({
      code: 'SIGNING_KEYS_UNAVAILABLE',
      status: 503,
    });
  });

  it('never puts the token in an error message', async () => {
    const compact = await token({ exp: NOW - 100 });
    const err = await verifier()
      .verify(compact)
      .catch((e: unknown) => e as Error);
    expect(String((err as Error).message)).not.toContain(compact.split('.')[1]);
  });
});

describe('TokenVerifier options', () => {
  it('refuses the 1.x name of the cache size, naming the new one', () => {
    expect(() => verifier({ cacheMaxEntries: 10 })).toThrow(
      new TypeError(
        'TokenVerifier: "cacheMaxEntries" was renamed "verifiedTokenCacheMaxEntries" in 2.0.0; set that instead',
      ),
    );
  });
});

describe('TokenVerifier with the verified-token cache', () => {
  it('skips the signature check for a token seen before, but never past its exp', async () => {
    let nowMs = NOW * 1000;
    let keyLookups = 0;
    const countingKeys: JWTVerifyGetKey = (header, token) => {
      keyLookups++;
      return keys(header, token);
    };
    const cached = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      clockToleranceSeconds: 0,
      keys: countingKeys,
      clock: { nowMs: () => nowMs },
      verifiedTokenCacheMaxEntries: 10,
    });
    const compact = await token({ exp: NOW + 60 });

    await cached.verify(compact);
    await cached.verify(compact);
    expect(keyLookups).toBe(1);

    nowMs = (NOW + 60) * 1000;
    await expect(cached.verify(compact)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(keyLookups).toBe(2);
  });

  it('forgets the tokens of a revoked key', async () => {
    let keyLookups = 0;
    const cached = new TokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      clockToleranceSeconds: 5,
      keys: (header, t) => {
        keyLookups++;
        return keys(header, t);
      },
      clock: { nowMs: () => NOW * 1000 },
      verifiedTokenCacheMaxEntries: 10,
    });
    const compact = await token();
    await cached.verify(compact);
    cached.forgetKey('k1');
    await cached.verify(compact);
    expect(keyLookups).toBe(2);
  });
});

describe('TokenVerifier with expiryAtMs (a message timestamp)', () => {
  it('checks exp and nbf at that earlier time, everything else now', async () => {
    const expired = await token({ iat: NOW - 700, exp: NOW - 100 });
    await expect(verifier().verify(expired)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    await expect(
      verifier().verify(expired, { expiryAtMs: (NOW - 200) * 1000 }),
    ).resolves.toMatchObject({ sub: 'user-1' });
    await expect(
      verifier().verify(expired, { expiryAtMs: (NOW - 90) * 1000 }),
    ).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    const notYet = await token({ nbf: NOW - 10 });
    await expect(
      verifier().verify(notYet, { expiryAtMs: (NOW - 60) * 1000 }),
    ).rejects.toMatchObject({ code: 'TOKEN_CLAIMS_INVALID' });
  });

  it('a time ahead of now is now', async () => {
    const expired = await token({ iat: NOW - 700, exp: NOW - 100 });
    await expect(
      verifier().verify(expired, { expiryAtMs: (NOW + 1000) * 1000 }),
    ).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('still refuses a revoked token, and caches no token that is expired now', async () => {
    const expired = await token({ iat: NOW - 700, exp: NOW - 100 });
    let revoked = false;
    let lookups = 0;
    const checking = verifier({
      verifiedTokenCacheMaxEntries: 10,
      keys: (header: Parameters<JWTVerifyGetKey>[0], t: Parameters<JWTVerifyGetKey>[1]) => {
        lookups++;
        return keys(header, t);
      },
      revocations: {
        check: () => (revoked ? 'session' : undefined),
        isKeyRevoked: () => false,
      },
    });
    const at = { expiryAtMs: (NOW - 200) * 1000 };
    await checking.verify(expired, at);
    await checking.verify(expired, at);
    expect(lookups).toBe(2);
    revoked = true;
    await expect(checking.verify(expired, at)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  });
});
