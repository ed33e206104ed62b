import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  heartbeatClaims,
  revocationBatchClaims,
  SET_TYP,
  type RevocationEvent,
  type SecurityEventClaims,
} from '@tokenfence/contract';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTVerifyGetKey,
} from 'jose';
import type { Clock } from './clock.js';
import { Denylist } from './denylist.js';
import type { RevocationEventSource } from './event-source.js';
import { EventKeysUnavailable, EventVerifier } from './event-verifier.js';
import { silentLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';

const ISSUER = 'https://auth.example.test';
const NOW_MS = 1_800_000_000_000;
const clock: Clock = { nowMs: () => NOW_MS };
const idleSource: RevocationEventSource = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

let eventKey: CryptoKey;
let tokenKey: CryptoKey;
let strangerKey: CryptoKey;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  const events = await generateKeyPair('EdDSA');
  const tokens = await generateKeyPair('ES256');
  eventKey = events.privateKey;
  tokenKey = tokens.privateKey;
  strangerKey = (await generateKeyPair('EdDSA')).privateKey;
  jwks = createLocalJWKSet({
    keys: [
      { ...(await exportJWK(events.publicKey)), kid: 'events-1', alg: 'EdDSA' },
      { ...(await exportJWK(tokens.publicKey)), kid: 'token-1', alg: 'ES256' },
    ],
  });
});

const base = (iss = ISSUER) => ({ iss, iat: NOW_MS / 1000, jti: 'set-1' });
const revocation = (sid: string): RevocationEvent => ({
  v: 1,
  id: `id-${sid}`,
  iss: ISSUER,
  sub: 'user-1',
  scope: 'session',
  sid,
  revokedAtMs: NOW_MS - 5,
  expiresAt: NOW_MS / 1000 + 900,
  reason: 'logout',
  eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
});

function sign(
  claims: SecurityEventClaims,
  { key = eventKey, kid = 'events-1', alg = 'EdDSA', typ = SET_TYP } = {},
): Promise<Buffer> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ })
    .sign(key)
    .then((jws) => Buffer.from(jws));
}

function newFeed(keys: JWTVerifyGetKey = jwks): RevocationFeed {
  const feed = new RevocationFeed(
    new Denylist(5, clock),
    idleSource,
    new EventVerifier(ISSUER, keys),
    silentLogger,
    clock,
  );
  feed.onPartitions([0, 1]);
  return feed;
}

const at = (partition: number, offset = '0') => ({ partition, offset });
const revoked = (feed: RevocationFeed, sid: string) =>
  feed.denylist.check({ iss: ISSUER, sub: 'user-1', sid, jti: 'x', iat: NOW_MS / 1000 - 10 });

