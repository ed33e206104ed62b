import { describe, expect, it } from '@jest/globals';
import { loadAuthConfig, longestTokenLifetimeSeconds } from '../config/auth-config.js';
import { parseIdentityProviders } from './identity-providers.js';

const KEYCLOAK = {
  id: 'keycloak',
  issuer: 'http://127.0.0.1:8080/realms/acme',
  jwks_uri: 'http://127.0.0.1:8080/realms/acme/protocol/openid-connect/certs',
};
const parse = (entries: unknown) => parseIdentityProviders(JSON.stringify(entries));

describe('IDENTITY_PROVIDERS', () => {
  it('is empty unset, and fills in defaults', () => {
    expect(parseIdentityProviders(undefined)).toEqual([]);
    expect(parse([{ ...KEYCLOAK, backchannel_logout: { audiences: ['app', 'app'] } }])).toEqual([
      {
        id: 'keycloak',
        issuer: KEYCLOAK.issuer,
        jwksUri: KEYCLOAK.jwks_uri,
        algorithms: ['RS256'],
        maxTokenLifetimeSeconds: 86_400,
        clockSkewSeconds: 60,
        accessTokensCarrySid: true,
        backChannelLogout: { audiences: ['app'] },
      },
    ]);
  });

  it.each([
    ['not JSON', '[{'],
    ['not an array', '{}'],
    ['an id with capitals or slashes', JSON.stringify([{ ...KEYCLOAK, id: 'Key/cloak' }])],
    ['an issuer that is not a URL', JSON.stringify([{ ...KEYCLOAK, issuer: 'keycloak' }])],
    [
      'a JWKS over plain http to another host',
      JSON.stringify([{ ...KEYCLOAK, jwks_uri: 'http://kc.example/certs' }]),
    ],
    ['HMAC', JSON.stringify([{ ...KEYCLOAK, algorithms: ['HS256'] }])],
    ['none', JSON.stringify([{ ...KEYCLOAK, algorithms: ['none'] }])],
    ['a lifetime of 30 s', JSON.stringify([{ ...KEYCLOAK, max_token_lifetime_seconds: 30 }])],
    [
      'a back-channel logout without audiences',
      JSON.stringify([{ ...KEYCLOAK, backchannel_logout: {} }]),
    ],
    ['two providers with one id', JSON.stringify([KEYCLOAK, { ...KEYCLOAK, issuer: 'https://x' }])],
    ['two providers with one issuer', JSON.stringify([KEYCLOAK, { ...KEYCLOAK, id: 'other' }])],
  ])('refuses %s', (_name, raw) => {
    expect(() => parseIdentityProviders(raw)).toThrow(/IDENTITY_PROVIDERS must be/);
  });

  it("refuses a provider with this service's own issuer", () => {
    expect(() =>
      loadAuthConfig({
        KAFKA_BROKERS: '127.0.0.1:9092',
        AUTH_ISSUER: 'http://127.0.0.1:3000',
        IDENTITY_PROVIDERS: JSON.stringify([{ ...KEYCLOAK, issuer: 'http://127.0.0.1:3000' }]),
      }),
    ).toThrow(/IDENTITY_PROVIDERS must be entries whose "issuer" is not this service's/);
  });

  it("makes the topic keep revocations as long as the longest-lived provider's tokens", () => {
    const config = loadAuthConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      ACCESS_TOKEN_TTL_SECONDS: '900',
      IDENTITY_PROVIDERS: JSON.stringify([
        { ...KEYCLOAK, max_token_lifetime_seconds: 3600, clock_skew_seconds: 30 },
      ]),
    });
    expect(longestTokenLifetimeSeconds(config)).toBe(3630);
    expect(longestTokenLifetimeSeconds({ ...config, identityProviders: [] })).toBe(900);
  });
});
