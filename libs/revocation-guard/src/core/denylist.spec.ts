import { describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import type { RevocationEvent } from '@tokenfence/contract';
import { Denylist } from './denylist.js';

const T0 = 1_800_000_000; // seconds

const base = {
  v: 1 as const,
  iss: 'https://auth.example.test',
  sub: 'user-1',
  revokedAtMs: T0 * 1000,
  reason: 'logout',
  eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
};
const session = (
  sid: string,
  expiresAt: number,
  id = `e-${sid}-${expiresAt}`,
): RevocationEvent => ({
  ...base,
  id,
  scope: 'session',
  sid,
  expiresAt,
});
const token = (jti: string, expiresAt: number): RevocationEvent => ({
  ...base,
  id: `e-${jti}`,
  scope: 'token',
  jti,
  expiresAt,
});
const user = (sub: string, cutoff: number, expiresAt: number): RevocationEvent => ({
  ...base,
  id: `e-${sub}-${cutoff}`,
  sub,
  scope: 'user',
  cutoff,
  expiresAt,
});
const claims = (
  over: Partial<{ iss: string; sub: string; sid: string; jti: string; iat: number }> = {},
) => ({
  iss: base.iss,
  sub: 'user-1',
  sid: 'sid-1',
  jti: 'jti-1',
  iat: T0 - 10,
  ...over,
});

describe('Denylist', () => {
  it('revokes by jti, sid and user cutoff, and nothing else', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    list.apply(token('jti-1', T0 + 900));
    list.apply(session('sid-2', T0 + 900));
    list.apply(user('user-3', T0, T0 + 900));

    expect(list.check(claims())).toBe('token');
    expect(list.check(claims({ jti: 'other', sid: 'sid-2' }))).toBe('session');
    expect(list.check(claims({ jti: 'other', sub: 'user-3', iat: T0 }))).toBe('user');
    expect(list.check(claims({ jti: 'other', sid: 'sid-9' }))).toBeUndefined();
  });

  it('still revokes a token without sid or jti by user cutoff, never by session or token', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    list.apply(token('jti-1', T0 + 900));
    list.apply(session('sid-1', T0 + 900));
    const bare = { iss: base.iss, sub: 'user-1', iat: T0 - 10 };
    expect(list.check(bare)).toBeUndefined();
    list.apply(user('user-1', T0, T0 + 900));
    expect(list.check(bare)).toBe('user');
    expect(list.check({ ...bare, iat: T0 + 1 })).toBeUndefined();
  });

  it('keeps a token issued after the cutoff, even in the next second only', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    list.apply(user('user-1', T0, T0 + 900));
    expect(list.check(claims({ jti: 'x', iat: T0 }))).toBe('user');
    expect(list.check(claims({ jti: 'x', iat: T0 + 1 }))).toBeUndefined();
  });

  it('gives the same result whatever the order and number of deliveries', () => {
    const events = [
      user('user-1', T0 - 100, T0 + 800),
      user('user-1', T0, T0 + 900),
      session('sid-1', T0 + 900),
      session('sid-1', T0 + 700),
      token('jti-7', T0 + 900),
    ];
    const probe = (list: Denylist) =>
      [T0 - 200, T0 - 100, T0 - 50, T0, T0 + 1].map((iat) =>
        list.check(claims({ jti: 'none', sid: 'none', iat })),
      );
    const forward = new Denylist(5, ManualClock.fromSeconds(T0));
    events.forEach((e) => forward.apply(e));
    const backwardTwice = new Denylist(5, ManualClock.fromSeconds(T0));
    [...events, ...events].reverse().forEach((e) => backwardTwice.apply(e));

    expect(probe(backwardTwice)).toEqual(probe(forward));
    expect(backwardTwice.size()).toEqual(forward.size());
    expect(probe(forward)).toEqual(['user', 'user', 'user', 'user', undefined]);
  });

  it.each([
    ['a plain id', 'sid-1'],
    ['a UUID', '0b6f2b2e-8f1e-4c43-9d1e-6f1f3d0c9a11'],
  ])(
    'keeps an entry (%s) until its expiry plus the clock tolerance, and drops it after',
    (_kind, sid) => {
      const clock = ManualClock.fromSeconds(T0);
      const list = new Denylist(5, clock);
      list.apply(session(sid, T0 + 900));

      clock.seconds = T0 + 905;
      expect(list.prune()).toBe(0);
      expect(list.check(claims({ jti: 'x', sid }))).toBe('session');

      clock.seconds = T0 + 906;
      expect(list.prune()).toBe(1);
      expect(list.check(claims({ jti: 'x', sid }))).toBeUndefined();
      expect(list.size()).toEqual({ token: 0, session: 0, user: 0, key: 0, all: 0 });
    },
  );

  it('keeps the latest expiry when duplicates disagree', () => {
    const clock = ManualClock.fromSeconds(T0);
    const list = new Denylist(0, clock);
    list.apply(session('sid-1', T0 + 900));
    list.apply(session('sid-1', T0 + 100));
    clock.seconds = T0 + 500;
    list.prune();
    expect(list.check(claims({ jti: 'x' }))).toBe('session');
  });

  it('ignores an event that can no longer matter', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    expect(list.apply(session('sid-1', T0 - 6))).toBe('expired');
    expect(list.apply(session('sid-2', T0 - 5))).toBe('applied');
    expect(list.size().session).toBe(1);
  });
});