describe('RevocationFeed', () => {
  it('applies a signed batch and skips forged, unsigned, malformed and oversized messages', async () => {
    const feed = newFeed();
    const batch = (sid: string) => revocationBatchClaims(base(), [revocation(sid)]);
    const unsigned = (claims: SecurityEventClaims) => {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return Buffer.from(`${part({ alg: 'none', typ: SET_TYP })}.${part(claims)}.`);
    };

    await feed.onMessage(await sign(batch('forged-stranger'), { key: strangerKey }), at(0));
    await feed.onMessage(
      await sign(batch('forged-token-key'), { key: tokenKey, kid: 'token-1', alg: 'ES256' }),
      at(0),
    );
    await feed.onMessage(await sign(batch('wrong-typ'), { typ: 'JWT' }), at(0));
    await feed.onMessage(
      await sign(revocationBatchClaims(base('https://evil.test'), [revocation('wrong-iss')])),
      at(0),
    );
    await feed.onMessage(unsigned(batch('unsigned')), at(0));
    await feed.onMessage(Buffer.from('{"not":"a jws"}'), at(0));
    await feed.onMessage(Buffer.alloc(2 * 1024 * 1024, 97), at(0));
    await feed.onMessage(await sign(batch('good')), at(0));

    expect(revoked(feed, 'good')).toBe('session');
    for (const sid of [
      'forged-stranger',
      'forged-token-key',
      'wrong-typ',
      'wrong-iss',
      'unsigned',
    ]) {
      expect(revoked(feed, sid)).toBeUndefined();
    }
    expect(feed.stats()).toMatchObject({
      applied: 1,
      rejected: {
        EVENT_SIGNATURE_INVALID: 2, // a stranger's key; the token key
        EVENT_INVALID: 2, // wrong typ; wrong issuer
        EVENT_MALFORMED: 2, // alg none (no signature); not a JWS
        EVENT_TOO_LARGE: 1,
      },
    });
  });

  it('skips an invalid member of a batch but applies the rest', async () => {
    const feed = newFeed();
    const claims = revocationBatchClaims(base(), [
      revocation('a'),
      { ...revocation('b'), scope: 7 } as unknown as RevocationEvent,
      revocation('c'),
    ]);
    await feed.onMessage(await sign(claims), at(0));
    expect([revoked(feed, 'a'), revoked(feed, 'b'), revoked(feed, 'c')]).toEqual([
      'session',
      undefined,
      'session',
    ]);
    expect(feed.stats().rejected.EVENT_INVALID).toBe(1);
  });

  it('is stale until every partition has a heartbeat, then as old as the oldest one', async () => {
    const feed = newFeed();
    expect(feed.stalenessMs()).toBe(Infinity);
    await feed.onMessage(await sign(heartbeatClaims(base(), 0, NOW_MS - 1_000)), at(0));
    expect(feed.stalenessMs()).toBe(Infinity);
    await feed.onMessage(await sign(heartbeatClaims(base(), 1, NOW_MS - 3_000)), at(1));
    expect(feed.stalenessMs()).toBe(3_000);
    // An older heartbeat (a replay) never moves freshness back.
    await feed.onMessage(await sign(heartbeatClaims(base(), 1, NOW_MS - 9_000)), at(1));
    expect(feed.stalenessMs()).toBe(3_000);
  });

  it('refuses a heartbeat copied to another partition', async () => {
    const feed = newFeed();
    await feed.onMessage(await sign(heartbeatClaims(base(), 0, NOW_MS)), at(1));
    await feed.onMessage(await sign(heartbeatClaims(base(), 1, NOW_MS)), at(1));
    expect(feed.stats().freshAsOfMs).toBeUndefined();
    expect(feed.stats().rejected.EVENT_INVALID).toBe(1);
  });

  it('asks for redelivery, and counts nothing, when the keys cannot be loaded', async () => {
    const feed = newFeed(() => Promise.reject(new TypeError('fetch failed')));
    const message = await sign(revocationBatchClaims(base(), [revocation('later')]));
    await expect(feed.onMessage(message, at(0))).rejects.toBeInstanceOf(EventKeysUnavailable);
    expect(feed.stats().applied).toBe(0);
    expect(Object.values(feed.stats().rejected).every((n) => n === 0)).toBe(true);
  });
});

