import { beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import {
  revocationBatchClaims,
  SET_TYP,
  type RevocationEvent,
  type SecurityEventClaims,
} from '@tokenfence/contract';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Denylist } from './denylist.js';
import type { EventPosition, RevocationEventSource } from './event-source.js';
import { EventKeysUnavailable, EventVerifier } from './event-verifier.js';
import { JwksKeySource } from './jwks-key-source.js';
import { silentLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';

// Event keys that the guard's JWKS copy does not hold yet, or that were revoked (audit F4).

const ISSUER = 'https://auth.example.test';
const T0 = 1_800_000_000_000;

const idleSource: RevocationEventSource = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

interface EventKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function eventKey(kid: string): Promise<EventKey> {
  const pair = await generateKeyPair('EdDSA');
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA' },
  };
}

let oldKey: EventKey;
let newKey: EventKey;
let stranger: EventKey;

beforeAll(async () => {
  oldKey = await eventKey('events-old');
  newKey = await eventKey('events-new');
  stranger = await eventKey('events-forged');
});

/** A guard's feed over a JWKS endpoint double that publishes `published`. */
function guard(clock: ManualClock) {
  const jwks = { published: [] as JWK[], requests: 0 };
  const keys = new JwksKeySource({
    jwksUrl: 'http://auth.example.test/.well-known/jwks.json',
    clock,
    fetch: () => {
      jwks.requests++;
      return Promise.resolve(Response.json({ keys: jwks.published }));
    },
  });
  const denylist = new Denylist(5, clock);
  const verifierOptions = {
    keySource: keys,
    revokedKeys: denylist,
    clock,
    clockToleranceSeconds: 5,
  };
  const feed = new RevocationFeed(
    denylist,
    idleSource,
    new EventVerifier(ISSUER, keys.getKey, verifierOptions),
    silentLogger,
    clock,
  );
  feed.onPartitions([0]);
  return { jwks, keys, feed };
}

/**
 * Delivers a message as a source does: again after a retriable failure (a second later), until it
 * is taken or skipped. Returns how many deliveries it took.
 */
async function deliver(
  feed: RevocationFeed,
  clock: ManualClock,
  value: Buffer,
  position: EventPosition,
): Promise<number> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    try {
      await feed.onMessage(value, position);
      return attempt;
    } catch (err) {
      if (!(err instanceof EventKeysUnavailable)) throw err;
      clock.advance(1_000);
    }
  }
  throw new Error('the message was neither taken nor skipped after 60 deliveries');
}

const logout = (sid: string, nowMs: number): RevocationEvent => ({
  v: 1,
  id: `id-${sid}`,
  iss: ISSUER,
  sub: 'user-1',
  scope: 'session',
  sid,
  revokedAtMs: nowMs,
  expiresAt: Math.floor(nowMs / 1000) + 900,
  reason: 'logout',
  eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
});

function sign(claims: SecurityEventClaims, key: EventKey): Promise<Buffer> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: SET_TYP })
    .sign(key.privateKey)
    .then((jws) => Buffer.from(jws));
}

const batch = (sid: string, nowMs: number, key: EventKey) =>
  sign(
    revocationBatchClaims({ iss: ISSUER, iat: Math.floor(nowMs / 1000), jti: `set-${sid}` }, [
      logout(sid, nowMs),
    ]),
    key,
  );

const revoked = (feed: RevocationFeed, sid: string) =>
  feed.denylist.check({ iss: ISSUER, sub: 'user-1', sid, jti: 'x', iat: T0 / 1000 - 10 });

describe('event keys', () => {
  it("F4: a new event key's first message, within the cooldown of a fetch, is applied", async () => {
    const clock = new ManualClock(T0);
    const { jwks, keys, feed } = guard(clock);
    jwks.published = [oldKey.jwk];
    await keys.reload(); // e.g. a junk token's unknown kid made the guard fetch
    clock.advance(1_000);
    jwks.published = [newKey.jwk]; // the admin revoked the event key; the new one signs
    const message = await batch('x', clock.nowMs(), newKey);
    clock.advance(1_000);

    await deliver(feed, clock, message, { partition: 0, offset: '7', timestampMs: T0 + 1_000 });
    expect(revoked(feed, 'x')).toBe('session');
    expect(feed.stats().rejected).toMatchObject({
      EVENT_SIGNATURE_INVALID: 0,
      EVENT_KEY_UNKNOWN: 0,
    });
  });

  it('skips a kid that a JWKS fetched after the message still lacks, with EVENT_KEY_UNKNOWN', async () => {
    const clock = new ManualClock(T0);
    const { jwks, keys, feed } = guard(clock);
    jwks.published = [oldKey.jwk];
    await keys.reload();
    const forged = await batch('forged', clock.nowMs(), stranger);

    const deliveries = await deliver(feed, clock, forged, {
      partition: 0,
      offset: '8',
      timestampMs: clock.nowMs(),
    });
    expect(revoked(feed, 'forged')).toBeUndefined();
    expect(feed.stats().rejected).toMatchObject({
      EVENT_KEY_UNKNOWN: 1,
      EVENT_SIGNATURE_INVALID: 0,
    });
    // Bounded: a forged kid costs at most one reload a second until then.
    expect(jwks.requests).toBeLessThanOrEqual(deliveries + 1);
    // A message without a timestamp is judged by the reload made when it arrived.
    const undated = await batch('undated', clock.nowMs(), stranger);
    await deliver(feed, clock, undated, { partition: 0, offset: '9' });
    expect(feed.stats().rejected.EVENT_KEY_UNKNOWN).toBe(2);
  });

  it('skips messages under a revoked event key with EVENT_KEY_REVOKED, for good', async () => {
    const clock = new ManualClock(T0);
    const { jwks, keys, feed } = guard(clock);
    jwks.published = [oldKey.jwk, newKey.jwk]; // this copy still holds the revoked key
    await keys.reload();
    const revocation: RevocationEvent = {
      v: 1,
      id: 'key-revocation',
      iss: ISSUER,
      sub: 'admin',
      scope: 'key',
      kid: oldKey.kid,
      revokedAtMs: clock.nowMs(),
      expiresAt: Math.floor(clock.nowMs() / 1000) + 11,
      reason: 'key-compromise',
      eventType: 'https://tokenfence.dev/secevent/key-revoked',
    };
    const keyBatch = await sign(
      revocationBatchClaims({ iss: ISSUER, iat: T0 / 1000, jti: 'set-key' }, [revocation]),
      newKey,
    );
    await deliver(feed, clock, keyBatch, { partition: 0, offset: '1', timestampMs: T0 });

    clock.advance(3_600_000); // long after the key entry expired
    feed.denylist.prune();
    const forged = await batch('under-revoked-key', clock.nowMs(), oldKey);
    await deliver(feed, clock, forged, { partition: 0, offset: '2', timestampMs: clock.nowMs() });
    expect(revoked(feed, 'under-revoked-key')).toBeUndefined();
    expect(feed.stats().rejected.EVENT_KEY_REVOKED).toBe(1);
  });
});
