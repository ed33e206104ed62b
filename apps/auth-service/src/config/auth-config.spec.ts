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
    expect(loadAuthConfig({ KAFKA_BROKERS: 'k:1', PORT: '4000' }).issuer).toBe(
      'http://127.0.0.1:4000',
    );
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
  ])('fails fast with a TypeError naming what to set: %j', (env, name) => {
    expect(() => loadAuthConfig(env)).toThrow(TypeError);
    expect(() => loadAuthConfig(env)).toThrow(name);
  });
});
