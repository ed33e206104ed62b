import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { AccessTokenAuthenticator } from './access-token-authenticator.js';
import { Denylist } from './denylist.js';
import type { RevocationEventSource } from './event-source.js';
import { EventVerifier } from './event-verifier.js';
import { GuardError } from './guard-error.js';
import { JwksKeySource } from './jwks-key-source.js';
import { silentLogger } from './logger.js';
import { ManualClock } from './manual-clock.js';
import { RevocationFeed } from './revocation-feed.js';
import { TokenVerifier } from './token-verifier.js';

// An auth-service outage longer than the JWKS max age (audit F8): the guard keeps serving from
// the last good key set, the stale policy alone decides, and refetches back off.

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'tokenfence-services';
const T0 = 1_800_000_000_000;
const CACHE_MAX_AGE_MS = 600_000; // the defaults
const COOLDOWN_MS = 5_000;
const BACKOFF_CAP_MS = 60_000; // a tenth of the max age

const idleSource: RevocationEventSource = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

let tokenKey: { privateKey: CryptoKey; jwk: JWK };
let strangerKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  tokenKey = {
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid: 'tokens-1', alg: 'ES256' },
  };
  strangerKey = (await generateKeyPair('ES256')).privateKey;
});

/** A JWKS endpoint double that answers on the next turn of the event loop; counts attempts. */
function endpoint(clock: ManualClock) {
  const state = { down: false, attemptsAtMs: [] as number[], inFlight: 0, maxInFlight: 0 };
  const fetchImpl: typeof fetch = async () => {
    state.attemptsAtMs.push(clock.nowMs());
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      if (state.down) throw new TypeError('fetch failed');
      return Response.json({ keys: [tokenKey.jwk] });
    } finally {
      state.inFlight--;
    }
  };
  return { state, fetchImpl };
}

/** The core of one guard instance, stale policy `allow`, verified-token cache off. */
function guard(clock: ManualClock, fetchImpl: typeof fetch) {
  const keys = new JwksKeySource({ jwksUrl: `${ISSUER}/jwks.json`, clock, fetch: fetchImpl });
  const denylist = new Denylist(5, clock);
  const feed = new RevocationFeed(
    denylist,
    idleSource,
    new EventVerifier(ISSUER, keys.getKey, { keySource: keys, revokedKeys: denylist, clock }),
    silentLogger,
    clock,
    { keySource: keys },
  );
  feed.onPartitions([0]);
  feed.onCaughtUp(); // caught up, and stale: no heartbeat ever
  const verifier = new TokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    clockToleranceSeconds: 5,
    keys: keys.getKey,
    verifiedTokenCacheMaxEntries: 0,
    revocations: denylist,
    clock,
  });
  const authenticator = new AccessTokenAuthenticator(
    verifier,
    feed,
    { maxStalenessMs: 30_000, stalePolicy: 'allow' },
    silentLogger,
    undefined,
    clock,
  );
  return { keys, authenticator };
}

