import { describe, expect, it } from '@jest/globals';
import { loadSampleConfig } from './sample-config.js';

const orders = { name: 'orders-service', defaultPort: 3001, metrics: true };
const base = { KAFKA_BROKERS: 'k1:9092' };

describe('loadSampleConfig', () => {
  it('fills the defaults around a broker list', () => {
    expect(loadSampleConfig(base, orders)).toEqual({
      host: '127.0.0.1',
      port: 3001,
      log: { level: 'log', format: 'json' },
      metricsBearerToken: undefined,
      guard: {
        issuer: 'http://127.0.0.1:3000',
        audience: 'tokenfence-services',
        jwksUrl: 'http://127.0.0.1:3000/.well-known/jwks.json',
        kafka: {
          brokers: ['k1:9092'],
          topic: 'auth.revocations',
          clientId: 'orders-service',
          groupIdPrefix: 'orders-service',
        },
      },
    });
  });

  it('trims the broker list (the drift between the two samples)', () => {
    const config = loadSampleConfig({ KAFKA_BROKERS: ' k1:9092 , k2:9092,, ' }, orders);
    expect(config.guard.kafka?.brokers).toEqual(['k1:9092', 'k2:9092']);
  });

  it('maps every guard variable', () => {
    const config = loadSampleConfig(
      {
        ...base,
        HOST: '0.0.0.0',
        PORT: '0',
        AUTH_ISSUER: 'https://auth.example/',
        AUTH_AUDIENCE: 'orders',
        JWKS_URL: 'https://keys.example/jwks.json',
        REVOCATION_TOPIC: 'rev',
        REVOCATION_MAX_STALENESS_MS: '5000',
        REVOCATION_PRUNE_INTERVAL_MS: '1000',
        REVOCATION_MAX_TOKEN_LIFETIME_SECONDS: '3600',
        REVOCATION_STALE_POLICY: 'introspect',
        REVOCATION_ALLOW_INSECURE_HTTP: 'true',
        INTROSPECTION_CLIENT_ID: 'orders',
        INTROSPECTION_CLIENT_SECRET: 's3cret',
        METRICS_BEARER_TOKEN: 'a-long-enough-scrape-token',
      },
      orders,
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      metricsBearerToken: 'a-long-enough-scrape-token',
      guard: {
        issuer: 'https://auth.example',
        audience: 'orders',
        jwksUrl: 'https://keys.example/jwks.json',
        maxStalenessMs: 5000,
        denylistPruneIntervalMs: 1000,
        maxTokenLifetimeSeconds: 3600,
        stalePolicy: 'introspect',
        allowInsecureHttp: true,
        introspection: {
          url: 'https://auth.example/oauth/introspect',
          clientId: 'orders',
          clientSecret: 's3cret',
        },
        kafka: { topic: 'rev' },
      },
    });
  });

  it('ignores METRICS_BEARER_TOKEN for a service without /metrics', () => {
    const worker = { name: 'worker-service', defaultPort: 3003, metrics: false };
    const config = loadSampleConfig({ ...base, METRICS_BEARER_TOKEN: 'short' }, worker);
    expect(config.metricsBearerToken).toBeUndefined();
    expect(config.port).toBe(3003);
  });

  it.each([
    ['KAFKA_BROKERS', { KAFKA_BROKERS: ' , ' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '3.5' }],
    ['AUTH_ISSUER', { AUTH_ISSUER: 'auth-service:3000' }],
    ['JWKS_URL', { JWKS_URL: 'ftp://keys' }],
    ['REVOCATION_MAX_STALENESS_MS', { REVOCATION_MAX_STALENESS_MS: 'soon' }],
    ['REVOCATION_PRUNE_INTERVAL_MS', { REVOCATION_PRUNE_INTERVAL_MS: '-1' }],
    ['REVOCATION_MAX_TOKEN_LIFETIME_SECONDS', { REVOCATION_MAX_TOKEN_LIFETIME_SECONDS: '0' }],
    ['REVOCATION_STALE_POLICY', { REVOCATION_STALE_POLICY: 'ignore' }],
    ['REVOCATION_ALLOW_INSECURE_HTTP', { REVOCATION_ALLOW_INSECURE_HTTP: 'yes' }],
    ['INTROSPECTION_CLIENT_SECRET', { INTROSPECTION_CLIENT_ID: 'orders' }],
    ['INTROSPECTION_CLIENT_ID', { INTROSPECTION_CLIENT_SECRET: 's3cret' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['METRICS_BEARER_TOKEN', { METRICS_BEARER_TOKEN: 'short' }],
    ['TRACING', { TRACING: 'sometimes' }],
  ])('names %s when it is wrong', (name, env) => {
    const load = () => loadSampleConfig({ ...base, ...env }, orders);
    expect(load).toThrow(TypeError);
    expect(load).toThrow(new RegExp(`^orders-service: environment variable ${name} must be`));
  });

  it("turns the guard's tracing on only with TRACING=on, never with OTEL_SDK_DISABLED=true", () => {
    expect(loadSampleConfig(base, orders).guard.tracing).toBeUndefined();
    expect(loadSampleConfig({ ...base, TRACING: 'off' }, orders).guard.tracing).toBeUndefined();
    expect(loadSampleConfig({ ...base, TRACING: 'ON' }, orders).guard.tracing).toBe(true);
    const disabled = { ...base, TRACING: 'on', OTEL_SDK_DISABLED: 'true' };
    expect(loadSampleConfig(disabled, orders).guard.tracing).toBeUndefined();
  });

  const keycloak = {
    issuer: 'http://127.0.0.1:8280/realms/acme',
    jwksUrl: 'http://127.0.0.1:8280/realms/acme/protocol/openid-connect/certs',
    audience: 'orders',
    profile: 'jwt',
    algorithms: ['RS256'],
    claims: { clientId: 'azp' },
    maxTokenLifetimeSeconds: 3600,
  };

  it('TRUSTED_ISSUERS: the auth service first, then these, and the auth service signs the events', () => {
    const config = loadSampleConfig(
      {
        ...base,
        AUTH_ISSUER: 'http://127.0.0.1:3000',
        REVOCATION_MAX_TOKEN_LIFETIME_SECONDS: '900',
        TRUSTED_ISSUERS: JSON.stringify([keycloak]),
      },
      orders,
    );
    expect(config.guard).toMatchObject({
      issuers: [
        {
          issuer: 'http://127.0.0.1:3000',
          audience: 'tokenfence-services',
          jwksUrl: 'http://127.0.0.1:3000/.well-known/jwks.json',
          maxTokenLifetimeSeconds: 900,
        },
        keycloak,
      ],
      events: {
        issuer: 'http://127.0.0.1:3000',
        jwksUrl: 'http://127.0.0.1:3000/.well-known/jwks.json',
      },
    });
    for (const field of ['issuer', 'audience', 'jwksUrl', 'maxTokenLifetimeSeconds']) {
      expect(config.guard).not.toHaveProperty(field);
    }
  });

  it('TRUSTED_ISSUERS unset, blank or [] leaves the single-issuer options exactly as they were', () => {
    const before = loadSampleConfig(base, orders);
    expect(loadSampleConfig({ ...base, TRUSTED_ISSUERS: ' ' }, orders)).toEqual(before);
    expect(loadSampleConfig({ ...base, TRUSTED_ISSUERS: '[]' }, orders)).toEqual(before);
    expect(before.guard).not.toHaveProperty('issuers');
    expect(before.guard).not.toHaveProperty('events');
  });

  it.each([
    ['not JSON', '[{issuer:'],
    ['not an array', JSON.stringify(keycloak)],
    ['entry 0 is not an object', '["https://kc"]'],
    ['entry 0 has unknown key(s) jwks_url', JSON.stringify([{ ...keycloak, jwks_url: 'x' }])],
    ['entry 0: "issuer" must be', JSON.stringify([{ ...keycloak, issuer: 'acme' }])],
    ['entry 0: "jwksUrl" must be', JSON.stringify([{ ...keycloak, jwksUrl: undefined }])],
    ['entry 0: "audience" must be', JSON.stringify([{ ...keycloak, audience: [] }])],
    ['entry 0: "algorithms" must be', JSON.stringify([{ ...keycloak, algorithms: 'RS256' }])],
    ['entry 0: "claims" must be', JSON.stringify([{ ...keycloak, claims: 'azp' }])],
    [
      'entry 0: "maxTokenLifetimeSeconds" must be',
      JSON.stringify([{ ...keycloak, maxTokenLifetimeSeconds: 0 }]),
    ],
    ['is AUTH_ISSUER or an earlier entry', JSON.stringify([keycloak, keycloak])],
    [
      'is AUTH_ISSUER or an earlier entry',
      JSON.stringify([{ ...keycloak, issuer: 'http://127.0.0.1:3000' }]),
    ],
  ])('names TRUSTED_ISSUERS when %s', (why, value) => {
    const load = () => loadSampleConfig({ ...base, TRUSTED_ISSUERS: value }, orders);
    expect(load).toThrow(TypeError);
    expect(load).toThrow(
      /^orders-service: environment variable TRUSTED_ISSUERS must be a JSON array/,
    );
    expect(load).toThrow(why);
  });
});
