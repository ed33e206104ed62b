import { describe, expect, it } from '@jest/globals';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';
import { useSystem } from './support/use-system.js';

interface SessionItem {
  sid: string;
  current: boolean;
  user_agent: string | null;
  created_at: string;
  last_used_at: string;
}

describe.each(['embedded', 'postgres'] as const)(
  'sessions and password change (%s database)',
  (database) => {
    const system = useSystem({ database });

    async function loginFrom(username: string, userAgent: string): Promise<TokenPair> {
      const answer = await call<TokenPair>(`${system.auth.url}/auth/login`, {
        json: { username, password: PASSWORD },
        headers: { 'user-agent': userAgent },
      });
      expect(answer.status).toBe(200);
      return answer.body;
    }

    it('lists the live sessions and logs one device out; other users get 404', async () => {
      const username = uniqueName('devices');
      await register(system.auth.url, username);
      const laptop = await loginFrom(username, 'laptop-browser');
      const phone = await loginFrom(username, 'phone-app');
      const stranger = uniqueName('stranger');
      await register(system.auth.url, stranger);
      const strangers = await login(system.auth.url, stranger);

      const listed = await call<{ sessions: SessionItem[] }>(`${system.auth.url}/auth/sessions`, {
        headers: bearer(laptop.access_token),
      });
      expect(listed.status).toBe(200);
      expect(listed.body.sessions).toHaveLength(2);
      const current = listed.body.sessions.find((s) => s.current);
      const other = listed.body.sessions.find((s) => !s.current);
      expect(current?.user_agent).toBe('laptop-browser');
      expect(other?.user_agent).toBe('phone-app');
      expect(Number.isNaN(Date.parse(other?.created_at ?? ''))).toBe(false);

      const notYours = await call(`${system.auth.url}/auth/sessions/${other?.sid}`, {
        method: 'DELETE',
        headers: bearer(strangers.access_token),
      });
      expect({ status: notYours.status, code: notYours.body.code }).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
      const garbage = await call(`${system.auth.url}/auth/sessions/not-a-session`, {
        method: 'DELETE',
        headers: bearer(laptop.access_token),
      });
      expect(garbage.status).toBe(404);
      await expectAccepted(system.orders, phone.access_token);

      const revoke = await call(`${system.auth.url}/auth/sessions/${other?.sid}`, {
        method: 'DELETE',
        headers: bearer(laptop.access_token),
      });
      expect(revoke.status).toBe(204);
      const at = Date.now();
      await waitRejected(system.orders, phone.access_token, at);
      await waitRejected(system.game, phone.access_token, at);
      await expectAccepted(system.orders, laptop.access_token);

      const after = await call<{ sessions: SessionItem[] }>(`${system.auth.url}/auth/sessions`, {
        headers: bearer(laptop.access_token),
      });
      expect(after.body.sessions.map((s) => s.sid)).toEqual([current?.sid]);
    });

    it('password change: other sessions are revoked everywhere, this one continues', async () => {
      const username = uniqueName('rotate');
      await register(system.auth.url, username);
      const here = await login(system.auth.url, username);
      const elsewhere = await login(system.auth.url, username);

      const wrong = await call(`${system.auth.url}/auth/password`, {
        headers: bearer(here.access_token),
        json: { current_password: 'not my password', new_password: 'a brand new password' },
      });
      expect({ status: wrong.status, code: wrong.body.code }).toEqual({
        status: 401,
        code: 'INVALID_CREDENTIALS',
      });

      const changed = await call(`${system.auth.url}/auth/password`, {
        headers: bearer(here.access_token),
        json: { current_password: PASSWORD, new_password: 'a brand new password' },
      });
      expect(changed.status).toBe(204);
      const at = Date.now();
      for (const service of [system.orders, system.game]) {
        await waitRejected(service, elsewhere.access_token, at);
        await expectAccepted(service, here.access_token);
      }
      const refreshElsewhere = await call(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: elsewhere.refresh_token },
      });
      expect(refreshElsewhere.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      const refreshHere = await call(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: here.refresh_token },
      });
      expect(refreshHere.status).toBe(200);

      const oldPassword = await call(`${system.auth.url}/auth/login`, {
        json: { username, password: PASSWORD },
      });
      expect(oldPassword.status).toBe(401);
      const newPassword = await call(`${system.auth.url}/auth/login`, {
        json: { username, password: 'a brand new password' },
      });
      expect(newPassword.status).toBe(200);
    });
  },
);
