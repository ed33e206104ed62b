import { expect } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientKafka } from '@nestjs/microservices';
import { Kafka, logLevel } from 'kafkajs';
import { firstValueFrom, timeout, type Observable } from 'rxjs';
import { bearer, call } from '../../support/http.js';
import { login, logout, register, uniqueName } from '../../support/users.js';
import { waitFor } from '../../support/wait-for.js';
import type { CheckContext } from './checks.js';

/** Creates an app's Kafka topics (one partition each), as they are provisioned before a deploy. */
export async function createTopics(
  brokers: string,
  names: readonly string[],
  prefix: string,
): Promise<void> {
  const admin = new Kafka({
    clientId: `${prefix}setup`,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: names.map((name) => ({ topic: `${prefix}${name}`, numPartitions: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** What a call gave: `{answered}`, the `{code, message}` of an RpcException, or the error. */
async function outcome(answer: Observable<unknown>): Promise<unknown> {
  try {
    return { answered: await firstValueFrom(answer.pipe(timeout(5_000))) };
  } catch (err) {
    return err;
  }
}

const codeOf = (result: unknown): string | undefined =>
  typeof (result as { code?: unknown } | undefined)?.code === 'string'
    ? (result as { code: string }).code
    : undefined;

/**
 * A hybrid app (`app.connectMicroservice(..., { inheritAppConfig: true })`) with one controller
 * served over Kafka (brokers `KAFKA_BROKERS`, topics and group prefixed by `KAFKA_TOPIC_PREFIX`)
 * and TCP (`TCP_PORT`): `<prefix>orders.get` answers `{id, sub}`, `<prefix>orders.audit` needs
 * `admin`, the event `<prefix>orders.created` is recorded with its subject, and
 * `GET /orders/events` lists the recorded events. Called as a user's service would: Nest's
 * ClientProxy, the token in the Kafka `authorization` header and the TCP payload field.
 */
export async function checkMicroservices({ app, authUrl }: CheckContext): Promise<void> {
  const prefix = app.env.KAFKA_TOPIC_PREFIX ?? '';
  const topics = {
    get: `${prefix}orders.get`,
    audit: `${prefix}orders.audit`,
    created: `${prefix}orders.created`,
  };
  const brokers = (app.env.KAFKA_BROKERS ?? '').split(',');
  const tcp = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: Number(app.env.TCP_PORT) },
  });
  const kafka = ClientProxyFactory.create({
    transport: Transport.KAFKA,
    options: {
      client: { clientId: `${prefix}caller`, brokers, logLevel: logLevel.NOTHING },
      consumer: { groupId: `${prefix}caller` },
    },
  }) as ClientKafka;
  kafka.subscribeToResponseOf(topics.get);
  try {
    await Promise.all([tcp.connect(), kafka.connect()]);
    const askTcp = (id: string, authorization?: string, pattern = topics.get) =>
      outcome(tcp.send(pattern, authorization === undefined ? { id } : { id, authorization }));
    const askKafka = (id: string, authorization?: string) =>
      outcome(
        kafka.send(topics.get, {
          value: { id },
          headers: authorization === undefined ? {} : { authorization },
        }),
      );
    const emitKafka = (id: string, authorization: string) =>
      firstValueFrom(kafka.emit(topics.created, { value: { id }, headers: { authorization } }));

    const username = uniqueName('rpc-caller');
    const sub = await register(authUrl, username);
    const tokens = await login(authUrl, username);
    const live = `Bearer ${tokens.access_token}`;

    expect(await askTcp('t1', live)).toEqual({ answered: { id: 't1', sub } });
    // The server's and the caller's consumer groups join in the background: ask until answered.
    const first = await waitFor(
      `${app.name} to answer over Kafka`,
      async () => {
        const result = await askKafka('k1', live);
        return (result as { answered?: unknown }).answered !== undefined || codeOf(result)
          ? result
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(first).toEqual({ answered: { id: 'k1', sub } });

    expect(codeOf(await askTcp('t2'))).toBe('TOKEN_MISSING');
    expect(codeOf(await askKafka('k2'))).toBe('TOKEN_MISSING');
    expect(codeOf(await askTcp('t3', live, topics.audit))).toBe('INSUFFICIENT_SCOPE');

    const events = async (token: string) => {
      const answer = await call(`${app.url}/orders/events`, { headers: bearer(token) });
      expect(answer.status).toBe(200);
      return answer.body as unknown as { id: string; sub: string }[];
    };
    await emitKafka('e1', live);
    await waitFor(`${app.name} to handle the live event`, async () =>
      (await events(tokens.access_token)).some((e) => e.id === 'e1') ? true : undefined,
    );

    await logout(authUrl, tokens);
    for (const [transport, ask] of [
      ['TCP', askTcp],
      ['Kafka', askKafka],
    ] as const) {
      const revoked = await waitFor(
        `${app.name} to refuse the logged-out token over ${transport}`,
        async () => {
          const result = await ask('r1', live);
          return codeOf(result) === undefined ? undefined : result;
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      expect(codeOf(revoked)).toBe('TOKEN_REVOKED');
    }

    // A revoked event is dropped (logged, committed); a later valid one is handled.
    await emitKafka('e2', live);
    const again = await login(authUrl, username);
    await emitKafka('e3', `Bearer ${again.access_token}`);
    await waitFor(`${app.name} to handle the valid event after the revoked one`, async () =>
      (await events(again.access_token)).some((e) => e.id === 'e3') ? true : undefined,
    );
    await waitFor(`${app.name} to log the refused event`, () =>
      Promise.resolve(
        /refused a kafka event for OrdersRpc\.created .* with TOKEN_REVOKED/.test(app.allOutput())
          ? true
          : undefined,
      ),
    );
    expect(await events(again.access_token)).toEqual([
      { id: 'e1', sub },
      { id: 'e3', sub },
    ]);
    expect(app.allOutput()).not.toContain(tokens.access_token);
    expect(app.alive).toBe(true);
  } finally {
    await Promise.allSettled([tcp.close(), kafka.close()]);
  }
}