function token(kid: string, key: CryptoKey = tokenKey.privateKey): Promise<string> {
  return new SignJWT({ sid: 'sid-1', scope: 'orders:read' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-1')
    .setJti(`jti-${kid}`)
    .setIssuedAt(T0 / 1000)
    .setExpirationTime(T0 / 1000 + 3_600)
    .sign(key);
}

/** ACCEPTED, or the refusal's code. */
const outcome = (authenticator: AccessTokenAuthenticator, jwt: string) =>
  authenticator.authenticate(`Bearer ${jwt}`).then(
    () => 'ACCEPTED',
    (err: unknown) => (err instanceof GuardError ? err.code : String(err)),
  );

/**
 * Checks that failed attempts are spaced by backoff: the n-th retry waits min(cap, cooldown ×
 * 2^(n-1)) plus up to half of that as jitter (plus the 1 s steps of the test). Returns the count.
 */
function expectBackoff(failedAtMs: readonly number[]): number {
  const gaps = failedAtMs.slice(1).map((at, i) => at - (failedAtMs[i] ?? 0));
  const outOfRange = gaps.flatMap((gap, i) => {
    const base = Math.min(BACKOFF_CAP_MS, COOLDOWN_MS * 2 ** i);
    const max = base * 1.5 + 1_000;
    return gap >= base && gap <= max ? [] : [`retry ${i + 1} after ${gap} ms, not ${base}..${max}`];
  });
  expect(outOfRange).toEqual([]);
  return gaps.length;
}

/** Polls (each turn of the event loop) until `done`, for at most 2 s. */
async function eventually(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const many = (n: number, run: () => Promise<string>) =>
  Promise.all(Array.from({ length: n }, run)).then((results) => [...new Set(results)]);

describe('JWKS outage (F8)', () => {
  it('keeps accepting under allow, one fetch in flight, failed refetches backed off', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint(clock);
    const { keys, authenticator } = guard(clock, fetchImpl);
    const known = await token('tokens-1');
    const forged = await token('tokens-forged', strangerKey);
    expect(await outcome(authenticator, known)).toBe('ACCEPTED');
    expect(state.attemptsAtMs).toEqual([T0]);

    state.down = true;
    clock.advance(CACHE_MAX_AGE_MS);
    expect(await many(100, () => outcome(authenticator, known))).toEqual(['ACCEPTED']);
    expect(state.attemptsAtMs).toEqual([T0, T0 + CACHE_MAX_AGE_MS]);

    // Seven minutes in steps of a second: each step verifies known tokens and a forged kid, and
    // forces a reload (what a key revocation or an unknown event key does).
    for (let step = 0; step < 420; step++) {
      clock.advance(1_000);
      const [accepted, refused] = await Promise.all([
        many(10, () => outcome(authenticator, known)),
        many(10, () => outcome(authenticator, forged)),
        keys.reload(),
      ]);
      expect([accepted, refused]).toEqual([['ACCEPTED'], ['TOKEN_SIGNATURE_INVALID']]);
    }
    expect(state.maxInFlight).toBe(1);
    const retries = expectBackoff(state.attemptsAtMs.slice(1));
    expect(retries).toBeGreaterThanOrEqual(6);
    expect(retries).toBeLessThanOrEqual(10);

    // Back up: the next due retry succeeds, then the normal cooldown applies again.
    state.down = false;
    const before = state.attemptsAtMs.length;
    for (let step = 0; step < 100 && state.attemptsAtMs.length === before; step++) {
      clock.advance(1_000);
      expect(await outcome(authenticator, known)).toBe('ACCEPTED');
    }
    await eventually(() => keys.lastFetchedAtMs() === clock.nowMs());
    expect(await outcome(authenticator, forged)).toBe('TOKEN_SIGNATURE_INVALID');
    expect(state.attemptsAtMs.length).toBe(before + 1); // cooling down after the success
    clock.advance(COOLDOWN_MS);
    expect(await outcome(authenticator, forged)).toBe('TOKEN_SIGNATURE_INVALID');
    expect(state.attemptsAtMs.length).toBe(before + 2);
  });

  it('is SIGNING_KEYS_UNAVAILABLE only while no key set was ever fetched', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint(clock);
    state.down = true;
    const { authenticator } = guard(clock, fetchImpl);
    const known = await token('tokens-1');
    expect(await many(100, () => outcome(authenticator, known))).toEqual([
      'SIGNING_KEYS_UNAVAILABLE',
    ]);
    for (let step = 0; step < 40; step++) {
      clock.advance(1_000);
      expect(await many(10, () => outcome(authenticator, known))).toEqual([
        'SIGNING_KEYS_UNAVAILABLE',
      ]);
    }
    expect(state.maxInFlight).toBe(1);
    const retries = expectBackoff(state.attemptsAtMs); // at +5, +15 and +35 s without jitter
    expect(retries).toBeGreaterThanOrEqual(2);
    expect(retries).toBeLessThanOrEqual(3);
  });
});