describe('Denylist: global cutoff and signing keys', () => {
  it('a global cutoff revokes every token issued at or before it, for every user', () => {
    const clock = ManualClock.fromSeconds(T0);
    const list = new Denylist(5, clock);
    list.apply({ ...base, id: 'g', sub: 'admin', scope: 'all', cutoff: T0, expiresAt: T0 + 900 });
    expect(list.check(claims({ sub: 'anyone', iat: T0 }))).toBe('all');
    expect(list.check(claims({ sub: 'anyone', iat: T0 + 1 }))).toBeUndefined();
    clock.seconds = T0 + 906;
    expect(list.prune()).toBe(1);
    expect(list.check(claims({ sub: 'anyone', iat: T0 }))).toBeUndefined();
  });

  it('a revoked key revokes every token it signed, and only those', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    list.apply({ ...base, id: 'k', scope: 'key', kid: 'old-key', expiresAt: T0 + 900 });
    expect(list.check({ ...claims(), kid: 'old-key' })).toBe('key');
    expect(list.check({ ...claims(), kid: 'new-key' })).toBeUndefined();
    expect(list.size()).toMatchObject({ key: 1 });
  });
});

describe('Denylist: per issuer (contract revision 3)', () => {
  const OTHER = 'https://idp.other.test';
  const uuid = '0b6f2b2e-8f1e-4c43-9d1e-6f1f3d0c9a11';
  const at = (iss: string, event: RevocationEvent): RevocationEvent => ({ ...event, iss });

  it('a revocation covers only tokens of its own issuer, whatever the ids', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    list.apply(at(OTHER, token('jti-1', T0 + 900)));
    list.apply(at(OTHER, token(uuid, T0 + 900)));
    list.apply(at(OTHER, session('sid-1', T0 + 900)));
    list.apply(at(OTHER, user('user-1', T0, T0 + 900)));
    // Same sub, sid and jti at our issuer: another user, another session, another token.
    expect(list.check(claims())).toBeUndefined();
    expect(list.check(claims({ jti: uuid }))).toBeUndefined();
    expect(list.check(claims({ iss: OTHER }))).toBe('token');
    expect(list.check(claims({ iss: OTHER, jti: uuid }))).toBe('token');
    expect(list.check(claims({ iss: OTHER, jti: 'x' }))).toBe('session');
    expect(list.check(claims({ iss: OTHER, jti: 'x', sid: 'y' }))).toBe('user');
    expect(list.size()).toEqual({ token: 2, session: 1, user: 1, key: 0, all: 0 });
  });

  it('a key revocation is (iss, kid); a global cutoff stops one issuer', () => {
    const clock = ManualClock.fromSeconds(T0);
    const list = new Denylist(5, clock);
    list.apply({ ...base, iss: OTHER, id: 'k', scope: 'key', kid: 'k1', expiresAt: T0 + 900 });
    list.apply({ ...base, iss: OTHER, id: 'g', scope: 'all', cutoff: T0, expiresAt: T0 + 900 });
    expect(list.isKeyRevoked(OTHER, 'k1')).toBe(true);
    expect(list.isKeyRevoked(base.iss, 'k1')).toBe(false);
    expect(list.check({ ...claims(), kid: 'k1' })).toBeUndefined();
    expect(list.check({ ...claims({ iss: OTHER, iat: T0 + 1 }), kid: 'k1' })).toBe('key');
    expect(list.check(claims({ iss: OTHER }))).toBe('all');
    expect(list.size()).toMatchObject({ key: 1, all: 1 });
    clock.seconds = T0 + 906;
    expect(list.prune()).toBe(2);
    expect(list.isKeyRevoked(OTHER, 'k1')).toBe(true); // never forgotten
    expect(list.check(claims({ iss: OTHER }))).toBeUndefined();
  });

  it('the same event at two issuers is two entries, each a duplicate of itself', () => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    expect(list.apply(session('sid-1', T0 + 900))).toBe('applied');
    expect(list.apply(at(OTHER, session('sid-1', T0 + 900)))).toBe('applied');
    expect(list.apply(at(OTHER, session('sid-1', T0 + 900)))).toBe('duplicate');
    expect(list.size().session).toBe(2);
  });
});

describe('Denylist: redeliveries and replays', () => {
  const uuid = '0b6f2b2e-8f1e-4c43-9d1e-6f1f3d0c9a11';
  const all = (cutoff: number, expiresAt: number): RevocationEvent => ({
    ...base,
    id: `g-${cutoff}`,
    sub: 'admin',
    scope: 'all',
    cutoff,
    expiresAt,
  });
  const key = (kid: string, expiresAt: number): RevocationEvent => ({
    ...base,
    id: `k-${kid}`,
    scope: 'key',
    kid,
    expiresAt,
  });

  it.each([
    ['token (plain id)', token('jti-1', T0 + 900), token('jti-1', T0 + 901)],
    ['token (UUID)', token(uuid, T0 + 900), token(uuid, T0 + 901)],
    ['session', session('sid-1', T0 + 900), session('sid-1', T0 + 901)],
    ['user', user('user-1', T0, T0 + 900), user('user-1', T0 + 1, T0 + 900)],
    ['all', all(T0, T0 + 900), all(T0, T0 + 901)],
    ['key', key('k1', T0 + 900), key('k1', T0 + 901)],
  ])('%s: the same event again is a duplicate; a later one applies', (_, event, later) => {
    const list = new Denylist(5, ManualClock.fromSeconds(T0));
    expect(list.apply(event)).toBe('applied');
    const size = list.size();
    expect(list.apply(event)).toBe('duplicate');
    expect(list.size()).toEqual(size);
    expect(list.apply(later)).toBe('applied');
    expect(list.apply(event)).toBe('duplicate'); // an older one changes nothing either
  });
});
