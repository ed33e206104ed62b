import { beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { JwksKeySource, type KeySetChange } from './jwks-key-source.js';
import { KeySourceFailure } from './key-source.js';

const URL_ = 'http://auth.example.test/.well-known/jwks.json';
const T0 = 1_800_000_000_000;

let k1: JWK;
let k2: JWK;

beforeAll(async () => {
  k1 = {
    ...(await exportJWK((await generateKeyPair('ES256')).publicKey)),
    kid: 'k1',
    alg: 'ES256',
  };
  k2 = {
    ...(await exportJWK((await generateKeyPair('ES256')).publicKey)),
    kid: 'k2',
    alg: 'ES256',
  };
});

/** A JWKS endpoint double: serves `keys`, or fails while `down`; counts requests. */
function endpoint() {
  const state = { keys: [] as JWK[], down: false, requests: 0 };
  const fetchImpl: typeof fetch = (_input, init) => {
    state.requests++;
    if (state.down) return Promise.reject(new TypeError('fetch failed'));
    expect(init?.signal).toBeInstanceOf(AbortSignal);
    return Promise.resolve(Response.json({ keys: state.keys }));
  };
  return { state, fetchImpl };
}

function source(clock: ManualClock, fetchImpl: typeof fetch) {
  return new JwksKeySource({ jwksUrl: URL_, clock, fetch: fetchImpl, jwksCooldownMs: 5_000 });
}

/** Polls (each turn of the event loop) until `done`, for at most 2 s. */
async function eventually(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const lookup = (keys: JwksKeySource, kid: string) =>
  keys.getKey({ alg: 'ES256', kid }, { payload: '', signature: '' });

describe('JwksKeySource', () => {
  it.each([
    ['url', 'jwksUrl'],
    ['cacheMaxAgeMs', 'jwksCacheMaxAgeMs'],
    ['cooldownMs', 'jwksCooldownMs'],
  ])('refuses the 1.x option "%s", naming "%s"', (old, current) => {
    expect(() => new JwksKeySource({ jwksUrl: URL_, [old]: 1_000 })).toThrow(
      new TypeError(`JwksKeySource: "${old}" was renamed "${current}" in 2.0.0; set that instead`),
    );
  });

  it('fetches on first use and tells when', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const keys = source(clock, fetchImpl);
    expect(keys.lastFetchedAtMs()).toBeUndefined();
    await expect(lookup(keys, 'k1')).resolves.toBeDefined();
    expect([keys.has('k1'), keys.lastFetchedAtMs(), state.requests]).toEqual([true, T0, 1]);
  });

  it('refetches for an unknown kid at most once per cooldown', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const keys = source(clock, fetchImpl);
    await lookup(keys, 'k1');
    await expect(lookup(keys, 'forged')).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    expect(state.requests).toBe(1); // fetched 0 ms ago: cooling down
    state.keys = [k1, k2];
    clock.advance(4_999);
    await expect(lookup(keys, 'k2')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    clock.advance(1);
    await expect(lookup(keys, 'k2')).resolves.toBeDefined();
    expect(state.requests).toBe(2);
  });

  it('refetches past its max age, and keeps the last good keys when that fails', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const keys = new JwksKeySource({
      jwksUrl: URL_,
      clock,
      fetch: fetchImpl,
      jwksCacheMaxAgeMs: 60_000,
      random: () => 0, // no jitter: the retry is due after exactly the cooldown
    });
    await lookup(keys, 'k1');
    state.down = true;
    clock.advance(60_000);
    await expect(lookup(keys, 'k1')).resolves.toBeDefined();
    expect([state.requests, keys.lastFetchedAtMs()]).toEqual([2, T0]);
    clock.advance(1_000); // within the cooldown of the failed attempt: no new request
    await expect(lookup(keys, 'k1')).resolves.toBeDefined();
    expect(state.requests).toBe(2);
    state.down = false;
    clock.advance(5_000);
    await lookup(keys, 'k1'); // served at once; the refresh runs in the background
    await eventually(() => keys.lastFetchedAtMs() === T0 + 66_000);
    expect(state.requests).toBe(3);
  });

  it('backs off failed fetches, forced reloads included, with jitter, up to a tenth of the max age', async () => {
    const retries = async (random: number) => {
      const clock = new ManualClock(T0);
      const { state, fetchImpl } = endpoint();
      state.keys = [k1];
      const options = { jwksUrl: URL_, clock, fetch: fetchImpl, random: () => random };
      const keys = new JwksKeySource({
        ...options,
        jwksCooldownMs: 5_000,
        jwksCacheMaxAgeMs: 300_000,
      });
      await keys.reload();
      state.down = true;
      const attempts: number[] = [];
      for (let second = 1; second <= 240; second++) {
        clock.advance(1_000);
        const before = state.requests;
        await Promise.all([
          keys.reload(),
          lookup(keys, 'k1'),
          expect(lookup(keys, 'unknown')).rejects.toBeDefined(),
        ]);
        if (state.requests > before) attempts.push(second);
      }
      return attempts;
    };
    // Cap 30 s: a tenth of the max age. Without jitter: 5, 10, 20, 30, 30, ... s apart.
    expect(await retries(0)).toEqual([1, 6, 16, 36, 66, 96, 126, 156, 186, 216]);
    // With the most jitter, each delay is half as long again: 7.5, 15, 30, 45, 45, ... s.
    expect(await retries(0.999_999)).toEqual([1, 9, 24, 54, 99, 144, 189, 234]);
  });

  it('serves a known kid from the last good keys without waiting for the refetch', async () => {
    const clock = new ManualClock(T0);
    let release = (): void => {};
    let requests = 0;
    const hangsAfterTheFirst: typeof fetch = () => {
      requests++;
      if (requests === 1) return Promise.resolve(Response.json({ keys: [k1] }));
      const answer = Response.json({ keys: [k1, k2] });
      // A blackholed auth service: answers only when released.
      return new Promise((resolve) => (release = () => resolve(answer)));
    };
    const keys = new JwksKeySource({
      jwksUrl: URL_,
      clock,
      fetch: hangsAfterTheFirst,
      jwksCacheMaxAgeMs: 60_000,
    });
    await keys.reload();
    clock.advance(60_000);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('waited for the refetch'), 2_000);
    });
    const served = (async () => {
      await lookup(keys, 'k1');
      return 'served';
    })();
    expect(await Promise.race([served, deadline])).toBe('served');
    clearTimeout(timer);
    expect(requests).toBe(2); // the refetch did start
    const unknown = lookup(keys, 'k2'); // an unknown kid does wait for it
    release();
    await expect(unknown).resolves.toBeDefined();
    expect(keys.lastFetchedAtMs()).toBe(T0 + 60_000);
  });

  it('is a KeySourceFailure while no key set was ever fetched', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    state.down = true;
    const keys = source(clock, fetchImpl);
    await expect(lookup(keys, 'k1')).rejects.toBeInstanceOf(KeySourceFailure);
    await expect(lookup(keys, 'k1')).rejects.toBeInstanceOf(KeySourceFailure);
    expect(state.requests).toBe(1);
  });

  it('refuses a body that is not a JWKS, and an HTTP error, as failures', async () => {
    const clock = new ManualClock(T0);
    for (const answer of [new Response('{"keys":"no"}'), new Response('', { status: 500 })]) {
      const keys = source(clock, () => Promise.resolve(answer));
      await expect(lookup(keys, 'k1')).rejects.toBeInstanceOf(KeySourceFailure);
    }
  });

  it('aborts a fetch that takes longer than its timeout', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      });
    const keys = new JwksKeySource({ jwksUrl: URL_, fetch: hanging, fetchTimeoutMs: 20 });
    await expect(lookup(keys, 'k1')).rejects.toBeInstanceOf(KeySourceFailure);
  });

  it('reloads on demand past the cooldown, at most once a second, joining a fetch in flight', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const keys = source(clock, fetchImpl);
    await Promise.all([keys.reload(), keys.reload(), lookup(keys, 'k1')]);
    expect(state.requests).toBe(1);
    clock.advance(999);
    await keys.reload();
    expect(state.requests).toBe(1);
    clock.advance(1);
    state.keys = [k2];
    await keys.reload();
    expect([state.requests, keys.has('k2'), keys.lastFetchedAtMs()]).toEqual([2, true, T0 + 1000]);
    state.down = true;
    clock.advance(1_000);
    await expect(keys.reload()).resolves.toBeUndefined(); // a failure keeps the last good keys
    expect([state.requests, keys.has('k2')]).toEqual([3, true]);
  });

  it('reports the kids that appear and leave', async () => {
    const clock = new ManualClock(T0);
    const { state, fetchImpl } = endpoint();
    const changes: KeySetChange[] = [];
    const keys = source(clock, fetchImpl);
    keys.onChange((change) => changes.push(change));
    state.keys = [k1];
    await keys.reload();
    clock.advance(1_000);
    await keys.reload(); // nothing changed: no report
    state.keys = [k2];
    clock.advance(1_000);
    await keys.reload();
    expect(changes).toEqual([
      { added: ['k1'], removed: [] },
      { added: ['k2'], removed: ['k1'] },
    ]);
  });
});
