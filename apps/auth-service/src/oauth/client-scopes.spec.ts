import { describe, expect, it } from '@jest/globals';
import { grantedScope, parseScope, scopesNotAllowed } from './client-scopes.js';

describe('client scopes', () => {
  const shop = ['profile', 'orders:read'];

  it('parses space-separated scopes without blanks or repeats', () => {
    expect(parseScope(' profile  orders:read profile ')).toEqual(['profile', 'orders:read']);
    expect(parseScope('')).toEqual([]);
  });

  it('names the requested scopes a client is not allowed', () => {
    expect(scopesNotAllowed(['profile', 'game:play', 'admin'], shop)).toEqual([
      'game:play',
      'admin',
    ]);
    expect(scopesNotAllowed(['profile'], shop)).toEqual([]);
    expect(scopesNotAllowed(['anything'], undefined)).toEqual([]);
    expect(scopesNotAllowed(['profile'], [])).toEqual(['profile']);
  });

  it('grants the intersection of the user, the client and the request, in the user order', () => {
    const user = 'game:play orders:read profile';
    expect(grantedScope(user, shop, undefined)).toBe('orders:read profile');
    expect(grantedScope(user, shop, ['profile'])).toBe('profile');
    expect(grantedScope(user, undefined, undefined)).toBe(user);
    expect(grantedScope(user, [], undefined)).toBe('');
    // A scope the user lacks is never granted, whatever the client may have.
    expect(grantedScope('profile', shop, ['profile', 'orders:read'])).toBe('profile');
  });

  it('follows an admin change of the user scopes through the same intersection', () => {
    const requested = ['orders:read', 'orders:write'];
    const before = grantedScope('profile orders:read', shop, requested);
    const after = grantedScope('profile orders:read orders:write admin', shop, requested);
    const removed = grantedScope('profile', shop, requested);
    expect([before, after, removed]).toEqual(['orders:read', 'orders:read', '']);
  });
});
