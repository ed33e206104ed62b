import { describe, expect, it } from '@jest/globals';
import { generateKeyPair, SignJWT } from 'jose';
import { bearer, call } from './support/http.js';
import { answerNow, waitRejected } from './support/downstream.js';
import type { RunningService } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, logout, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const ADMIN = { username: 'root-admin', password: 'an admin password for tests' };

/**
 * F2 and F4 of the security audit: revoking the event key (it is compromised) must neither make
 * new instances forget the revocations it signed, nor make running instances skip the first
 * messages under the new key because their JWKS was fetched a moment before.
 */
describe('event key compromise (PostgreSQL)', () => {
  const system = useSystem({
    database: 'postgres',
    authEnv: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      KEY_ACTIVATION_DELAY_SECONDS: '6',
    },
  });

  const adminToken = async (): Promise<string> =>
    (await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN })).body.access_token;

  const eventKid = async (): Promise<string> => {
    const jwks = await call<{ keys: { kid: string }[] }>(
      `${system.auth.url}/.well-known/jwks.json`,
    );
    const kids = jwks.body.keys.map((k) => k.kid).filter((kid) => kid.startsWith('events-'));
    expect(kids).toHaveLength(1);
    return kids[0];
  };

  /** A token with a kid no one knows: each guard refuses it and refetches its JWKS. */
  const forceJwksFetch = async (services: readonly RunningService[]): Promise<void> => {
    const { privateKey } = await generateKeyPair('ES256');
    const junk = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `unknown-${Date.now()}` })
      .sign(privateKey);
    for (const service of services) {
      const answer = await call(`${service.url}/me`, { headers: bearer(junk) });
      expect(answer.status).toBe(401);
    }
  };

  const revokeEventKey = async (): Promise<string> => {
    const compromised = await eventKid();
    const answer = await call(`${system.auth.url}/admin/keys/${compromised}/revoke`, {
      method: 'POST',
      headers: bearer(await adminToken()),
    });
    expect(answer.status).toBe(204);
    expect(await eventKid()).not.toBe(compromised);
    return compromised;
  };

  it('F2: an instance started after the revocation refuses tokens revoked before and after it', async () => {
    const before = await loggedIn(system.auth.url, 'before');
    const after = await loggedIn(system.auth.url, 'after');
    await waitRejected(system.orders, before.access_token, await logout(system.auth.url, before));
    await revokeEventKey();
    await logout(system.auth.url, after);

    const late = await system.startDownstream('orders');
    await system.waitReady(late);
    // Before the fix the batches signed with the revoked key are skipped and nothing replaces them.
    await waitRejected(late, before.access_token, Date.now(), 20_000);
    expect(await answerNow(late, after.access_token)).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
  });

  it('F4: running instances whose JWKS was just fetched enforce a logout right after it', async () => {
    const user = await loggedIn(system.auth.url, 'right-after');
    await forceJwksFetch([system.orders, system.game]);
    await revokeEventKey();
    const loggedOutAt = await logout(system.auth.url, user);
    // Before the fix the first messages under the new key are taken for forgeries and skipped.
    // Meanwhile a guard may be stale: it drops the freshness the revoked key vouched for at once,
    // and regains it from the first heartbeat under the new key, after the snapshot.
    const stale = ['REVOCATION_STATE_STALE'];
    await waitRejected(system.orders, user.access_token, loggedOutAt, 15_000, stale);
    await waitRejected(system.game, user.access_token, loggedOutAt, 15_000, stale);
    const late = await system.startDownstream('game');
    await system.waitReady(late);
    await waitRejected(late, user.access_token, Date.now(), 20_000);
  });

  it('rotation: the old event key stays trusted, so a later instance applies what it signed', async () => {
    const snapshots = async () =>
      (
        await system.queryAuthDatabase<{ n: string | number }>(
          'SELECT count(*) AS n FROM snapshot_requests',
        )
      )[0]?.n;
    const before = await loggedIn(system.auth.url, 'before-rotation');
    await logout(system.auth.url, before);
    const snapshotsBefore = await snapshots();
    const rotated = await call<{ kid: string }>(
      `${system.auth.url}/admin/keys/rotate?purpose=event`,
      { method: 'POST', headers: bearer(await adminToken()) },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid.startsWith('events-')).toBe(true);
    // The relay signs with the new key once it is active (after the activation delay).
    await waitFor(
      'the relay to sign with the rotated event key',
      async () => {
        const [row] = await system.queryAuthDatabase<{ value: string }>(
          `SELECT value FROM relay_state WHERE name = 'event_kid'`,
        );
        return row?.value === rotated.body.kid ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const after = await loggedIn(system.auth.url, 'after-rotation');
    await logout(system.auth.url, after);

    const late = await system.startDownstream('orders');
    await system.waitReady(late);
    await waitRejected(late, after.access_token, Date.now());
    expect(await answerNow(late, before.access_token)).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
    // A rotation is no compromise: nothing had to be republished.
    expect(await snapshots()).toBe(snapshotsBefore);
  });
});
