import { describe, expect, it } from '@jest/globals';
import { bearerMatches, loadMetricsToken } from './metrics-access.js';

describe('bearerMatches', () => {
  const token = 'scrape-me-0123456789abcdef';

  it('accepts exactly Bearer <token>, the scheme in any case', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      `Basic ${token}`,
      `Bearer ${token} extra`,
      token,
    ]) {
      expect({ header, ok: bearerMatches(header, token) }).toEqual({ header, ok: false });
    }
  });
});

describe('loadMetricsToken', () => {
  it('leaves /metrics open when unset or empty', () => {
    expect(loadMetricsToken({}, 'svc')).toBeUndefined();
    expect(loadMetricsToken({ METRICS_BEARER_TOKEN: '' }, 'svc')).toBeUndefined();
  });

  it('names the variable when the token is short or has spaces', () => {
    for (const bad of ['short', 'has a space in it, long enough']) {
      expect(() => loadMetricsToken({ METRICS_BEARER_TOKEN: bad }, 'orders-service')).toThrow(
        new TypeError(
          'orders-service: environment variable METRICS_BEARER_TOKEN must be at least 16 printable characters without spaces',
        ),
      );
    }
  });
});
