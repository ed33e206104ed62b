import { beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import {
  heartbeatClaims,
  revocationBatchClaims,
  SET_TYP,
  type SecurityEventClaims,
} from '@tokenfence/contract';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Denylist } from './denylist.js';
import type { RevocationEventSource } from './event-source.js';
import { EventVerifier } from './event-verifier.js';
import { JwksKeySource } from './jwks-key-source.js';
import { silentLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';

// How far heartbeats may vouch for freshness (audit F9).

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

let oldKey: EventKey;
let newKey: EventKey;

beforeAll(async () => {
  const make = async (kid: string): Promise<EventKey> => {
    const pair = await generateKeyPair('EdDSA');
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA' };
    return { kid, privateKey: pair.privateKey, jwk };
  };
  oldKey = await make('events-old');
  newKey = await make('events-new');
});

async function guard(clock: ManualClock, partitions: number[]) {
  const jwks = { published: [oldKey.jwk, newKey.jwk] };
  const keys = new JwksKeySource({
    jwksUrl: 'http://auth.example.test/.well-known/jwks.json',
    clock,
    fetch: () => Promise.resolve(Response.json({ keys: jwks.published })),
  });
  await keys.reload();
  const denylist = new Denylist(5, clock);
  const verifierOptions = { keySource: keys, revokedKeys: denylist, clock };
  const feedOptions = { keySource: keys, clockToleranceSeconds: 5 };
  const feed = new RevocationFeed(
    denylist,
    idleSource,
    new EventVerifier(ISSUER, keys.getKey, verifierOptions),
    silentLogger,
    clock,
    feedOptions,
  );
  feed.onPartitions(partitions);
  return { jwks, keys, feed };
}

function sign(claims: SecurityEventClaims, key: EventKey): Promise<Buffer> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: SET_TYP })
    .sign(key.privateKey)
    .then((jws) => Buffer.from(jws));
}

const base = { iss: ISSUER, iat: T0 / 1000, jti: 'set' };
const heartbeat = (partition: number, publishedBeforeMs: number, key: EventKey) =>
  sign(heartbeatClaims(base, partition, publishedBeforeMs), key);
const at = (partition: number) => ({ partition, offset: '0' });

describe('freshness', () => {
  it('F9: refuses a heartbeat dated ahead of the clock beyond the tolerance', async () => {
    const clock = new ManualClock(T0);
    const { feed } = await guard(clock, [0]);
    await feed.onMessage(await heartbeat(0, T0 + 5_000, newKey), at(0)); // within the tolerance
    expect(feed.stalenessMs()).toBe(0);
    await feed.onMessage(await heartbeat(0, T0 + 24 * 3_600_000, newKey), at(0));
    expect(feed.stats().rejected.EVENT_FROM_FUTURE).toBe(1);
    clock.advance(60_000);
    expect(feed.stalenessMs()).toBe(55_000);
  });

  it('F9: drops the freshness an event key vouched for once it leaves the JWKS', async () => {
    const clock = new ManualClock(T0);
    const { jwks, keys, feed } = await guard(clock, [0, 1]);
    await feed.onMessage(await heartbeat(0, T0 - 10_000, newKey), at(0));
    await feed.onMessage(await heartbeat(0, T0 - 1_000, oldKey), at(0));
    await feed.onMessage(await heartbeat(1, T0 - 1_000, oldKey), at(1));
    expect(feed.stalenessMs()).toBe(1_000);

    jwks.published = [newKey.jwk];
    clock.advance(1_000);
    await keys.reload();
    expect(feed.stalenessMs()).toBe(Infinity); // partition 1: only the departed key vouched
    await feed.onMessage(await heartbeat(1, T0, newKey), at(1));
    expect(feed.stalenessMs()).toBe(11_000); // partition 0 falls back to the other key's proof
  });

  it('F9: drops the freshness a revoked event key vouched for at once', async () => {
    const clock = new ManualClock(T0);
    const { feed } = await guard(clock, [0]);
    await feed.onMessage(await heartbeat(0, T0 - 10_000, newKey), at(0));
    await feed.onMessage(await heartbeat(0, T0 + 4_000, oldKey), at(0));
    expect(feed.stalenessMs()).toBe(0);

    const revocation = {
      v: 1 as const,
      id: 'key-revocation',
      iss: ISSUER,
      sub: 'admin',
      scope: 'key' as const,
      kid: oldKey.kid,
      revokedAtMs: T0,
      expiresAt: T0 / 1000 + 11,
      reason: 'key-compromise',
      eventType: 'https://tokenfence.dev/secevent/key-revoked' as const,
    };
    await feed.onMessage(await sign(revocationBatchClaims(base, [revocation]), newKey), at(0));
    expect(feed.stalenessMs()).toBe(10_000);
  });
});
