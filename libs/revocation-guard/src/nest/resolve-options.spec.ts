import { describe, expect, it } from '@jest/globals';
import type { SupportedAlgorithm } from '../core/token-verifier.js';
import { resolveGuardOptions } from './resolve-options.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';

const valid: RevocationGuardModuleOptions = {
  issuer: 'http://127.0.0.1:3000',
  audience: 'services',
  jwksUrl: 'http://127.0.0.1:3000/.well-known/jwks.json',
  kafka: { brokers: ['127.0.0.1:9092'] },
};

describe('resolveGuardOptions', () => {
  it('fills in defaults', () => {
    expect(resolveGuardOptions(valid)).toMatchObject({
      audience: ['services'],
      algorithms: ['ES256', 'EdDSA', 'RS256'],
      clockToleranceSeconds: 5,
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 5_000,
      verifiedTokenCacheMaxEntries: 10_000,
      maxTokenLifetimeSeconds: 86_400,
      denylistPruneIntervalMs: 30_000,
      topic: 'auth.revocations',
    });
  });

  it.each([
    [{ issuer: '' }, 'issuer'],
    [{ audience: [] }, 'audience'],
    [{ jwksUrl: 'jwks.json' }, 'jwksUrl'],
    [{ jwksUrl: 'file:///etc/passwd' }, 'jwksUrl'],
    [{ algorithms: ['HS256' as SupportedAlgorithm] }, 'HS256'],
    [{ algorithms: ['none' as SupportedAlgorithm] }, 'none'],
    [{ clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    [{ kafka: { brokers: [] } }, 'kafka.brokers'],
    [{ jwksCacheMaxAgeMs: 0 }, 'jwksCacheMaxAgeMs'],
    [{ jwksCooldownMs: 10 }, 'jwksCooldownMs'],
    [{ maxTokenLifetimeSeconds: 0 }, 'maxTokenLifetimeSeconds'],
    [{ maxTokenLifetimeSeconds: Number.NaN }, 'maxTokenLifetimeSeconds'],
    [{ denylistPruneIntervalMs: 10 }, 'denylistPruneIntervalMs'],
    [{ denylistPruneIntervalMs: 1.5e3 + 0.5 }, 'denylistPruneIntervalMs'],
  ])('refuses %j with a TypeError', (override, mentions) => {
    const options = { ...valid, ...override };
    expect(() => resolveGuardOptions(options)).toThrow(TypeError);
    expect(() => resolveGuardOptions(options)).toThrow(mentions);
  });

  it('refuses an option renamed in 2.0.0 with a TypeError naming the new name', () => {
    const options = { ...valid, verifiedTokenCacheSize: 10 } as RevocationGuardModuleOptions;
    expect(() => resolveGuardOptions(options)).toThrow(
      new TypeError(
        'RevocationGuardModule: "verifiedTokenCacheSize" was renamed "verifiedTokenCacheMaxEntries" in 2.0.0; set that instead',
      ),
    );
  });

  const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'k1' }] };

  it('takes a local JWKS ("keys") in place of "jwksUrl", never both or neither', () => {
    const withoutUrl = { ...valid, jwksUrl: undefined };
    expect(resolveGuardOptions({ ...withoutUrl, keys: jwks })).toMatchObject({
      jwksUrl: undefined,
      keys: jwks,
    });
    for (const options of [withoutUrl, { ...valid, keys: jwks }]) {
      expect(() => resolveGuardOptions(options)).toThrow(
        new TypeError(
          'RevocationGuardModule: set exactly one of "jwksUrl" (the issuer\'s JWKS URL) and "keys" (a local JWKS)',
        ),
      );
    }
    for (const keys of [{ keys: [] }, { keys: [{}] }, [] as unknown as typeof jwks]) {
      expect(() => resolveGuardOptions({ ...withoutUrl, keys })).toThrow('"keys" must be a JWKS');
    }
  });

  it('needs no "kafka" when an "eventSource" is given, and "kafka.brokers" otherwise', () => {
    const withoutKafka = { ...valid, kafka: undefined };
    const eventSource = { start: () => Promise.resolve(), stop: () => Promise.resolve() };
    expect(() => resolveGuardOptions({ ...withoutKafka, eventSource })).not.toThrow();
    expect(() => resolveGuardOptions(withoutKafka)).toThrow(
      new TypeError(
        'RevocationGuardModule: set "kafka.brokers", e.g. ["127.0.0.1:9092"], or give an "eventSource"',
      ),
    );
  });

  const introspection = { clientId: 'guard', clientSecret: 'a secret for tests' };

  it.each([
    [{ jwksUrl: 'http://auth.example.com/.well-known/jwks.json' }, 'jwksUrl'],
    [{ jwksUrl: 'http://10.0.0.7:3000/.well-known/jwks.json' }, 'jwksUrl'],
    [
      { introspection: { ...introspection, url: 'http://auth.example.com/oauth/introspect' } },
      'introspection.url',
    ],
  ])('F17: refuses plain http to a host that is not loopback: %j', (override, mentions) => {
    const options = { ...valid, ...override };
    expect(() => resolveGuardOptions(options)).toThrow(TypeError);
    expect(() => resolveGuardOptions(options)).toThrow(mentions);
  });

  it.each([
    'http://127.0.0.1:3000/.well-known/jwks.json',
    'http://127.8.9.10/.well-known/jwks.json',
    'http://localhost:3000/.well-known/jwks.json',
    'http://[::1]:3000/.well-known/jwks.json',
    'https://auth.example.com/.well-known/jwks.json',
  ])('takes %s', (jwksUrl) => {
    expect(() => resolveGuardOptions({ ...valid, jwksUrl })).not.toThrow();
  });

  it.each([
    [{ jwksUrl: 'https://user:pass@auth.example.com/.well-known/jwks.json' }, 'jwksUrl'],
    [{ jwksUrl: 'https://user@auth.example.com/.well-known/jwks.json' }, 'jwksUrl'],
    [
      {
        introspection: {
          ...introspection,
          url: 'https://guard:secret@auth.example.com/introspect',
        },
      },
      'introspection.url',
    ],
  ])(
    'refuses credentials in a URL (they would end up in errors and logs): %j',
    (override, mentions) => {
      const options = { ...valid, ...override };
      expect(() => resolveGuardOptions(options)).toThrow(TypeError);
      expect(() => resolveGuardOptions(options)).toThrow(
        `"${mentions}" must not carry credentials`,
      );
    },
  );

  it('takes plain http to another host only when told to (allowInsecureHttp)', () => {
    const jwksUrl = 'http://auth-service:3000/.well-known/jwks.json';
    expect(() => resolveGuardOptions({ ...valid, jwksUrl, allowInsecureHttp: true })).not.toThrow();
  });

  it('microservices: expiry checked now by default, message timestamps bounded', () => {
    expect(resolveGuardOptions(valid).microservices).toEqual({
      tokenExtractor: undefined,
      checkExpiryAt: 'now',
      maxMessageAgeSeconds: 0,
    });
    expect(
      resolveGuardOptions({ ...valid, microservices: { checkExpiryAt: 'message-timestamp' } })
        .microservices,
    ).toMatchObject({ checkExpiryAt: 'message-timestamp', maxMessageAgeSeconds: 300 });
  });

  it.each([
    [{ tokenExtractor: 'authorization' }, 'microservices.tokenExtractor'],
    [{ checkExpiryAt: 'broker-time' }, 'microservices.checkExpiryAt'],
    [{ maxMessageAgeSeconds: 60 }, 'applies only with checkExpiryAt: "message-timestamp"'],
    [{ checkExpiryAt: 'message-timestamp', maxMessageAgeSeconds: 0 }, 'from 1 to 3600'],
    [{ checkExpiryAt: 'message-timestamp', maxMessageAgeSeconds: 3601 }, 'from 1 to 3600'],
    [{ checkExpiryAt: 'message-timestamp', maxMessageAgeSeconds: 1.5 }, 'from 1 to 3600'],
    [{ maxMessageAgeMs: 60_000 }, 'unknown option(s) maxMessageAgeMs'],
  ])('microservices %j is refused with a TypeError naming %s', (microservices, name) => {
    expect(() =>
      resolveGuardOptions({
        ...valid,
        microservices: microservices as RevocationGuardModuleOptions['microservices'],
      }),
    ).toThrow(new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    expect(() =>
      resolveGuardOptions({
        ...valid,
        microservices: microservices as RevocationGuardModuleOptions['microservices'],
      }),
    ).toThrow(TypeError);
  });
});

