import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { importJWK, SignJWT, type JWK } from 'jose';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import type { RunningService } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { login, register, uniqueName, type TokenPair } from './support/users.js';

const ADMIN = { username: 'key-admin', password: 'an admin password for tests' };
const TTL_SECONDS = 10;
const TOLERANCE_SECONDS = 5; // the guard's default clockToleranceSeconds
const PRUNE_INTERVAL_MS = 1_000;
/** The forged token's lifetime: well past the moment its key's denylist entry is pruned. */
const FORGED_LIFETIME_SECONDS = 75;

const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

async function keyEntries(service: RunningService): Promise<number> {
  const metrics = await call<string>(`${service.url}/metrics`);
  const match = /tokenfence_denylist_entries\{scope="key"\} (\d+)/.exec(metrics.body);
  if (!match) throw new Error('no key entry gauge in /metrics');
  return Number(match[1]);
}

/**
 * F1/F10 of the 2026-11-30 audit, end to end: the attacker holds a signing key's private half
 * (read here from the auth database), the admin revokes the key, and the attacker keeps using a
 * token forged with it. The key's denylist entry lives TTL + 1 s (+ tolerance, + one prune), far
 * less than the forged token; the guard must refuse the token until its exp all the same.
 */
describe('a compromised, revoked signing key', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: {
      ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
  });
  let orders: RunningService;

  beforeAll(async () => {
    orders = await system.startDownstream('orders', {
      REVOCATION_PRUNE_INTERVAL_MS: String(PRUNE_INTERVAL_MS),
    });
    await system.waitReady(orders);
  }, 60_000);

  it('a token forged with it and cached before the revocation is TOKEN_REVOKED until its exp', async () => {
    const username = uniqueName('victim');
    await register(system.auth.url, username);
    const genuine = (await login(system.auth.url, username)).access_token;
    const [encodedHeader, encodedClaims] = genuine.split('.') as [string, string];
    const header = decode(encodedHeader) as { alg: string; kid: string };
    const [row] = await system.queryAuthDatabase<{ private_jwk: JWK | string }>(
      'SELECT private_jwk FROM signing_keys WHERE kid = $1',
      [header.kid],
    );
    if (!row) throw new Error(`no signing key ${header.kid} in the auth database`);
    const stolen = row.private_jwk;
    const privateKey = await importJWK(
      typeof stolen === 'string' ? (JSON.parse(stolen) as JWK) : stolen,
      header.alg,
    );
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + FORGED_LIFETIME_SECONDS;
    const forged = await new SignJWT({
      ...decode(encodedClaims),
      jti: randomUUID(),
      iat,
      exp,
    })
      .setProtectedHeader({ alg: header.alg, kid: header.kid, typ: 'at+jwt' })
      .sign(privateKey);
    await expectAccepted(orders, forged); // the instance now holds it in its verified-token cache

    const admin = await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN });
    expect(admin.status).toBe(200);
    const revoke = await call(`${system.auth.url}/admin/keys/${header.kid}/revoke`, {
      method: 'POST',
      headers: bearer(admin.body.access_token),
    });
    expect(revoke.status).toBe(204);
    const revokedAtMs = Date.now();
    await waitRejected(orders, forged, revokedAtMs);

    // The key entry expires TTL + 1 s after the revocation and is pruned within one interval.
    const prunedByMs =
      revokedAtMs + (TTL_SECONDS + 1 + TOLERANCE_SECONDS) * 1000 + PRUNE_INTERVAL_MS;
    expect(prunedByMs).toBeLessThan(exp * 1000 - 10_000);
    let entryPruned = false;
    let checks = 0;
    while (Date.now() < exp * 1000 - 1_000) {
      const answer = await call<{ code?: string }>(`${orders.url}/me`, { headers: bearer(forged) });
      expect({ check: checks, status: answer.status, code: answer.body.code }).toEqual({
        check: checks,
        status: 401,
        code: 'TOKEN_REVOKED',
      });
      checks++;
      if (!entryPruned && (await keyEntries(orders)) === 0) entryPruned = Date.now() > prunedByMs;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(entryPruned).toBe(true);
    // An instance that never saw the token refuses it too.
    const fresh = await call<{ code?: string }>(`${system.orders.url}/me`, {
      headers: bearer(forged),
    });
    expect({ status: fresh.status, code: fresh.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
  }, 150_000);
});
