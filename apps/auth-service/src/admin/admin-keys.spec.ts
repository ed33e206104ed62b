import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Principal } from '@tokenfence/revocation-guard';
import { SigningKeys } from '../keys/signing-keys.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { AdminService } from './admin.service.js';

let app: MediumApp;
beforeAll(async () => {
  app = await openMediumApp(new ManualClock(Date.now()));
}, 30_000);
afterAll(() => app.close());

const admin = { sub: '00000000-0000-4000-8000-000000000001' } as Principal;

describe('AdminService.revokeKey (embedded database)', () => {
  it('a key revocation whose event cannot be recorded leaves the key in service', async () => {
    const kid = app.module.get(SigningKeys).signingKey().kid;
    // The event cannot be written: the revocation must not be committed without it.
    await app.db.query('ALTER TABLE outbox RENAME TO outbox_unavailable');
    try {
      await expect(app.module.get(AdminService).revokeKey(admin, kid)).rejects.toThrow();
    } finally {
      await app.db.query('ALTER TABLE outbox_unavailable RENAME TO outbox');
    }
    const rows = await app.db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM signing_keys WHERE kid = $1',
      [kid],
    );
    expect(rows).toEqual([{ revoked: false }]);
  });
});
