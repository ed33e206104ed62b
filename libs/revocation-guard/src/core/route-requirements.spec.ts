import { describe, expect, it } from '@jest/globals';
import type { Principal } from './principal.js';
import { checkRequirements } from './route-requirements.js';

const NOW_MS = 1_800_000_000_000;
const principal = (scope: string, authTime?: number): Principal => ({
  sub: 'u',
  sid: 's',
  jti: 'j',
  iss: 'https://auth.example.test',
  kind: 'user',
  scopes: scope.split(' ').filter(Boolean),
  iat: NOW_MS / 1000,
  exp: NOW_MS / 1000 + 60,
  kid: 'k',
  claims: authTime === undefined ? {} : { auth_time: authTime },
});
const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('checkRequirements', () => {
  it('needs every required scope', () => {
    const p = principal('orders:read profile');
    expect(codeOf(() => checkRequirements(p, { scopes: ['orders:read'] }, NOW_MS))).toBeUndefined();
    expect(codeOf(() => checkRequirements(p, { scopes: ['orders:read', 'admin'] }, NOW_MS))).toBe(
      'INSUFFICIENT_SCOPE',
    );
    // A scope is a whole word, not a prefix.
    expect(codeOf(() => checkRequirements(p, { scopes: ['orders'] }, NOW_MS))).toBe(
      'INSUFFICIENT_SCOPE',
    );
  });

  it('needs a login no older than the limit, and refuses a token without auth_time', () => {
    const at = NOW_MS / 1000;
    const req = { maxLoginAgeSeconds: 300 };
    expect(codeOf(() => checkRequirements(principal('', at - 300), req, NOW_MS))).toBeUndefined();
    expect(codeOf(() => checkRequirements(principal('', at - 301), req, NOW_MS))).toBe(
      'LOGIN_TOO_OLD',
    );
    expect(codeOf(() => checkRequirements(principal(''), req, NOW_MS))).toBe('LOGIN_TOO_OLD');
  });
});
