import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import {
  revocationEventType,
  type RevocationEvent,
  type SecurityEvent,
} from '@tokenfence/contract';
import { Denylist, type DenylistSize } from './denylist.js';
import type { RevocationEventSource } from './event-source.js';
import type { EventVerifier } from './event-verifier.js';
import { silentLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';

const T0 = 1_800_000_000; // seconds
const TOLERANCE_SECONDS = 5;
const HOURS = 6;
const PRUNE_INTERVAL_SECONDS = 30; // the feed's own interval
const TTL_MIN = 300; // each revocation expires 5 to 15 minutes ahead, like access tokens
const TTL_SPREAD = 600;
/** Revocations per virtual second, by scope ('key' and 'all' come every few minutes). */
const PER_SECOND = { token: 3, session: 2, user: 1 };

/** Bytes of one IdSet table holding `entries` at most (20 bytes a slot, load 0.7, 1024 minimum). */
const tableBound = (entries: number): number => {
  let capacity = 1024;
  while (entries > capacity * 0.7) capacity *= 2;
  return capacity * 20;
};

const total = (size: DenylistSize): number =>
  size.token + size.session + size.user + size.key + size.all;

describe('Denylist under hours of churn (virtual time)', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('holds only what can still matter: entries and table bytes return to baseline once every token expired', async () => {
    const clock = ManualClock.fromSeconds(T0);
    const denylist = new Denylist(TOLERANCE_SECONDS, clock);
    const source: RevocationEventSource = {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
    // The feed as in production, signatures aside: its own prune interval runs on fake timers.
    const verifier = {
      verify: (value: Buffer) =>
        Promise.resolve({ event: JSON.parse(value.toString()) as SecurityEvent, kid: 'events-1' }),
    } as unknown as EventVerifier;
    const feed = new RevocationFeed(denylist, source, verifier, silentLogger, clock);
    await feed.start();

    const baselineBytes = denylist.tableBytes();
    const applied = { token: 0, session: 0, user: 0, all: 0, key: 0 };
    const peak = { token: 0, session: 0, user: 0, key: 0, all: 0, entries: 0, bytes: 0 };
    let n = 0;
    const revocation = (scope: RevocationEvent['scope']): RevocationEvent => {
      n++;
      applied[scope]++;
      const base = {
        v: 1 as const,
        id: `event-${n}`,
        iss: 'https://auth.example.test',
        sub: `user-${n}`,
        revokedAtMs: clock.nowMs(),
        // Spread deterministically over the TTL range.
        expiresAt: clock.seconds + TTL_MIN + ((n * 7919) % TTL_SPREAD),
        reason: 'logout' as const,
        eventType: revocationEventType(scope, 'logout'),
      };
      switch (scope) {
        case 'token':
          // Mostly UUIDs (the compact table), some other ids (the fallback map).
          return { ...base, scope, jti: n % 10 === 0 ? `jti-${n}` : randomUUID() };
        case 'session':
          return { ...base, scope, sid: n % 10 === 0 ? `sid-${n}` : randomUUID() };
        case 'user':
          return { ...base, scope, cutoff: clock.seconds };
        case 'all':
          return { ...base, scope, cutoff: clock.seconds };
        case 'key':
          return { ...base, scope, kid: `kid-${n}` };
      }
    };

    const end = T0 + HOURS * 3600;
    for (let offset = 0; clock.seconds < end; offset++) {
      const batch: RevocationEvent[] = [];
      for (let i = 0; i < PER_SECOND.token; i++) batch.push(revocation('token'));
      for (let i = 0; i < PER_SECOND.session; i++) batch.push(revocation('session'));
      for (let i = 0; i < PER_SECOND.user; i++) batch.push(revocation('user'));
      if (offset % 600 === 0) batch.push(revocation('key'));
      if (offset % 1800 === 0) batch.push(revocation('all'));
      const message = { kind: 'revocations', revocations: batch, skipped: 0 };
      await feed.onMessage(Buffer.from(JSON.stringify(message)), {
        partition: 0,
        offset: String(offset),
      });

      clock.seconds++;
      jest.advanceTimersByTime(1000); // the feed's prune interval fires every 30 virtual seconds
      const size = denylist.size();
      for (const scope of ['token', 'session', 'user', 'key', 'all'] as const) {
        peak[scope] = Math.max(peak[scope], size[scope]);
      }
      peak.entries = Math.max(peak.entries, total(size));
      peak.bytes = Math.max(peak.bytes, denylist.tableBytes());
    }
    const duringChurn = denylist.size();

    // No more revocations: once the last one expired (plus tolerance and a prune), nothing is left.
    const quiet = TTL_MIN + TTL_SPREAD + TOLERANCE_SECONDS + PRUNE_INTERVAL_SECONDS + 1;
    clock.seconds += quiet;
    jest.advanceTimersByTime(quiet * 1000);
    const atEnd = denylist.size();
    const bytesAtEnd = denylist.tableBytes();
    await feed.stop();

    const inserted = Object.values(applied).reduce((a, b) => a + b, 0);
    console.log(
      `denylist churn: ${HOURS} h virtual, ${inserted} revocations applied ${JSON.stringify(applied)}; ` +
        `peak live entries ${peak.entries} ${JSON.stringify({ token: peak.token, session: peak.session, user: peak.user, key: peak.key, all: peak.all })}, ` +
        `peak table bytes ${peak.bytes}; after churn stopped and all expired: entries ${total(atEnd)} ${JSON.stringify(atEnd)}, ` +
        `table bytes ${bytesAtEnd} (baseline ${baselineBytes})`,
    );

    expect(feed.stats().applied).toBe(inserted);
    // While churning, an entry lives at most its TTL plus tolerance plus one prune interval:
    // the live set is bounded by the arrival rate, not by how many were ever inserted.
    const lifetime = TTL_MIN + TTL_SPREAD + TOLERANCE_SECONDS + PRUNE_INTERVAL_SECONDS + 1;
    expect(peak.token).toBeLessThanOrEqual(PER_SECOND.token * lifetime);
    expect(peak.session).toBeLessThanOrEqual(PER_SECOND.session * lifetime);
    expect(peak.user).toBeLessThanOrEqual(PER_SECOND.user * lifetime);
    expect(peak.key).toBeLessThanOrEqual(Math.ceil(lifetime / 600) + 1);
    expect(peak.all).toBeLessThanOrEqual(1);
    expect(total(duringChurn)).toBeGreaterThan(0);
    expect(inserted).toBeGreaterThan(20 * peak.entries);
    // The tables never hold more than the peak live entries need, and shrink back afterwards.
    expect(peak.bytes).toBeLessThanOrEqual(tableBound(peak.token) + tableBound(peak.session));
    expect(atEnd).toEqual({ token: 0, session: 0, user: 0, key: 0, all: 0 });
    expect(bytesAtEnd).toBe(baselineBytes);
  });
});
