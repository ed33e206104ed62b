import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const ADMIN = { username: 'root-admin', password: 'an admin password for tests' };
const kidOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string })
    .kid;

describe.each(['embedded', 'postgres'] as const)('admin API (%s database)', (database) => {
  const system = new TestSystem({
    database,
    authEnv: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      KEY_ACTIVATION_DELAY_SECONDS: '6',
    },
  });
  let admin: TokenPair;

  beforeAll(async () => {
    await system.start();
    const answer = await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN });
    expect(answer.status).toBe(200);
    admin = answer.body;
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);

  const post = (path: string, token = admin.access_token) =>
    call(`${system.auth.url}${path}`, { method: 'POST', headers: bearer(token) });

  it('refuses non-admins with 403 INSUFFICIENT_SCOPE', async () => {
    const username = uniqueName('plain');
    await register(system.auth.url, username);
    const plain = await login(system.auth.url, username);
    const answer = await post('/admin/revoke-all', plain.access_token);
    expect({ status: answer.status, code: answer.body.code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
    const unknown = await post('/admin/users/00000000-0000-4000-8000-000000000000/disable');
    expect(unknown.status).toBe(404);
  });

  it('disable revokes everything the user holds and blocks login and refresh; enable restores login', async () => {
    const username = uniqueName('banned');
    const id = await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    expect((await post(`/admin/users/${id}/disable`)).status).toBe(204);
    const at = Date.now();
    await waitRejected(system.orders, tokens.access_token, at);
    await waitRejected(system.game, tokens.access_token, at);
    expect(
      (await call(`${system.auth.url}/auth/login`, { json: { username, password: PASSWORD } }))
        .status,
    ).toBe(401);
    expect(
      (
        await call(`${system.auth.url}/auth/refresh`, {
          json: { refresh_token: tokens.refresh_token },
        })
      ).status,
    ).toBe(401);
    expect((await post(`/admin/users/${id}/enable`)).status).toBe(204);
    const back = await login(system.auth.url, username);
    await expectAccepted(system.orders, back.access_token);
  });

  it('revoke-sessions and scope changes reach every service; the next refresh carries the new scopes', async () => {
    const username = uniqueName('rescoped');
    const id = await register(system.auth.url, username);
    const first = await login(system.auth.url, username);
    expect((await post(`/admin/users/${id}/revoke-sessions`)).status).toBe(204);
    await waitRejected(system.orders, first.access_token, Date.now());

    const second = await login(system.auth.url, username);
    const rescope = await call(`${system.auth.url}/admin/users/${id}/scopes`, {
      method: 'PUT',
      headers: bearer(admin.access_token),
      json: { scope: 'profile orders:read orders:write' },
    });
    expect(rescope.status).toBe(204);
    await waitRejected(system.orders, second.access_token, Date.now());
    const refreshed = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
      json: { refresh_token: second.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const me = await call(`${system.orders.url}/me`, {
      headers: bearer(refreshed.body.access_token),
    });
    expect(me.body).toMatchObject({ scope: 'profile orders:read orders:write' });
  });

  it('key rotation keeps old tokens valid; revoking the old key rejects them everywhere', async () => {
    const username = uniqueName('keyed');
    await register(system.auth.url, username);
    const before = await login(system.auth.url, username);
    const rotated = await call<{ kid: string }>(`${system.auth.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: bearer(admin.access_token),
    });
    expect(rotated.status).toBe(200);
    const oldKid = kidOf(before.access_token);
    expect(rotated.body.kid).not.toBe(oldKid);
    // Published at once, signing only after the activation delay.
    const jwks = await call<{ keys: { kid: string }[] }>(
      `${system.auth.url}/.well-known/jwks.json`,
    );
    expect(jwks.body.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([oldKid, rotated.body.kid]),
    );
    const after = await waitFor(
      'tokens signed with the new key',
      async () => {
        const tokens = await login(system.auth.url, username);
        return kidOf(tokens.access_token) === rotated.body.kid ? tokens : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    await expectAccepted(system.orders, before.access_token);
    await expectAccepted(system.game, after.access_token);

    expect((await post(`/admin/keys/${oldKid}/revoke`)).status).toBe(204);
    const at = Date.now();
    await waitRejected(system.orders, before.access_token, at);
    await waitRejected(system.game, before.access_token, at);
    await expectAccepted(system.orders, after.access_token);
    const jwksAfter = await call<{ keys: { kid: string }[] }>(
      `${system.auth.url}/.well-known/jwks.json`,
    );
    expect(jwksAfter.body.keys.map((k) => k.kid)).not.toContain(oldKid);
    // The admin's own token was signed with the revoked key too: it is refused; a new one works.
    expect((await post('/admin/keys/no-such-key/revoke')).status).toBe(401);
    admin = (await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN })).body;
    expect((await post('/admin/keys/no-such-key/revoke')).status).toBe(404);
  });

  it('revoke-all: every token of every user is refused; a login right after works; all of it is audited', async () => {
    const username = uniqueName('everyone');
    await register(system.auth.url, username);
    const user = await login(system.auth.url, username);
    const freshAdmin = (await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN }))
      .body;
    expect((await post('/admin/revoke-all', freshAdmin.access_token)).status).toBe(204);
    const at = Date.now();
    const again = await login(system.auth.url, username);
    for (const service of [system.orders, system.game]) {
      await waitRejected(service, user.access_token, at);
      await waitRejected(service, freshAdmin.access_token, at);
      await expectAccepted(service, again.access_token);
    }

    const adminAgain = (await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN }))
      .body;
    const audit = await call<{
      entries: { reason: string; initiated_by: string | null; scope: string }[];
    }>(`${system.auth.url}/admin/audit?limit=50`, { headers: bearer(adminAgain.access_token) });
    expect(audit.status).toBe(200);
    const reasons = audit.body.entries.map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'emergency',
        'key-compromise',
        'token-claims-change',
        'account-disabled',
        'admin',
      ]),
    );
    expect(audit.body.entries.find((e) => e.scope === 'all')?.initiated_by).toMatch(/^admin:/);
  });

  it('enabling a user and rotating a key are audited, with who did it', async () => {
    const username = uniqueName('audited');
    const id = await register(system.auth.url, username);
    const by = (await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN })).body;
    const adminId = decodeJwt(by.access_token).sub;
    expect((await post(`/admin/users/${id}/enable`, by.access_token)).status).toBe(204);
    const rotated = await call<{ kid: string }>(`${system.auth.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: bearer(by.access_token),
    });
    expect(rotated.status).toBe(200);
    const audit = await call<{ entries: Record<string, unknown>[] }>(
      `${system.auth.url}/admin/audit?limit=1000`,
      { headers: bearer(by.access_token) },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'account-enabled',
          user_id: id,
          initiated_by: `admin:${adminId}`,
        }),
        expect.objectContaining({
          reason: 'key-rotation',
          kid: rotated.body.kid,
          initiated_by: `admin:${adminId}`,
        }),
      ]),
    );
  });
});
