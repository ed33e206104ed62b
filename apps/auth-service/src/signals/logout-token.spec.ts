import { describe, expect, it } from '@jest/globals';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { logoutRevocations } from './backchannel-logout.controller.js';
import { parseIdentityProviders, type IdentityProvider } from './identity-providers.js';
import { BACKCHANNEL_LOGOUT_EVENT, verifyLogoutToken } from './logout-token.js';
import type { SignalErrorCode } from './signal-error.js';

const ISSUER = 'http://127.0.0.1:8080/realms/acme';
const NOW = 1_796_025_811;
const NOW_MS = NOW * 1000;

const [provider] = parseIdentityProviders(
  JSON.stringify([
    {
      id: 'keycloak',
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/protocol/openid-connect/certs`,
      backchannel_logout: { audiences: ['app'] },
    },
  ]),
) as [IdentityProvider];

const providerKey = await generateKeyPair('RS256');
const otherKey = await generateKeyPair('RS256');
const keys: JWTVerifyGetKey = createLocalJWKSet({
  keys: [{ ...(await exportJWK(providerKey.publicKey)), kid: 'kc-1', alg: 'RS256' }],
});

/** A logout token as Keycloak 26.7.3 sends it (recipe section 4), with `changes` applied. */
function keycloakClaims(changes: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    exp: NOW + 120,
    iat: NOW,
    jti: '042b5b6b-c6f7-5052-d09b-364f68b66290',
    iss: ISSUER,
    aud: 'app',
    sub: '2054f4bd-ee42-46ad-8af9-bd770836eca0',
    typ: 'Logout',
    sid: '78McGINsgE_Ny1yQgdV6CM2K',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...changes,
  };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims;
}

async function sign(
  claims: JWTPayload,
  header: Record<string, unknown> = {},
  key = providerKey.privateKey,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: 'kc-1', ...header })
    .sign(key);
}

async function refusal(token: string): Promise<SignalErrorCode> {
  try {
    await verifyLogoutToken(token, provider, keys, NOW_MS);
  } catch (err) {
    return (err as { code: SignalErrorCode }).code;
  }
  throw new Error('the logout token was accepted');
}

describe('a logout token (OIDC Back-Channel Logout 1.0 section 2.6)', () => {
  it('is accepted as Keycloak sends it, and names the user and the session', async () => {
    await expect(
      verifyLogoutToken(await sign(keycloakClaims()), provider, keys, NOW_MS),
    ).resolves.toEqual({
      jti: '042b5b6b-c6f7-5052-d09b-364f68b66290',
      sub: '2054f4bd-ee42-46ad-8af9-bd770836eca0',
      sid: '78McGINsgE_Ny1yQgdV6CM2K',
      iat: NOW,
      exp: NOW + 120,
    });
  });

  it.each([
    ['typed as a plain JWT', {}, { typ: 'JWT' }],
    ['untyped', {}, { typ: undefined }],
    ['expired', { exp: NOW - 61 }, {}],
    ['without exp', { exp: undefined }, {}],
    ['without iat', { iat: undefined }, {}],
    ['issued in the future', { iat: NOW + 61, exp: NOW + 180 }, {}],
    ['issued more than ten minutes ago', { iat: NOW - 700, exp: NOW + 60 }, {}],
    ['without jti', { jti: undefined }, {}],
    ['without the logout event', { events: { 'urn:other': {} } }, {}],
    [
      'with a logout event that is not an object',
      { events: { [BACKCHANNEL_LOGOUT_EVENT]: 1 } },
      {},
    ],
    ['without events', { events: undefined }, {}],
    ['carrying a nonce (an ID token)', { nonce: 'n-0S6_WzA2Mj' }, {}],
    ['naming neither sub nor sid', { sub: undefined, sid: undefined }, {}],
    ['with an empty sid', { sid: '' }, {}],
    ['with a sid of 257 characters', { sid: 'x'.repeat(257) }, {}],
  ])('is refused %s: SIGNAL_CLAIMS_INVALID', async (_name, changes, header) => {
    expect(await refusal(await sign(keycloakClaims(changes), header))).toBe(
      'SIGNAL_CLAIMS_INVALID',
    );
  });

  it("is refused signed by a key that is not the provider's: SIGNAL_SIGNATURE_INVALID", async () => {
    expect(await refusal(await sign(keycloakClaims(), {}, otherKey.privateKey))).toBe(
      'SIGNAL_SIGNATURE_INVALID',
    );
  });

  it('is refused under an algorithm not allowed for the provider: SIGNAL_SIGNATURE_INVALID', async () => {
    const token = await new SignJWT(keycloakClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'logout+jwt', kid: 'kc-1' })
      .sign(new TextEncoder().encode('a shared secret an attacker guessed, 32+ bytes long'));
    expect(await refusal(token)).toBe('SIGNAL_SIGNATURE_INVALID');
  });

  it('is refused unsigned (alg none), encrypted or oversized: SIGNAL_MALFORMED', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(
      await refusal(`${part({ alg: 'none', typ: 'logout+jwt' })}.${part(keycloakClaims())}.`),
    ).toBe('SIGNAL_MALFORMED');
    expect(await refusal('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d')).toBe('SIGNAL_MALFORMED');
    expect(await refusal(await sign(keycloakClaims({ pad: 'x'.repeat(9000) })))).toBe(
      'SIGNAL_MALFORMED',
    );
  });
});

describe('what a logout token revokes', () => {
  const token = {
    jti: 'j',
    sub: 'user-1',
    sid: 'session-1',
    iat: NOW - 3,
    exp: NOW + 117,
  };
  const withoutSid = { ...provider, accessTokensCarrySid: false };

  it("a session, when the provider's access tokens carry sid", () => {
    expect(logoutRevocations(provider, token, NOW_MS)).toEqual([
      { sub: 'user-1', target: { scope: 'session', sid: 'session-1' }, reason: 'logout' },
    ]);
    expect(logoutRevocations(provider, { ...token, sub: undefined }, NOW_MS)).toEqual([
      { sub: 'session-1', target: { scope: 'session', sid: 'session-1' }, reason: 'logout' },
    ]);
  });

  it('every token of the user up to the logout, for sub alone', () => {
    expect(logoutRevocations(provider, { ...token, sid: undefined }, NOW_MS)).toEqual([
      { sub: 'user-1', target: { scope: 'user', cutoff: NOW - 3 }, reason: 'logout-all' },
    ]);
  });

  it("every token of the user when the provider's access tokens carry no sid", () => {
    expect(logoutRevocations(withoutSid, token, NOW_MS)).toEqual([
      { sub: 'user-1', target: { scope: 'user', cutoff: NOW - 3 }, reason: 'logout-all' },
    ]);
  });

  it('nothing it could name, for sid alone when access tokens carry none: SIGNAL_SESSION_UNUSABLE', () => {
    expect(() => logoutRevocations(withoutSid, { ...token, sub: undefined }, NOW_MS)).toThrow(
      expect.objectContaining({ code: 'SIGNAL_SESSION_UNUSABLE' }),
    );
  });

  it('a user cutoff at its iat, within [now - skew, now]', () => {
    const cutoffAt = (iat: number) => {
      const [revocation] = logoutRevocations(provider, { ...token, sid: undefined, iat }, NOW_MS);
      return revocation?.target.scope === 'user' ? revocation.target.cutoff : undefined;
    };
    expect(cutoffAt(NOW - 10)).toBe(NOW - 10);
    expect(cutoffAt(NOW + 30)).toBe(NOW); // never ahead of our clock
    expect(cutoffAt(NOW - 3600)).toBe(NOW - provider.clockSkewSeconds); // late or misdated
  });
});