describe('resolveGuardOptions with several issuers', () => {
  const OURS_JWKS = 'http://127.0.0.1:3000/.well-known/jwks.json';
  const keycloak = {
    issuer: 'http://127.0.0.1:8280/realms/acme',
    audience: 'orders',
    jwksUrl: 'http://127.0.0.1:8280/realms/acme/protocol/openid-connect/certs',
    profile: 'jwt' as const,
    algorithms: ['RS256' as const],
    claims: { scope: 'scope' as const, clientId: 'azp' as const },
    maxTokenLifetimeSeconds: 3600,
    clockToleranceSeconds: 2,
  };
  const several: RevocationGuardModuleOptions = {
    issuers: [
      { issuer: 'http://127.0.0.1:3000', audience: 'tokenfence-services', jwksUrl: OURS_JWKS },
      keycloak,
    ],
    events: { issuer: 'http://127.0.0.1:3000', jwksUrl: OURS_JWKS },
    kafka: { brokers: ['127.0.0.1:9092'] },
  };

  it('resolves each issuer with its defaults, and the events source apart', () => {
    const resolved = resolveGuardOptions(several);
    expect(resolved.issuers).toEqual([
      {
        issuer: 'http://127.0.0.1:3000',
        audience: ['tokenfence-services'],
        jwksUrl: new URL(OURS_JWKS),
        keys: undefined,
        jwksCacheMaxAgeMs: 600_000,
        jwksCooldownMs: 5_000,
        algorithms: ['ES256', 'EdDSA', 'RS256'],
        clockToleranceSeconds: 5,
        maxTokenLifetimeSeconds: 86_400,
        profile: 'rfc9068',
        claims: { scope: 'scope', clientId: 'client_id' },
      },
      expect.objectContaining({
        issuer: keycloak.issuer,
        audience: ['orders'],
        profile: 'jwt',
        algorithms: ['RS256'],
        claims: { scope: 'scope', clientId: 'azp' },
        maxTokenLifetimeSeconds: 3600,
        clockToleranceSeconds: 2,
      }),
    ]);
    expect(resolved.events).toEqual({
      issuer: 'http://127.0.0.1:3000',
      jwksUrl: new URL(OURS_JWKS),
      keys: undefined,
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 5_000,
    });
  });

  it('reads the single-issuer form as one issuer that is also the events source', () => {
    const resolved = resolveGuardOptions(valid);
    expect(resolved.issuers).toHaveLength(1);
    expect(resolved.issuers[0]).toMatchObject({ issuer: valid.issuer, profile: 'rfc9068' });
    expect(resolved.events).toMatchObject({
      issuer: valid.issuer,
      jwksUrl: new URL(valid.jwksUrl as string),
    });
  });

  const message = (options: RevocationGuardModuleOptions): string => {
    try {
      resolveGuardOptions(options);
    } catch (err) {
      expect(err).toBeInstanceOf(TypeError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it.each<[string, RevocationGuardModuleOptions, string]>([
    [
      'issuers beside single-issuer fields',
      { ...several, issuer: 'http://127.0.0.1:3000', jwksUrl: OURS_JWKS },
      '"issuers" and the single-issuer fields are mutually exclusive; move "issuer", "jwksUrl" into an entry of "issuers"',
    ],
    [
      'an empty issuers list',
      { ...several, issuers: [] },
      '"issuers" must be a non-empty list of token issuers ({ issuer, audience, jwksUrl })',
    ],
    [
      'an issuer given twice',
      { ...several, issuers: [keycloak, { ...keycloak, audience: 'game' }] },
      `"issuers" names "${keycloak.issuer}" twice; give each issuer once`,
    ],
    [
      'issuers without events',
      { ...several, events: undefined },
      'set "events" ({ issuer, jwksUrl or keys }): the issuer and JWKS of the revocation events',
    ],
    [
      'events without issuers',
      { ...valid, events: { issuer: 'http://127.0.0.1:3000', jwksUrl: OURS_JWKS } },
      '"events" goes with "issuers"; in the single-issuer form the events come from "issuer" and its keys',
    ],
    [
      'a profile in the single-issuer form',
      { ...valid, profile: 'jwt' } as RevocationGuardModuleOptions,
      '"profile" are settings of an entry of "issuers"',
    ],
    [
      'an unknown profile',
      { ...several, issuers: [{ ...keycloak, profile: 'oidc' as 'jwt' }] },
      '"issuers[0].profile" must be "rfc9068" (typ at+jwt, the default) or "jwt" (typ JWT)',
    ],
    [
      'an unknown scope claim',
      { ...several, issuers: [{ ...keycloak, claims: { scope: 'scopes' as 'scp' } }] },
      '"issuers[0].claims.scope" must be "scope" or "scp"',
    ],
    [
      'an unknown client claim',
      { ...several, issuers: [{ ...keycloak, claims: { clientId: 'oid' as 'azp' } }] },
      '"issuers[0].claims.clientId" must be one of "client_id", "azp", "cid", "appid"',
    ],
    [
      'a misspelt issuer option',
      { ...several, issuers: [{ ...keycloak, jwks_url: 'x' } as typeof keycloak] },
      '"issuers[0]" has unknown option(s) jwks_url',
    ],
    [
      'an issuer without audience',
      { ...several, issuers: [{ ...keycloak, audience: [] }] },
      'set "issuers[0].audience" to a non-empty string or array',
    ],
    [
      'an issuer with both jwksUrl and keys',
      { ...several, issuers: [{ ...keycloak, keys: { keys: [{ kty: 'RSA' }] } }] },
      'set exactly one of "issuers[0].jwksUrl" (the issuer\'s JWKS URL) and "issuers[0].keys" (a local JWKS)',
    ],
    [
      'plain http to a non-loopback JWKS',
      { ...several, issuers: [{ ...keycloak, jwksUrl: 'http://keycloak:8080/certs' }] },
      '"issuers[0].jwksUrl" must be an https URL',
    ],
    [
      'an HMAC algorithm',
      { ...several, issuers: [{ ...keycloak, algorithms: ['HS256' as 'RS256'] }] },
      '"issuers[0].algorithms" must be asymmetric JWS algorithms; refused: HS256',
    ],
    [
      'a negative tolerance',
      { ...several, issuers: [{ ...keycloak, clockToleranceSeconds: -1 }] },
      '"issuers[0].clockToleranceSeconds" must be a non-negative number',
    ],
    [
      'events without issuer',
      { ...several, events: { issuer: '', jwksUrl: OURS_JWKS } },
      'set "events.issuer"',
    ],
    [
      'events with plain http off the host',
      { ...several, events: { issuer: 'x', jwksUrl: 'http://auth:3000/jwks.json' } },
      '"events.jwksUrl" must be an https URL',
    ],
    [
      'events without keys',
      { ...several, events: { issuer: 'x' } },
      'set exactly one of "events.jwksUrl"',
    ],
  ])('refuses %s with a TypeError', (_name, options, expected) => {
    expect(message(options)).toContain(`RevocationGuardModule: ${expected}`);
  });

  it('lets allowInsecureHttp apply to every issuer and the events alike', () => {
    const jwksUrl = 'http://keycloak:8080/certs';
    expect(() =>
      resolveGuardOptions({
        ...several,
        issuers: [{ ...keycloak, jwksUrl }],
        events: { issuer: 'x', jwksUrl: 'http://auth:3000/jwks.json' },
        allowInsecureHttp: true,
      }),
    ).not.toThrow();
  });
});
