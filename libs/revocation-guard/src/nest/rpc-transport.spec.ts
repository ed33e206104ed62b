import { describe, expect, it } from '@jest/globals';
import type { RpcContextInfo } from './revocation-guard.options.js';
import { bearerTokenOf, defaultRpcTokenExtractor, expiryCheckTimeMs } from './rpc-transport.js';

const message = (over: Partial<RpcContextInfo>): RpcContextInfo => ({
  transport: 'kafka',
  kind: 'event',
  pattern: 'orders.created',
  data: {},
  headers: {},
  timestampMs: undefined,
  context: {},
  ...over,
});

describe('bearerTokenOf', () => {
  it('takes the token of "Bearer <token>", any case, from a string, a Buffer or an array', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer  abc ')).toBe('abc');
    expect(bearerTokenOf(Buffer.from('Bearer abc'))).toBe('abc');
    expect(bearerTokenOf([Buffer.from('Bearer abc'), 'Bearer other'])).toBe('abc');
  });

  it('no value or another scheme is no token (TOKEN_MISSING); "Bearer" alone is empty', () => {
    expect(bearerTokenOf(undefined)).toBeUndefined();
    expect(bearerTokenOf(42)).toBeUndefined();
    expect(bearerTokenOf('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerTokenOf('abc')).toBeUndefined();
    expect(bearerTokenOf('Bearer')).toBe('');
  });
});

describe('defaultRpcTokenExtractor', () => {
  it('Kafka: the authorization header only, never the payload', () => {
    expect(defaultRpcTokenExtractor(message({ headers: { authorization: 'Bearer h' } }))).toBe('h');
    expect(
      defaultRpcTokenExtractor(message({ data: { authorization: 'Bearer p' } })),
    ).toBeUndefined();
  });

  it('TCP: the authorization metadata, else the authorization field of an object payload', () => {
    const tcp = (over: Partial<RpcContextInfo>) => message({ transport: 'tcp', ...over });
    expect(
      defaultRpcTokenExtractor(
        tcp({ headers: { authorization: 'Bearer m' }, data: { authorization: 'Bearer p' } }),
      ),
    ).toBe('m');
    expect(defaultRpcTokenExtractor(tcp({ data: { authorization: 'Bearer p' } }))).toBe('p');
    expect(defaultRpcTokenExtractor(tcp({ data: 'Bearer p' }))).toBeUndefined();
    expect(defaultRpcTokenExtractor(tcp({ data: null }))).toBeUndefined();
  });
});

describe('expiryCheckTimeMs', () => {
  const NOW = 1_800_000_000_000;
  const stamped = { checkExpiryAt: 'message-timestamp', maxMessageAgeSeconds: 60 } as const;
  const options = { tokenExtractor: undefined, ...stamped };

  it('is now (undefined) unless message-timestamp is set and the message has a timestamp', () => {
    const now = {
      tokenExtractor: undefined,
      checkExpiryAt: 'now',
      maxMessageAgeSeconds: 0,
    } as const;
    expect(expiryCheckTimeMs(message({ timestampMs: NOW - 1000 }), now, NOW)).toBeUndefined();
    expect(expiryCheckTimeMs(message({ transport: 'tcp' }), options, NOW)).toBeUndefined();
  });

  it('is the timestamp, no further back than maxMessageAgeSeconds and never ahead of now', () => {
    expect(expiryCheckTimeMs(message({ timestampMs: NOW - 10_000 }), options, NOW)).toBe(
      NOW - 10_000,
    );
    expect(expiryCheckTimeMs(message({ timestampMs: NOW - 3_600_000 }), options, NOW)).toBe(
      NOW - 60_000,
    );
    expect(expiryCheckTimeMs(message({ timestampMs: NOW + 3_600_000 }), options, NOW)).toBe(NOW);
  });
});
