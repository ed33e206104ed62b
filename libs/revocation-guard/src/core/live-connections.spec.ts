import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { RevocationEvent } from '@tokenfence/contract';
import type { Clock } from './clock.js';
import { LiveConnections, type LiveConnection } from './live-connections.js';
import type { Principal } from './principal.js';
import type { RevocationFeed, RevocationListener } from './revocation-feed.js';

const NOW = 1_800_000_000;

function principal(over: Partial<Principal> = {}): Principal {
  return {
    sub: 'user-1',
    sid: 'sid-1',
    jti: 'jti-1',
    iss: 'https://auth.example.test',
    kind: 'user',
    scopes: [],
    iat: NOW - 10,
    exp: NOW + 600,
    kid: 'k',
    claims: {},
    ...over,
  };
}

describe('LiveConnections', () => {
  let listener: RevocationListener;
  let registry: LiveConnections;
  const ended: [string, string][] = [];
  const connection = (id: string): LiveConnection => ({
    id,
    end: (code) => ended.push([id, code]),
  });
  const revoke = (event: Partial<RevocationEvent> & Pick<RevocationEvent, 'scope'>) =>
    listener({
      v: 1,
      id: 'e',
      iss: 'https://auth.example.test',
      sub: 'user-1',
      revokedAtMs: NOW * 1000,
      expiresAt: NOW + 900,
      reason: 'logout',
      ...event,
    } as RevocationEvent);

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW * 1000 });
    ended.length = 0;
    const feed = {
      onRevocation: (l: RevocationListener) => {
        listener = l;
        return () => undefined;
      },
    } as unknown as RevocationFeed;
    const clock: Clock = { nowMs: () => Date.now() };
    registry = new LiveConnections(feed, clock);
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('ends the connections of a revoked session, token or user cutoff, and no others', () => {
    registry.track(connection('a'), principal());
    registry.track(connection('b'), principal({ sid: 'sid-2', jti: 'jti-2' }));
    registry.track(connection('c'), principal({ sid: 'sid-3', jti: 'jti-3', iat: NOW + 5 }));
    registry.track(connection('d'), principal({ sub: 'user-2', sid: 'sid-4', jti: 'jti-4' }));

    revoke({ scope: 'session', sid: 'sid-1' });
    expect(ended).toEqual([['a', 'TOKEN_REVOKED']]);
    revoke({ scope: 'token', jti: 'jti-2' });
    expect(ended.at(-1)).toEqual(['b', 'TOKEN_REVOKED']);
    revoke({ scope: 'user', cutoff: NOW }); // c was issued after the cutoff
    expect(ended).toHaveLength(2);
    expect(registry.size).toBe(2);
  });

  it("ends only connections of the revocation's issuer", () => {
    const other = 'https://idp.other.test';
    registry.track(connection('ours'), principal());
    registry.track(connection('theirs'), principal({ iss: other }));
    revoke({ scope: 'session', sid: 'sid-1' });
    expect(ended).toEqual([['ours', 'TOKEN_REVOKED']]);
    revoke({ iss: other, scope: 'all', cutoff: NOW });
    expect(ended).toEqual([
      ['ours', 'TOKEN_REVOKED'],
      ['theirs', 'TOKEN_REVOKED'],
    ]);
  });

  it('ends a connection when its token expires, and forgets closed ones', () => {
    registry.track(connection('a'), principal({ exp: NOW + 60 }));
    registry.track(connection('b'), principal({ sid: 'sid-2', jti: 'jti-2', exp: NOW + 60 }));
    registry.forget('b');
    jest.advanceTimersByTime(59_999);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(ended).toEqual([['a', 'TOKEN_EXPIRED']]);
    expect(registry.size).toBe(0);
  });
});
