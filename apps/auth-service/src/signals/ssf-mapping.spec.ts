import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { parseIdentityProviders } from './identity-providers.js';
import { verifySecurityEventToken, type SecurityEventToken } from './security-event-token.js';
import type { SignalErrorCode } from './signal-error.js';
import { meaningOf, SSF_EVENT_TYPES } from './ssf-mapping.js';

const ISSUER = 'http://127.0.0.1:8280/realms/ssft';
const NOW = 1_796_025_748;
const NOW_MS = NOW * 1000;
const USER = '2054f4bd-ee42-46ad-8af9-bd770836eca0';
const AUD = 'ssf-receiver/c50ba57c-28e6-4a1d-a55a-e36267cccdc4';

const providerWith = (ssf: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
  parseIdentityProviders(
    JSON.stringify([
      {
        id: 'keycloak',
        issuer: ISSUER,
        jwks_uri: `${ISSUER}/protocol/openid-connect/certs`,
        ssf: { delivery: 'push', client_id: 'ssf-receiver', client_secret: 's', ...ssf },
        ...more,
      },
    ]),
  )[0];
const provider = providerWith();

const set = (
  eventType: string,
  subject: Record<string, unknown> | undefined,
  event: Record<string, unknown> = { event_timestamp: NOW - 1 },
): SecurityEventToken => ({ jti: 'j', iat: NOW, eventType, event, subject });

const user = { format: 'iss_sub', iss: ISSUER, sub: USER };
const complex = (id: string) => ({
  format: 'complex',
  user,
  session: { format: 'opaque', id },
});

describe('what a security event revokes (the README table)', () => {
  it('session-revoked of a user and a session (Keycloak end-session logout): that session', () => {
    expect(
      meaningOf(
        provider,
        set(SSF_EVENT_TYPES.sessionRevoked, complex('qdXILH2Bn3Jg1UbgGeAnbSDY')),
        NOW_MS,
      ),
    ).toEqual({
      kind: 'revoke',
      revocations: [
        {
          sub: USER,
          target: { scope: 'session', sid: 'qdXILH2Bn3Jg1UbgGeAnbSDY' },
          reason: 'logout',
        },
      ],
    });
  });

  it('session-revoked of session ALL (Keycloak admin user logout): a user cutoff', () => {
    expect(
      meaningOf(provider, set(SSF_EVENT_TYPES.sessionRevoked, complex('ALL')), NOW_MS),
    ).toEqual({
      kind: 'revoke',
      revocations: [
        { sub: USER, target: { scope: 'user', cutoff: NOW - 1 }, reason: 'logout-all' },
      ],
    });
  });

  it.each([
    [SSF_EVENT_TYPES.credentialChange, 'password-change'],
    [SSF_EVENT_TYPES.tokenClaimsChange, 'token-claims-change'],
    [SSF_EVENT_TYPES.accountDisabled, 'account-disabled'],
    [SSF_EVENT_TYPES.accountPurged, 'account-purged'],
    [SSF_EVENT_TYPES.credentialCompromise, 'credential-compromise'],
  ])('%s of a user: a user cutoff at its event_timestamp', (eventType, reason) => {
    expect(meaningOf(provider, set(eventType, user), NOW_MS)).toEqual({
      kind: 'revoke',
      revocations: [{ sub: USER, target: { scope: 'user', cutoff: NOW - 1 }, reason }],
    });
  });

  it('a jwt_id subject: that token', () => {
    const subject = { format: 'jwt_id', iss: ISSUER, jti: 'onrtro:bb599220' };
    expect(meaningOf(provider, set(SSF_EVENT_TYPES.sessionRevoked, subject), NOW_MS)).toEqual({
      kind: 'revoke',
      revocations: [
        {
          sub: 'onrtro:bb599220',
          target: { scope: 'token', jti: 'onrtro:bb599220' },
          reason: 'oauth-revoke',
        },
      ],
    });
  });

  it('an opaque subject by the provider rule: a user, a session, or nothing', () => {
    const opaque = { format: 'opaque', id: 'x-1' };
    const event = set(SSF_EVENT_TYPES.sessionRevoked, opaque);
    expect(meaningOf(providerWith({ opaque_subjects: 'sub' }), event, NOW_MS)).toMatchObject({
      revocations: [{ sub: 'x-1', target: { scope: 'user' } }],
    });
    expect(meaningOf(providerWith({ opaque_subjects: 'sid' }), event, NOW_MS)).toMatchObject({
      revocations: [{ sub: 'x-1', target: { scope: 'session', sid: 'x-1' } }],
    });
    expect(meaningOf(provider, event, NOW_MS)).toMatchObject({ kind: 'unmappable' });
  });

  it.each([
    [
      'an email subject',
      set(SSF_EVENT_TYPES.credentialChange, { format: 'email', email: 'a@b.c' }),
    ],
    [
      'a user of another issuer',
      set(SSF_EVENT_TYPES.credentialChange, { ...user, iss: 'https://other' }),
    ],
    [
      'a jwt_id of another issuer',
      set(SSF_EVENT_TYPES.sessionRevoked, { format: 'jwt_id', iss: 'https://other', jti: 'j' }),
    ],
    [
      'an event type we do not act on',
      set('https://schemas.openid.net/secevent/caep/event-type/assurance-level-change', user),
    ],
    ['no subject', set(SSF_EVENT_TYPES.credentialChange, undefined)],
  ])('%s: unmappable (acknowledged, counted)', (_name, event) => {
    expect(meaningOf(provider, event, NOW_MS).kind).toBe('unmappable');
  });

  it('a session of a provider whose access tokens carry no sid: the user', () => {
    const noSid = providerWith({}, { access_tokens_carry_sid: false });
    expect(
      meaningOf(noSid, set(SSF_EVENT_TYPES.sessionRevoked, complex('s-1')), NOW_MS),
    ).toMatchObject({
      revocations: [{ sub: USER, target: { scope: 'user' }, reason: 'logout-all' }],
    });
  });

  it('clamps the cutoff to [now - skew, now], and uses iat without event_timestamp', () => {
    const cutoffOf = (event: Record<string, unknown>) => {
      const meaning = meaningOf(
        provider,
        set(SSF_EVENT_TYPES.credentialChange, user, event),
        NOW_MS,
      );
      return meaning.kind === 'revoke' ? meaning.revocations[0]?.target : undefined;
    };
    expect(cutoffOf({ event_timestamp: NOW + 500 })).toEqual({ scope: 'user', cutoff: NOW });
    expect(cutoffOf({ event_timestamp: NOW - 86_400 })).toEqual({
      scope: 'user',
      cutoff: NOW - 60,
    });
    expect(cutoffOf({})).toEqual({ scope: 'user', cutoff: NOW });
  });

  it('verification and stream-updated events: acknowledged, nothing revoked', () => {
    expect(
      meaningOf(provider, set(SSF_EVENT_TYPES.verification, undefined, { state: 's-1' }), NOW_MS),
    ).toEqual({
      kind: 'verification',
      state: 's-1',
    });
    expect(meaningOf(provider, set(SSF_EVENT_TYPES.streamUpdated, undefined, {}), NOW_MS)).toEqual({
      kind: 'stream',
    });
  });
});

const key = await generateKeyPair('RS256');
const keys = createLocalJWKSet({
  keys: [{ ...(await exportJWK(key.publicKey)), kid: 'k', alg: 'RS256' }],
});

describe('a security event token (RFC 8417, SSF 1.0)', () => {
  const keycloakSet = (changes: Record<string, unknown> = {}): JWTPayload => {
    const claims: Record<string, unknown> = {
      jti: '38fabea2-f372-4d14-c098-08b2c232dc63',
      iss: ISSUER,
      iat: NOW,
      aud: AUD,
      events: {
        [SSF_EVENT_TYPES.sessionRevoked]: { event_timestamp: NOW, initiating_entity: 'user' },
      },
      sub_id: complex('qdXILH2Bn3Jg1UbgGeAnbSDY'),
      txn: '8b50a853-6d26-47f8-a57d-b27b888607d3',
      ...changes,
    };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    return claims;
  };
  const sign = (claims: JWTPayload, typ = 'secevent+jwt') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ, kid: 'k' }).sign(key.privateKey);
  const refusal = async (token: string): Promise<SignalErrorCode> => {
    try {
      await verifySecurityEventToken(token, provider, keys, [AUD], NOW_MS);
    } catch (err) {
      return (err as { code: SignalErrorCode }).code;
    }
    throw new Error('accepted');
  };

  it('is accepted as Keycloak sends it', async () => {
    await expect(
      verifySecurityEventToken(await sign(keycloakSet()), provider, keys, [AUD], NOW_MS),
    ).resolves.toMatchObject({
      jti: '38fabea2-f372-4d14-c098-08b2c232dc63',
      eventType: SSF_EVENT_TYPES.sessionRevoked,
      subject: { format: 'complex' },
    });
  });

  it.each([
    ['from another issuer', keycloakSet({ iss: `${ISSUER}x` }), 'SIGNAL_ISSUER_INVALID'],
    ['for another stream', keycloakSet({ aud: 'ssf-receiver/other' }), 'SIGNAL_AUDIENCE_INVALID'],
    ['with two events', keycloakSet({ events: { a: {}, b: {} } }), 'SIGNAL_CLAIMS_INVALID'],
    ['with no event', keycloakSet({ events: {} }), 'SIGNAL_CLAIMS_INVALID'],
    ['without jti', keycloakSet({ jti: undefined }), 'SIGNAL_CLAIMS_INVALID'],
    ['issued in the future', keycloakSet({ iat: NOW + 120 }), 'SIGNAL_CLAIMS_INVALID'],
    ['issued three days ago', keycloakSet({ iat: NOW - 3 * 86_400 }), 'SIGNAL_CLAIMS_INVALID'],
  ])('is refused %s', async (_name, claims, code) => {
    expect(await refusal(await sign(claims))).toBe(code);
  });

  it('is refused typed as a plain JWT, or signed by another key', async () => {
    expect(await refusal(await sign(keycloakSet(), 'JWT'))).toBe('SIGNAL_CLAIMS_INVALID');
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT(keycloakSet())
      .setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: 'k' })
      .sign(other.privateKey);
    expect(await refusal(forged)).toBe('SIGNAL_SIGNATURE_INVALID');
  });
});
