import { describe, expect, it } from '@jest/globals';
import { BlackholeProxy } from './support/blackhole-proxy.js';
import { waitRejected } from './support/downstream.js';
import { freePort } from './support/free-port.js';
import { bearer, call } from './support/http.js';
import { useSystem } from './support/use-system.js';
import { login, register, uniqueName } from './support/users.js';

/**
 * F14 of the security audit: the relay leader's host vanishes from PostgreSQL's view without a FIN
 * or an RST (a VM lost, a silent firewall drop). Another instance must take over within seconds,
 * not after the server's TCP keepalive (two hours by default).
 */
describe('relay leader that loses PostgreSQL silently (PostgreSQL)', () => {
  const system = useSystem({ database: 'postgres' });

  it('loses leadership; another instance takes over and publishes', async () => {
    const url = new URL(system.databaseUrl);
    const proxy = await new BlackholeProxy(Number(url.port || 5432), url.hostname).start();
    try {
      url.port = String(proxy.port);
      await failover(proxy, url.toString());
    } finally {
      await proxy.cut(); // unblocks whatever the black-holed instance still waits for
    }
  });

  async function failover(proxy: BlackholeProxy, proxiedUrl: string): Promise<void> {
    // The proxied instance starts second, then the first one stops: the proxied one is alone,
    // so it leads once this logout reaches downstream. Only then does a standby start.
    const leader = await system.startAuth(await freePort(), { DATABASE_URL: proxiedUrl });
    await system.auth.close();
    const username = uniqueName('failover');
    await register(leader.url, username);
    const before = await login(leader.url, username);
    const loggedOut = await call(`${leader.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(before.access_token),
    });
    expect(loggedOut.status).toBe(204);
    await waitRejected(system.orders, before.access_token, Date.now());
    const standby = await system.startAuth(await freePort());

    proxy.blackhole();
    const after = await login(standby.url, username);
    const logout = await call(`${standby.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(after.access_token),
    });
    expect(logout.status).toBe(204);
    const at = Date.now();
    // The leader's lease runs out within 10 s and the standby polls every 2 s; the deadline
    // leaves room for that and for a loaded machine, and is far below any TCP keepalive.
    const enforcedMs = await waitRejected(system.orders, after.access_token, at, 30_000);
    console.log(
      `relay failover after a silent loss: revocation enforced ${enforcedMs} ms after 204`,
    );
  }
});
