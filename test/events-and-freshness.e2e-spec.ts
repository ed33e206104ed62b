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
import { testConsumer } from './support/test-consumer.js';

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
    for (const service of [system.auth, system.orders, system.game]) {
      const live = await call(`${service.url}/health/live`);
      expect({ status: live.status, body: live.body }).toEqual({
        status: 200,
        body: { status: 'live' },
      });
    }
  });

  it('replayed and oversized messages are counted and change nothing; valid events after them apply', async () => {
    const username = uniqueName('replay');
    await register(system.auth.url, username);
    const kept = await login(system.auth.url, username);
    const dropped = await login(system.auth.url, username);
    await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(dropped.access_token),
    });
    await waitRejected(system.orders, dropped.access_token, Date.now());

    const kafka = new kafkajs.Kafka({
      brokers: system.brokers.split(','),
      clientId: 'attacker',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    // The genuine, validly signed batch that revoked `dropped`, copied off the topic ...
    const sid = (
      JSON.parse(Buffer.from(dropped.access_token.split('.')[1] ?? '', 'base64url').toString()) as {
        sid: string;
      }
    ).sid;
    const genuine = await copyMessageMentioning(kafka, system.topic, sid);
    const before = await metrics(system.orders);
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      // ... replayed five times into every partition, and a message over the 1 MiB limit (the
      // attacker also raised the topic's own limit so the broker takes it).
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: system.topic,
            configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }],
          },
        ],
      });
      const oversized = `${genuine.toString()}.${'A'.repeat(1024 * 1024 + 1)}`;
      for (const partition of [0, 1, 2]) {
        await producer.send({
          topic: system.topic,
          messages: [
            ...Array.from({ length: 5 }, () => ({ partition, value: genuine })),
            { partition, value: oversized },
          ],
        });
      }
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }

    let latest = before;
    const after = await waitFor(
      'the replays and the oversized messages to be counted',
      async () => {
        const now = (latest = await metrics(system.orders));
        return now.duplicate - before.duplicate >= 15 && now.tooLarge - before.tooLarge >= 3
          ? now
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; counters before ${JSON.stringify(before)}, last ${JSON.stringify(latest)}`,
      );
    });
    console.log(
      `topic attacks: ${after.duplicate - before.duplicate} replayed revocations counted as duplicates, ${after.tooLarge - before.tooLarge} oversized messages refused`,
    );
    expect(after.applied).toBe(before.applied); // the replays applied nothing new
    await expectAccepted(system.orders, kept.access_token);
    // A real logout after them still applies.
    await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(kept.access_token),
    });
    const at = Date.now();
    await waitRejected(system.orders, kept.access_token, at);
    await waitRejected(system.game, kept.access_token, at);
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
    // Not ready is not dead: liveness stays 200, so an orchestrator does not restart the
    // instance for an outage elsewhere.
    const live = await call(`${strict.url}/health/live`);
    expect({ status: live.status, body: live.body }).toEqual({
      status: 200,
      body: { status: 'live' },
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

interface FeedCounters {
  applied: number;
  duplicate: number;
  tooLarge: number;
}

async function metrics(service: RunningService): Promise<FeedCounters> {
  const text = (await call<string>(`${service.url}/metrics`)).body;
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  return {
    applied: value(/^tokenfence_events_applied_total (\d+)$/m),
    duplicate: value(/^tokenfence_events_duplicate_total (\d+)$/m),
    tooLarge: value(/^tokenfence_events_rejected_total\{reason="EVENT_TOO_LARGE"\} (\d+)$/m),
  };
}

/** The first message on the topic whose SET payload contains `text`, byte for byte. */
async function copyMessageMentioning(
  kafka: kafkajs.Kafka,
  topic: string,
  text: string,
): Promise<Buffer> {
  const consumer = testConsumer(kafka, 'attacker');
  let found: Buffer | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const payload = message.value?.toString().split('.')[1] ?? '';
        if (!found && Buffer.from(payload, 'base64url').toString().includes(text)) {
          found = message.value ?? undefined;
        }
        return Promise.resolve();
      },
    });
    return await waitFor(
      `a message mentioning ${text} on the topic`,
      () => Promise.resolve(found),
      {
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
  } finally {
    await consumer.disconnect();
  }
}
