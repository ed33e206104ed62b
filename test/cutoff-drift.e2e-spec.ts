import { describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { expectAccepted } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { useSystem } from './support/use-system.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const BURSTS = 10;
const PER_BURST = 100;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('cutoffs under bursts of logout-all (PostgreSQL)', () => {
  const system = useSystem({ database: 'postgres' });

  it('10 bursts of 100 concurrent logout-all: the cutoff stays within 1 s of now, and the next login works everywhere', async () => {
    const username = uniqueName('burst');
    const id = await register(system.auth.url, username);
    let tokens = await login(system.auth.url, username);
    const db = new pg.Client({ connectionString: system.databaseUrl });
    await db.connect();
    const rounds: { leadSeconds: number; loginMs: number; iatLeadSeconds: number }[] = [];
    try {
      const startedMs = Date.now();
      for (let burst = 0; burst < BURSTS; burst++) {
        // One burst a second: pace by polling the clock, not by sleeping a fixed time.
        const slotMs = startedMs + burst * 1000;
        await waitFor('the next burst slot', () =>
          Promise.resolve(Date.now() >= slotMs ? true : undefined),
        );
        const answers = await Promise.all(
          Array.from({ length: PER_BURST }, () =>
            call(`${system.auth.url}/auth/logout-all`, {
              method: 'POST',
              headers: bearer(tokens.access_token),
            }),
          ),
        );
        // The first ones revoke the token; later ones may already find it revoked.
        expect(answers.filter((a) => a.status !== 204 && a.body.code !== 'TOKEN_REVOKED')).toEqual(
          [],
        );
        const { rows } = await db.query<{ cutoff: string }>(
          'SELECT tokens_revoked_before AS cutoff FROM users WHERE id = $1',
          [id],
        );
        const leadSeconds = Number(rows[0]?.cutoff) - nowSeconds();

        const loginStartedMs = Date.now();
        const next = await call<TokenPair>(`${system.auth.url}/auth/login`, {
          json: { username, password: PASSWORD },
        });
        const loginMs = Date.now() - loginStartedMs;
        expect({ status: next.status, body: next.body }).toMatchObject({ status: 200 });
        tokens = next.body;
        rounds.push({
          leadSeconds,
          loginMs,
          iatLeadSeconds: (decodeJwt(tokens.access_token).iat ?? 0) - nowSeconds(),
        });
        await expectAccepted(system.orders, tokens.access_token);
        await expectAccepted(system.game, tokens.access_token);
      }
    } finally {
      await db.end();
    }
    if (process.env.E2E_FIGURES) console.log(JSON.stringify(rounds));
    // Every burst: the cutoff and the next token's iat at most 1 s ahead of the clock.
    expect(rounds.filter((r) => r.leadSeconds > 1 || r.iatLeadSeconds > 1)).toEqual([]);
  });
});
