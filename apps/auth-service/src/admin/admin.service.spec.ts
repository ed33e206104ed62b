import { describe, expect, it } from '@jest/globals';
import type { Principal } from '@tokenfence/revocation-guard';
import type { Database } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';
import type { SigningKeys } from '../keys/signing-keys.js';
import type { RevocationSnapshot } from '../revocation/revocation-snapshot.js';
import type { OutboxRelay } from '../revocation/outbox.relay.js';
import type { RevocationRecorder } from '../revocation/revocation-recorder.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { UsersRepository } from '../users/users.repository.js';
import { systemClock } from '../time/clock.js';
import type { ClientAuthenticator } from '../oauth/client-authenticator.js';
import type { ClientCutoffs } from '../oauth/client-cutoffs.js';
import { AdminService } from './admin.service.js';

/** An admin service whose key store records the kids it is asked to revoke, and knows none. */
function withKeys(): { service: AdminService; asked: string[] } {
  const asked: string[] = [];
  const keys = {
    revoke: (_tx: unknown, kid: string) => {
      asked.push(kid);
      return Promise.resolve({ found: false, wasSigning: false });
    },
  } as unknown as SigningKeys;
  const service = new AdminService(
    {} as Database,
    {} as UsersRepository,
    {} as SessionsRepository,
    keys,
    {
      commit: (work: (tx: unknown, revoke: unknown) => Promise<unknown>) => work({}, () => null),
    } as unknown as RevocationRecorder,
    {} as SessionsService,
    systemClock,
    {} as OutboxRelay,
    {} as RevocationSnapshot,
    {} as ClientAuthenticator,
    {} as ClientCutoffs,
  );
  return { service, asked };
}

const admin = { sub: 'admin-1' } as Principal;

const refusal = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'accepted',
    (err: unknown) => (err instanceof AuthError ? err.code : err),
  );

describe('AdminService.revokeKey', () => {
  it('looks up a well-formed kid, and answers NOT_FOUND when there is no such key', async () => {
    const { service, asked } = withKeys();
    const kid = 'events-Xb2Q_0aZ9-3kLmNoPqRsTuVwXyZ0123456789ab';
    expect(await refusal(service.revokeKey(admin, kid))).toBe('NOT_FOUND');
    expect(asked).toEqual([kid]);
  });

  // Found by the REST fuzzer: a kid with U+0000 reached PostgreSQL, which failed the query (500).
  it.each(['a\u0000b', '\u0000', '', 'k'.repeat(129), '../x', 'kid with spaces', 'é'])(
    'answers NOT_FOUND for a kid that cannot be ours (%j) without querying',
    async (kid) => {
      const { service, asked } = withKeys();
      expect(await refusal(service.revokeKey(admin, kid))).toBe('NOT_FOUND');
      expect(asked).toEqual([]);
    },
  );
});
