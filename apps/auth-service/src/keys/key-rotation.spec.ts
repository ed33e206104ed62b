import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
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
