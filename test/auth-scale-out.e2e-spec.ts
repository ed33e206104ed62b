import { describe, expect, it } from '@jest/globals';
import { waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { useScaledAuth } from './support/use-system.js';
import { login, register, uniqueName } from './support/users.js';

describe('two auth-service instances on one PostgreSQL database', () => {
  const { system, second } = useScaledAuth({ database: 'postgres' });

  it('share keys and sessions; a logout on either reaches downstream, also after the relay holder dies', async () => {
    const username = uniqueName('scaled');
    await register(system.auth.url, username);

    // A token from one instance is accepted by the other: same keys, same sessions.
    const viaFirst = await login(system.auth.url, username);
    const logoutOnSecond = await call(`${second().url}/auth/logout`, {
      method: 'POST',
      headers: bearer(viaFirst.access_token),
    });
    expect(logoutOnSecond.status).toBe(204);
    await waitRejected(system.orders, viaFirst.access_token, Date.now());

    // The first instance holds the relay lock (it started first); stop it.
    await system.auth.close();
    const viaSecond = await login(second().url, username);
    const logout = await call(`${second().url}/auth/logout`, {
      method: 'POST',
      headers: bearer(viaSecond.access_token),
    });
    expect(logout.status).toBe(204);
    const at = Date.now();
    const [orders, game] = await Promise.all([
      waitRejected(system.orders, viaSecond.access_token, at, 30_000),
      waitRejected(system.game, viaSecond.access_token, at, 30_000),
    ]);
    console.log(
      `relay failover: revocation enforced ${orders} ms (orders), ${game} ms (game) after the 204`,
    );
  });
});
