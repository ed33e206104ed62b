import { describe, expect, it } from '@jest/globals';
import { loadAuthConfig } from './auth-config.js';

describe('loadAuthConfig', () => {
  it('has local defaults and strips a trailing slash from the issuer', () => {
    const config = loadAuthConfig({
      KAFKA_BROKERS: '127.0.0.1:9092',
      AUTH_ISSUER: 'https://auth.example.com/',
    });
    expect(config).toMatchObject({
      port: 3000,
      issuer: 'https://auth.example.com',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 14 * 86_400,
      signingAlgorithm: 'ES256',
      kafkaBrokers: ['127.0.0.1:9092'],
      revocationTopic: 'auth.revocations',
      databaseUrl: undefined,
    });
    expect(config.loginLockout).toEqual({
      threshold: 5,
      baseMs: 1_000,
      maxMs: 900_000,
      resetMs: 86_400_000,
    });
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1', PORT: '4000' }).issuer).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it('reads OAuth clients with their allowed scopes', () => {
    const clients = loadAuthConfig({
      KAFKA_BROKERS: 'k:1',
      OAUTH_CLIENTS: JSON.stringify([
        { client_id: 'shop', allowed_scopes: ['profile', 'orders:read'] },
        { client_id: 'bare' },
        { client_id: 'tokenfence-first-party' },
      ]),
    }).clients;
    const defaults = { grantTypes: ['refresh_token'], redirectUris: [], allowedOrigins: [] };
    expect(clients).toEqual([
      {
        clientId: 'shop',
        secretSha256: undefined,
        allowedScopes: ['profile', 'orders:read'],
        introspectAudiences: [],
        ...defaults,
        name: 'shop',
      },
      {
        clientId: 'bare',
        secretSha256: undefined,
        allowedScopes: [],
        introspectAudiences: [],
        ...defaults,
        name: 'bare',
      },
      {
        clientId: 'tokenfence-first-party',
        secretSha256: undefined,
        allowedScopes: undefined,
        introspectAudiences: [],
        ...defaults,
        name: 'tokenfence-first-party',
      },
    ]);
  });

  it('reads BROWSER_SESSION_TTL_SECONDS, a day by default, never past the session maximum', () => {
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1' }).browserSessionTtlSeconds).toBe(86_400);
    expect(
      loadAuthConfig({ KAFKA_BROKERS: 'k:1', BROWSER_SESSION_TTL_SECONDS: '3600' })
        .browserSessionTtlSeconds,
    ).toBe(3600);
    expect(
      loadAuthConfig({ KAFKA_BROKERS: 'k:1', SESSION_MAX_AGE_SECONDS: '600' })
        .browserSessionTtlSeconds,
    ).toBe(600);
    for (const bad of ['0', '59', '1.5', 'day']) {
      expect(() =>
        loadAuthConfig({ KAFKA_BROKERS: 'k:1', BROWSER_SESSION_TTL_SECONDS: bad }),
      ).toThrow('BROWSER_SESSION_TTL_SECONDS');
    }
  });

  it('reads the login lockout settings', () => {
    const env = {
      KAFKA_BROKERS: 'k:1',
      LOGIN_LOCKOUT_THRESHOLD: '2',
      LOGIN_LOCKOUT_BASE_SECONDS: '3',
      LOGIN_LOCKOUT_MAX_SECONDS: '12',
      LOGIN_LOCKOUT_RESET_SECONDS: '100',
    };
    expect(loadAuthConfig(env).loginLockout).toEqual({
      threshold: 2,
      baseMs: 3_000,
      maxMs: 12_000,
      resetMs: 100_000,
    });
  });

  it('trusts no proxy by default; TRUST_PROXY takes a hop count or proxy addresses (F16)', () => {
    const withTrustProxy = (value?: string) =>
      loadAuthConfig({
        KAFKA_BROKERS: 'k:1',
        ...(value === undefined ? {} : { TRUST_PROXY: value }),
      });
    for (const off of [undefined, '', 'false', '0']) {
      expect(withTrustProxy(off)).toMatchObject({ trustProxy: false });
    }
    expect(withTrustProxy('2')).toMatchObject({ trustProxy: 2 });
    expect(
      withTrustProxy(' loopback, 10.0.0.0/8 ,192.0.2.7, fd00::/8, ::1, uniquelocal'),
    ).toMatchObject({
      trustProxy: ['loopback', '10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1', 'uniquelocal'],
    });
  });

  it.each([
    ['true', 'any X-Forwarded-For'],
    ['yes', 'TRUST_PROXY'],
    ['11', 'TRUST_PROXY'],
    ['-1', 'TRUST_PROXY'],
    ['10.0.0.0/33', 'TRUST_PROXY'],
    ['0.0.0.0/0', 'TRUST_PROXY'],
    ['::/0', 'TRUST_PROXY'],
    ['10.0.0.0/8,,', 'TRUST_PROXY'],
    ['proxy.example.com', 'TRUST_PROXY'],
    ['10.0.0.0/255.0.0.0', 'TRUST_PROXY'],
  ])('refuses TRUST_PROXY=%j at start-up', (value, message) => {
    expect(() => loadAuthConfig({ KAFKA_BROKERS: 'k:1', TRUST_PROXY: value })).toThrow(TypeError);
    expect(() => loadAuthConfig({ KAFKA_BROKERS: 'k:1', TRUST_PROXY: value })).toThrow(message);
  });

  it.each([
    [{}, 'KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'k:1', JWT_ALG: 'HS256' }, 'JWT_ALG'],
    [{ KAFKA_BROKERS: 'k:1', PORT: 'abc' }, 'PORT'],
    [{ KAFKA_BROKERS: 'k:1', AUTH_ISSUER: 'not a url' }, 'AUTH_ISSUER'],
    [{ KAFKA_BROKERS: 'k:1', ACCESS_TOKEN_TTL_SECONDS: '5' }, 'ACCESS_TOKEN_TTL_SECONDS'],
    [{ KAFKA_BROKERS: 'k:1', DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [
      { KAFKA_BROKERS: 'k:1', ACCESS_TOKEN_TTL_SECONDS: '3600', REFRESH_TOKEN_TTL_SECONDS: '600' },
      'REFRESH_TOKEN_TTL_SECONDS',
    ],
    [{ KAFKA_BROKERS: 'k:1', LOGIN_LOCKOUT_THRESHOLD: '0' }, 'LOGIN_LOCKOUT_THRESHOLD'],
    [
      { KAFKA_BROKERS: 'k:1', OAUTH_CLIENTS: '[{"client_id":"c","allowed_scopes":"profile"}]' },
      'allowed_scopes',
    ],
    [
      { KAFKA_BROKERS: 'k:1', OAUTH_CLIENTS: '[{"client_id":"c","allowed_scopes":["a b"]}]' },
      'allowed_scopes',
    ],
    [
      { KAFKA_BROKERS: 'k:1', LOGIN_LOCKOUT_BASE_SECONDS: '60', LOGIN_LOCKOUT_MAX_SECONDS: '30' },
      'LOGIN_LOCKOUT_MAX_SECONDS',
    ],
    [
      {
        KAFKA_BROKERS: 'k:1',
        LOGIN_LOCKOUT_MAX_SECONDS: '3600',
        LOGIN_LOCKOUT_RESET_SECONDS: '60',
      },
      'LOGIN_LOCKOUT_RESET_SECONDS',
    ],
  ])('fails fast with a TypeError naming what to set: %j', (env, name) => {
    expect(() => loadAuthConfig(env)).toThrow(TypeError);
    expect(() => loadAuthConfig(env)).toThrow(name);
  });

  describe('introspect_audiences (a resource server may introspect access tokens for them)', () => {
    const client = (extra: Record<string, unknown>) => ({
      KAFKA_BROKERS: 'k:1',
      AUTH_AUDIENCE: 'orders-service',
      OAUTH_CLIENTS: JSON.stringify([
        { client_id: 'rs', client_secret_sha256: 'A'.repeat(43), ...extra },
      ]),
    });

    it('reads them, none by default', () => {
      const [rs] = loadAuthConfig(client({ introspect_audiences: ['orders-service'] })).clients;
      expect(rs).toMatchObject({ clientId: 'rs', introspectAudiences: ['orders-service'] });
      expect(loadAuthConfig(client({})).clients[0]).toMatchObject({ introspectAudiences: [] });
    });

    it.each([
      ['not an array', client({ introspect_audiences: 'orders-service' })],
      ['an empty string', client({ introspect_audiences: [''] })],
      ['an audience no token carries', client({ introspect_audiences: ['billing'] })],
      [
        'a public client',
        {
          KAFKA_BROKERS: 'k:1',
          OAUTH_CLIENTS: '[{"client_id":"p","introspect_audiences":["tokenfence-services"]}]',
        },
      ],
    ])('fails fast on %s, naming the field', (_case, env) => {
      expect(() => loadAuthConfig(env)).toThrow(TypeError);
      expect(() => loadAuthConfig(env)).toThrow('introspect_audiences');
    });
  });
});

describe('OAuth clients of the front door (grants, redirect URIs, origins)', () => {
  const SECRET = 'A'.repeat(43);
  const clients = (...entries: Record<string, unknown>[]) =>
    loadAuthConfig({ KAFKA_BROKERS: 'k:1', OAUTH_CLIENTS: JSON.stringify(entries) }).clients;

  it('gives a client with redirect URIs the authorization code grant by default', () => {
    const [spa, native] = clients(
      {
        client_id: 'spa',
        client_name: "Jo's shop",
        redirect_uris: ['https://app.example.com/cb', 'http://127.0.0.1:8400/cb'],
        allowed_origins: ['https://app.example.com'],
      },
      { client_id: 'native', redirect_uris: ['com.example.app:/oauth'] },
    );
    expect(spa).toMatchObject({
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1:8400/cb'],
      allowedOrigins: ['https://app.example.com'],
      name: "Jo's shop",
    });
    expect(native?.redirectUris).toEqual(['com.example.app:/oauth']);
  });

  it('grants client_credentials only when listed, to a confidential client', () => {
    const [worker] = clients({
      client_id: 'worker',
      client_secret_sha256: SECRET,
      allowed_scopes: ['orders:read'],
      grant_types: ['client_credentials'],
    });
    expect(worker?.grantTypes).toEqual(['client_credentials']);
  });

  it.each([
    ['a redirect URI with a fragment', { redirect_uris: ['https://a.example/cb#x'] }],
    ['a plain http redirect URI', { redirect_uris: ['http://app.example.com/cb'] }],
    ['a relative redirect URI', { redirect_uris: ['/cb'] }],
    ['a private-use scheme without a dot', { redirect_uris: ['myapp:/cb'] }],
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }],
    ['an origin with a path', { allowed_origins: ['https://app.example.com/'] }],
    ['a wildcard origin', { allowed_origins: ['*'] }],
    ['an unknown grant', { grant_types: ['password'] }],
    ['the code grant without redirect URIs', { grant_types: ['authorization_code'] }],
    ['client_credentials on a public client', { grant_types: ['client_credentials'] }],
    [
      'origins on a confidential client',
      { client_secret_sha256: SECRET, allowed_origins: ['https://app.example.com'] },
    ],
    [
      'client_credentials without allowed scopes',
      {
        client_id: 'tokenfence-first-party',
        client_secret_sha256: SECRET,
        grant_types: ['client_credentials'],
      },
    ],
    ['a name with markup', { client_name: '<b>shop</b>' }],
    // Its tokens' sub would be a user's, and its cutoff that user's.
    ['a client id shaped like a user id', { client_id: '0b6f1c8e-3d2a-4f5b-9c7d-1e2f3a4b5c6d' }],
  ])('fails fast on %s', (_case, extra) => {
    expect(() => clients({ client_id: 'c', ...extra })).toThrow(TypeError);
    expect(() => clients({ client_id: 'c', ...extra })).toThrow('OAUTH_CLIENTS');
  });
});

describe('operations settings', () => {
  const base = { KAFKA_BROKERS: 'k:1' };

  it('serves the API docs and leaves /metrics open by default', () => {
    const config = loadAuthConfig(base);
    expect(config.openApiDocs).toBe(true);
    expect(config.metricsBearerToken).toBeUndefined();
    expect(config.log).toEqual({ level: 'log', format: 'json' });
  });

  it('reads OPENAPI_DOCS, METRICS_BEARER_TOKEN and LOG_LEVEL', () => {
    const config = loadAuthConfig({
      ...base,
      OPENAPI_DOCS: 'off',
      METRICS_BEARER_TOKEN: 'a-long-enough-scrape-token',
      LOG_LEVEL: 'warn',
    });
    expect(config.openApiDocs).toBe(false);
    expect(config.metricsBearerToken).toBe('a-long-enough-scrape-token');
    expect(config.log.level).toBe('warn');
  });

  it.each([
    ['OPENAPI_DOCS', 'maybe'],
    ['METRICS_BEARER_TOKEN', 'short'],
    ['LOG_LEVEL', 'chatty'],
    ['LOG_FORMAT', 'yaml'],
    ['TRACING', 'sometimes'],
  ])('names %s when it is invalid', (name, value) => {
    expect(() => loadAuthConfig({ ...base, [name]: value })).toThrow(
      new RegExp(`^auth-service: environment variable ${name} must be`),
    );
  });

  it('traces only when TRACING is on, and never with OTEL_SDK_DISABLED=true', () => {
    expect(loadAuthConfig(base).tracing).toBe(false);
    expect(loadAuthConfig({ ...base, TRACING: 'off' }).tracing).toBe(false);
    expect(loadAuthConfig({ ...base, TRACING: 'on' }).tracing).toBe(true);
    expect(loadAuthConfig({ ...base, TRACING: 'on', OTEL_SDK_DISABLED: 'TRUE' }).tracing).toBe(
      false,
    );
    expect(loadAuthConfig({ ...base, TRACING: 'on', OTEL_SDK_DISABLED: 'false' }).tracing).toBe(
      true,
    );
  });
});

describe('AUTH_MODE (full, or a signals hub without local users)', () => {
  const provider = {
    id: 'acme',
    issuer: 'https://idp.example.com/realms/acme',
    jwks_uri: 'https://idp.example.com/realms/acme/certs',
    backchannel_logout: { audiences: ['app'] },
  };
  const hub = {
    KAFKA_BROKERS: 'k:1',
    AUTH_MODE: 'signals-hub',
    IDENTITY_PROVIDERS: JSON.stringify([provider]),
  };
  const worker = {
    client_id: 'ops',
    client_secret_sha256: 'x'.repeat(43),
    allowed_scopes: ['admin'],
    grant_types: ['client_credentials'],
  };

  it('is full by default, and when set so', () => {
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1' }).mode).toBe('full');
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1', AUTH_MODE: '' }).mode).toBe('full');
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1', AUTH_MODE: 'full' }).mode).toBe('full');
  });

  it('reads signals-hub with its providers and client credentials clients', () => {
    const config = loadAuthConfig({ ...hub, OAUTH_CLIENTS: JSON.stringify([worker]) });
    expect(config.mode).toBe('signals-hub');
    expect(config.identityProviders.map((p) => p.id)).toEqual(['acme']);
    expect(config.clients.map((c) => c.clientId)).toEqual(['ops']);
  });

  it.each(['hub', 'Signals-Hub', 'signals_hub', 'FULL', 'signals-hub,full'])(
    'refuses AUTH_MODE=%s, naming the values',
    (value) => {
      expect(() => loadAuthConfig({ ...hub, AUTH_MODE: value })).toThrow(
        `auth-service: environment variable AUTH_MODE must be full or signals-hub (got "${value}")`,
      );
    },
  );

  it('refuses a hub without identity providers: it would receive nothing', () => {
    expect(() => loadAuthConfig({ ...hub, IDENTITY_PROVIDERS: undefined })).toThrow(
      'environment variable IDENTITY_PROVIDERS must be a JSON array of at least one identity provider when AUTH_MODE is signals-hub',
    );
    expect(() => loadAuthConfig({ ...hub, IDENTITY_PROVIDERS: '[]' })).toThrow(
      'IDENTITY_PROVIDERS',
    );
  });

  it('refuses a first admin user in a hub, which has no local users', () => {
    expect(() =>
      loadAuthConfig({ ...hub, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'a-long-password' }),
    ).toThrow('environment variable ADMIN_USERNAME must be unset when AUTH_MODE is signals-hub');
  });

  it.each([
    ['a client without grant_types (refresh tokens)', { client_id: 'shop' }],
    ['a code flow client', { client_id: 'spa', redirect_uris: ['https://app.example.com/cb'] }],
    [
      'a client credentials client that also refreshes',
      { ...worker, grant_types: ['client_credentials', 'refresh_token'] },
    ],
  ])('refuses %s in a hub, naming it', (_case, client) => {
    expect(() => loadAuthConfig({ ...hub, OAUTH_CLIENTS: JSON.stringify([client]) })).toThrow(
      `environment variable OAUTH_CLIENTS must be entries with "grant_types": ["client_credentials"] only when AUTH_MODE is signals-hub (got "${client.client_id}")`,
    );
  });

  it('keeps full mode as it was: no provider needed, any client, a first admin', () => {
    const config = loadAuthConfig({
      KAFKA_BROKERS: 'k:1',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'a-long-password',
      OAUTH_CLIENTS: JSON.stringify([{ client_id: 'shop' }]),
    });
    expect([config.mode, config.identityProviders, config.admin?.username]).toEqual([
      'full',
      [],
      'admin',
    ]);
  });
});
