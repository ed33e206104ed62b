import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { waitFor } from '../../../../test/support/wait-for.js';
import { SigningKeys } from './signing-keys.js';

let app: MediumApp;
beforeAll(async () => {
  app = await openMediumApp(new ManualClock(Date.now()), {
    EVENT_KEY_ROTATION_SECONDS: '3600',
    TOKEN_KEY_ROTATION_SECONDS: '0',
  });
}, 30_000);
afterAll(() => app.close());

const keysOf = (purpose: 'token' | 'event') =>
  app.db.query<{ kid: string; retired: boolean; pending: boolean }>(
    `SELECT kid, retired_at IS NOT NULL AS retired, activates_at > now() AS pending
       FROM signing_keys WHERE purpose = $1 ORDER BY activates_at`,
    [purpose],
  );

describe('scheduled key rotation (embedded database)', () => {
  it('rotates a kind of key once its newest key is older than its period, and only that kind', async () => {
    const keys = app.module.get(SigningKeys);
    await keys.rotateIfDue();
    expect(await keysOf('event')).toHaveLength(1); // an hour has not passed

    await app.db.query(
      `UPDATE signing_keys SET activates_at = now() - interval '2 hours' WHERE purpose = 'event'`,
    );
    await Promise.all([keys.rotateIfDue(), keys.rotateIfDue()]);
    const [old, next] = await keysOf('event');
    expect(await keysOf('event')).toHaveLength(2); // one rotation out of two attempts
    expect(old).toMatchObject({ retired: true, pending: false });
    expect(next).toMatchObject({ retired: false, pending: true });
    expect(next?.kid.startsWith('events-')).toBe(true);
    // The old key goes on signing until the new one is active, and both are published.
    expect(keys.eventSigningKey().kid).toBe(old?.kid);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([old?.kid, next?.kid]),
    );
    expect(await keysOf('token')).toHaveLength(1); // TOKEN_KEY_ROTATION_SECONDS=0: never
  });
});

describe('an event key revocation (embedded database)', () => {
  let fresh: MediumApp;
  beforeAll(async () => {
    fresh = await openMediumApp(new ManualClock(Date.now()));
  }, 30_000);
  afterAll(() => fresh.close());

  it('publishes the replacement of a revoked event key before it signs with it', async () => {
    const keys = fresh.module.get(SigningKeys);
    const revoked = keys.eventSigningKey().kid;
    await fresh.db.transaction((tx) => keys.revoke(tx, revoked));
    await keys.reload();
    const published = keys.jwks().keys.map((k) => k.kid);
    const replacement = published.find((kid) => kid?.startsWith('events-') && kid !== revoked);
    expect(published).not.toContain(revoked);
    expect(replacement).toBeDefined();
    // Every instance's JWKS has it before the first message under it: nothing signs meanwhile.
    expect(keys.eventSigningKeyIfActive()).toBeUndefined();
    const signing = await waitFor(
      'the replacement event key to sign',
      () => Promise.resolve(keys.eventSigningKeyIfActive()),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(signing.kid).toBe(replacement);
  });
});
