import { describe, expect, it } from '@jest/globals';
import { SET_TYP } from '@tokenfence/contract';
import { generateKeyPair, SignJWT } from 'jose';
import kafkajs from 'kafkajs';
import { expectAccepted, terminusHealth, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import type { RunningService } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';
import { waitFor } from './support/wait-for.js';
import { useSystem } from './support/use-system.js';

describe('events you can trust, and freshness', () => {
  const system = useSystem({ database: 'embedded' });

  it('forged, unsigned and malformed messages are ignored; valid events after them still apply', async () => {
    const username = uniqueName('victim');
    const victimId = await register(system.auth.url, username);
    const victim = await login(system.auth.url, username);
    const me = await call<{ sid: string }>(`${system.orders.url}/me`, {
      headers: bearer(victim.access_token),
    });
    const revocation = {
      v: 1,
      id: 'forged-1',
      sub: victimId,
      scope: 'session',
      sid: me.body.sid,
      revokedAtMs: Date.now(),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      reason: 'logout',
    };
    const issuer = new URL(system.auth.url).origin;
    const claims = {
      iss: issuer,
      iat: Math.floor(Date.now() / 1000),
      jti: 'forged',
      events: { 'https://tokenfence.dev/secevent/revocation-batch': { revocations: [revocation] } },
    };
    const attacker = await generateKeyPair('EdDSA');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'events-attacker', typ: SET_TYP })
      .sign(attacker.privateKey);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

    const kafka = new kafkajs.Kafka({
      brokers: system.brokers.split(','),
      clientId: 'attacker',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const garbage = [
        forged,
        `${part({ alg: 'none', typ: SET_TYP })}.${part(claims)}.`,
        JSON.stringify(revocation), // the unsigned v1 format
        'not even json',
        'x'.repeat(900_000),
      ];
      for (const partition of [0, 1, 2]) {
        await producer.send({
          topic: system.topic,
          messages: garbage.map((value) => ({ partition, value })),
        });
      }
    } finally {
      await producer.disconnect();
    }

    // A real logout published after the garbage still reaches both services ...
    const other = await login(system.auth.url, username);
    await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(other.access_token),
    });
    const at = Date.now();
    await waitRejected(system.orders, other.access_token, at);
    await waitRejected(system.game, other.access_token, at);
    // ... and the forged revocation of the victim's session was not applied anywhere.
    await expectAccepted(system.orders, victim.access_token);
    await expectAccepted(system.game, victim.access_token);
    for (const service of [system.orders, system.game]) {
      expect((await call(`${service.url}/health/ready`)).status).toBe(200);
    }
  });

  it('stale policy: reject answers 503 and allow keeps serving while the auth service is down', async () => {
    const username = uniqueName('stale');
    await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    const staleEnv = { REVOCATION_MAX_STALENESS_MS: '2000' };
    const strict = await system.startDownstream('orders', {
      ...staleEnv,
      REVOCATION_STALE_POLICY: 'reject',
    });
    const lenient = await system.startDownstream('game', {
      ...staleEnv,
      REVOCATION_STALE_POLICY: 'allow',
    });
    await system.waitReady(strict);
    await system.waitReady(lenient);
    await expectAccepted(strict, tokens.access_token);

    await system.auth.close(); // no more heartbeats

    const refused = await waitFor(
      'the strict instance to refuse while stale',
      async () => {
        const answer = await call(`${strict.url}/me`, { headers: bearer(tokens.access_token) });
        return answer.status === 200 ? undefined : answer;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 503,
      code: 'REVOCATION_STATE_STALE',
    });
    expect(await terminusHealth(strict)).toEqual({
      status: 503,
      overall: 'error',
      state: 'unavailable',
      code: 'REVOCATION_STATE_STALE',
    });
    await expectAccepted(lenient, tokens.access_token);
    const lenientHealth = await call(`${lenient.url}/health/ready`);
    expect({ status: lenientHealth.status, state: lenientHealth.body.status }).toEqual({
      status: 200,
      state: 'degraded',
    });

    system.auth = await system.startAuth();
    await waitFor(
      'the strict instance to serve again once heartbeats resume',
      async () =>
        (await call(`${strict.url}/me`, { headers: bearer(tokens.access_token) })).status === 200
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await closeAll([strict, lenient]);
  });
});

async function closeAll(services: RunningService[]): Promise<void> {
  await Promise.all(services.map((s) => s.close()));
}