describe('RevocationFeed, contract revision 2', () => {
  const heartbeat = (partition: number, ms: number) => sign(heartbeatClaims(base(), partition, ms));
  const snapshotPart = (partition: number, part: number, last: boolean, sids: string[] = []) =>
    sign(
      revocationBatchClaims(
        base(),
        sids.map((sid) => revocation(sid)),
        { id: 'snap-1', partition, part, last, reason: 'event-key-revoked' },
      ),
    );

  it('stops vouching for a partition once it meets a member of a later version', async () => {
    const feed = newFeed();
    await feed.onMessage(await heartbeat(0, NOW_MS - 1_000), at(0));
    await feed.onMessage(await heartbeat(1, NOW_MS - 1_000), at(1));
    const newer = { ...revocation('v2'), v: 2 } as unknown as RevocationEvent;
    await feed.onMessage(await sign(revocationBatchClaims(base(), [newer])), at(0));
    await feed.onMessage(await heartbeat(0, NOW_MS), at(0));
    await feed.onMessage(await heartbeat(1, NOW_MS), at(1));
    expect(feed.stats().rejected.EVENT_VERSION_UNSUPPORTED).toBe(1);
    // Partition 0 stays at what it vouched for before; without the rule this would be 0.
    expect(feed.stalenessMs()).toBe(1_000);
  });

  it('does the same for an unknown SET event type of ours', async () => {
    const feed = newFeed();
    await feed.onMessage(await heartbeat(0, NOW_MS - 1_000), at(0));
    await feed.onMessage(await heartbeat(1, NOW_MS - 1_000), at(1));
    const newer = { ...base(), events: { 'https://tokenfence.dev/secevent/key-announcement': {} } };
    await feed.onMessage(await sign(newer), at(1));
    await feed.onMessage(await heartbeat(0, NOW_MS), at(0));
    await feed.onMessage(await heartbeat(1, NOW_MS), at(1));
    expect(feed.stats().rejected.EVENT_VERSION_UNSUPPORTED).toBe(1);
    expect(feed.stalenessMs()).toBe(1_000);
  });

  it('is not ready until a snapshot it saw start has ended in that partition', async () => {
    const feed = newFeed();
    await feed.onMessage(await snapshotPart(0, 0, false, ['in-snapshot']), at(0));
    feed.onCaughtUp();
    expect(feed.isReady()).toBe(false);
    await feed.onMessage(await snapshotPart(0, 1, true), at(0));
    expect(feed.isReady()).toBe(true);
    expect(revoked(feed, 'in-snapshot')).toBe('session');
  });

  it('refuses a snapshot part copied to another partition', async () => {
    const feed = newFeed();
    await feed.onMessage(await snapshotPart(0, 0, true, ['copied']), at(1));
    expect(feed.stats().rejected.EVENT_INVALID).toBe(1);
    expect(revoked(feed, 'copied')).toBeUndefined();
  });

  it('skips, unstored and counted, the revocations of an issuer it does not trust; stays fresh', async () => {
    const KEYCLOAK = 'https://kc.test/realms/acme';
    const feed = new RevocationFeed(
      new Denylist(5, clock),
      idleSource,
      new EventVerifier(ISSUER, jwks),
      silentLogger,
      clock,
      { issuers: { tokens: new Set([ISSUER, KEYCLOAK]), events: ISSUER } },
    );
    feed.onPartitions([0]);
    const other = (iss: string, sid: string): RevocationEvent => ({ ...revocation(sid), iss });
    const key = (iss: string, kid: string): RevocationEvent => ({
      ...revocation('unused'),
      id: `key-${iss}-${kid}`,
      iss,
      scope: 'key',
      kid,
      reason: 'key-compromise',
    });
    await feed.onMessage(
      await sign(
        revocationBatchClaims(base(), [
          other('https://stranger.test', 's-stranger'),
          other(KEYCLOAK, 's-keycloak'),
          revocation('s-ours'),
          key('https://stranger.test', 'events-1'),
        ]),
      ),
      at(0),
    );
    await feed.onMessage(await heartbeat(0, NOW_MS), at(0));
    feed.onCaughtUp();

    expect(feed.stats()).toMatchObject({ applied: 2, untrustedIssuer: 2, ready: true });
    expect(Object.values(feed.stats().rejected).every((n) => n === 0)).toBe(true);
    // Not stored: the denylist holds the two trusted members only.
    expect(feed.denylist.size().session).toBe(2);
    expect(feed.denylist.size().key).toBe(0);
    expect(feed.denylist.isKeyRevoked('https://stranger.test', 'events-1')).toBe(false);
    // Another issuer's key revocation naming our event key's kid does not distrust it.
    expect(feed.stalenessMs()).toBe(0);
  });

  it("keeps the events issuer's key revocations even when it issues no tokens", async () => {
    const HUB = ISSUER;
    const feed = new RevocationFeed(
      new Denylist(5, clock),
      idleSource,
      new EventVerifier(HUB, jwks),
      silentLogger,
      clock,
      { issuers: { tokens: new Set(['https://kc.test/realms/acme']), events: HUB } },
    );
    feed.onPartitions([0]);
    const keyRevocation = {
      ...revocation('unused'),
      scope: 'key',
      kid: 'events-old',
      reason: 'key-compromise',
    } as RevocationEvent;
    await feed.onMessage(
      await sign(revocationBatchClaims(base(), [keyRevocation, revocation('s')])),
      at(0),
    );
    expect(feed.denylist.isKeyRevoked(HUB, 'events-old')).toBe(true);
    expect(feed.stats()).toMatchObject({ applied: 1, untrustedIssuer: 1 });
  });
});
