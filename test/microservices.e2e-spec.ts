import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestMicroservice, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type ClientKafka,
  type ClientProxy,
} from '@nestjs/microservices';
import {
  CurrentPrincipal,
  RevocationGuardModule,
  RevocationMetrics,
  type Principal,
  type RevocationGuardModuleOptions,
} from '@tokenfence/revocation-guard';
import { decodeJwt } from 'jose';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import { freePort } from './support/free-port.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, logout, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

/** Access tokens live 15 s here, so the expiry rule can be watched without a fake clock. */
const ACCESS_TOKEN_TTL_SECONDS = 15;
/** How far back a Kafka message timestamp is trusted by the Kafka app below. */
const MAX_MESSAGE_AGE_SECONDS = 8;
const CLOCK_TOLERANCE_SECONDS = 1;

const run = randomBytes(4).toString('hex');
const TOPICS = {
  get: `e2e.rpc.${run}.orders.get`,
  created: `e2e.rpc.${run}.orders.created`,
};
const GROUP_ID = `e2e-rpc-${run}`;
/** ServerKafka appends `-server` to the group id. */
const SERVER_GROUP_ID = `${GROUP_ID}-server`;

interface Handled {
  readonly n: number;
  readonly sub: string | undefined;
}

/** What the handlers of one app saw. */
class Seen {
  readonly events: Handled[] = [];
}

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown): void {
    this.lines.push(String(message instanceof Error ? message.stack : message));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
}

function rpcModule(options: RevocationGuardModuleOptions, seen: Seen) {
  @Controller()
  class OrdersRpc {
    @MessagePattern(TOPICS.get)
    get(@Payload() data: { n: number }, @CurrentPrincipal() principal?: Principal) {
      return { n: data.n, sub: principal?.sub };
    }

    // <string>: Nest 12 types extra parameters of a plain @EventPattern(pattern) as unknown.
    @EventPattern<string>(TOPICS.created)
    created(@Payload() data: { n?: number }, @CurrentPrincipal() principal?: Principal): void {
      seen.events.push({ n: data.n ?? -1, sub: principal?.sub });
    }
  }

  @Module({ imports: [RevocationGuardModule.forRoot(options)], controllers: [OrdersRpc] })
  class OrdersRpcModule {}
  return OrdersRpcModule;
}

/** The `{code, message}` an RpcException sent back, or `answered` when the call succeeded. */
async function outcome(call: Promise<unknown>): Promise<unknown> {
  try {
    return { answered: await call };
  } catch (err) {
    return err;
  }
}

describe('microservice handlers over Kafka and TCP', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) },
  });
  const kafkaSeen = new Seen();
  const tcpSeen = new Seen();
  // Nest's Logger is process-wide: the last app's logger gets the lines of both apps.
  const logs = new CapturingLogger();
  let kafkaApp: INestMicroservice;
  let tcpApp: INestMicroservice;
  let kafkaClient: ClientKafka;
  let tcpClient: ClientProxy;
  let producer: Producer;
  let admin: Admin;
  /** Authorization metadata of the next TCP packet (set through the client's dispatch hook). */
  let tcpMetadata: Record<string, string> = {};

  const guardOptions = (): RevocationGuardModuleOptions => ({
    issuer: system.auth.url,
    audience: 'tokenfence-services',
    jwksUrl: `${system.auth.url}/.well-known/jwks.json`,
    kafka: { brokers: system.brokers.split(','), topic: system.topic },
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });

  beforeAll(async () => {
    const brokers = system.brokers.split(',');
    const kafka = new Kafka({ clientId: `e2e-rpc-${run}`, brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [TOPICS.get, `${TOPICS.get}.reply`, TOPICS.created].map((topic) => ({
        topic,
        numPartitions: 1,
      })),
    });
    producer = kafka.producer();
    await producer.connect();

    kafkaApp = await NestFactory.createMicroservice(
      rpcModule(
        {
          ...guardOptions(),
          microservices: {
            checkExpiryAt: 'message-timestamp',
            maxMessageAgeSeconds: MAX_MESSAGE_AGE_SECONDS,
          },
        },
        kafkaSeen,
      ),
      {
        transport: Transport.KAFKA,
        options: {
          client: { clientId: `e2e-rpc-server-${run}`, brokers, logLevel: logLevel.NOTHING },
          consumer: { groupId: GROUP_ID },
          subscribe: { fromBeginning: true },
        },
        logger: logs,
      },
    );
    await kafkaApp.listen();

    const tcpPort = await freePort();
    tcpApp = await NestFactory.createMicroservice(rpcModule(guardOptions(), tcpSeen), {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
      logger: logs,
    });
    await tcpApp.listen();

    kafkaClient = ClientProxyFactory.create({
      transport: Transport.KAFKA,
      options: {
        client: { clientId: `e2e-rpc-client-${run}`, brokers, logLevel: logLevel.NOTHING },
        consumer: { groupId: `e2e-rpc-client-${run}` },
      },
    }) as ClientKafka;
    kafkaClient.subscribeToResponseOf(TOPICS.get);
    await kafkaClient.connect();
    tcpClient = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: tcpPort },
    });
    tcpClient.setOnDispatchHook((packet) => {
      if (Object.keys(tcpMetadata).length > 0) packet.metadata = tcpMetadata;
    });
    await tcpClient.connect();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([
      kafkaClient?.close(),
      tcpClient?.close(),
      producer?.disconnect(),
      admin?.disconnect(),
    ]);
    await Promise.allSettled([kafkaApp?.close(), tcpApp?.close()]);
  }, 60_000);

  const askKafka = (n: number, authorization?: string) =>
    outcome(
      firstValueFrom(
        kafkaClient.send(TOPICS.get, {
          value: { n },
          headers: authorization === undefined ? {} : { authorization },
        }),
      ),
    );
  const askTcp = (n: number, authorization?: string) =>
    outcome(
      firstValueFrom(
        tcpClient.send(TOPICS.get, authorization === undefined ? { n } : { n, authorization }),
      ),
    );
  const askTcpWithMetadata = async (n: number, authorization: string) => {
    tcpMetadata = { authorization };
    try {
      return await outcome(firstValueFrom(tcpClient.send(TOPICS.get, { n })));
    } finally {
      tcpMetadata = {};
    }
  };

  /** Produces an event on the Kafka topic; returns its offset. */
  async function produceEvent(
    n: number,
    authorization: string | undefined,
    timestampMs = Date.now(),
  ): Promise<string> {
    const [sent] = await producer.send({
      topic: TOPICS.created,
      messages: [
        {
          value: JSON.stringify({ n }),
          timestamp: String(timestampMs),
          headers: authorization === undefined ? {} : { authorization },
        },
      ],
    });
    return sent.baseOffset!;
  }

  async function committedOffset(): Promise<number> {
    const [topic] = await admin.fetchOffsets({
      groupId: SERVER_GROUP_ID,
      topics: [TOPICS.created],
    });
    return Number(topic.partitions[0].offset);
  }

  const refusalsOf = (app: INestMicroservice, kind: string, code: string): number => {
    const line = app
      .get(RevocationMetrics)
      .render()
      .split('\n')
      .find((l) => l.startsWith(`tokenfence_rpc_refusals_total{kind="${kind}",code="${code}"}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  it('answers a @MessagePattern with a live token, the principal reaching the handler', async () => {
    const tokens = await loggedIn(system.auth.url, 'rpc');
    const sub = decodeJwt(tokens.access_token).sub;
    const bearer = `Bearer ${tokens.access_token}`;
    expect(await askKafka(1, bearer)).toEqual({ answered: { n: 1, sub } });
    expect(await askTcp(2, bearer)).toEqual({ answered: { n: 2, sub } });
    expect(await askTcpWithMetadata(3, bearer)).toEqual({ answered: { n: 3, sub } });
  });

  it('refuses a @MessagePattern without a token with TOKEN_MISSING', async () => {
    expect(await askKafka(1)).toEqual({
      code: 'TOKEN_MISSING',
      message: 'An Authorization: Bearer access token is required.',
    });
    expect(await askTcp(2)).toEqual({
      code: 'TOKEN_MISSING',
      message: 'An Authorization: Bearer access token is required.',
    });
    expect(await askTcp(3, 'Bearer not-a-jwt')).toMatchObject({ code: 'TOKEN_MALFORMED' });
  });

  it('refuses a @MessagePattern with TOKEN_REVOKED once the session is logged out', async () => {
    const tokens = await loggedIn(system.auth.url, 'rpc');
    const bearer = `Bearer ${tokens.access_token}`;
    expect(await askTcp(1, bearer)).toMatchObject({ answered: { n: 1 } });
    await logout(system.auth.url, tokens);
    for (const ask of [askTcp, askKafka]) {
      await waitFor(
        'TOKEN_REVOKED',
        async () =>
          ((await ask(2, bearer)) as { code?: string }).code === 'TOKEN_REVOKED' ? true : undefined,
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      expect(await ask(3, bearer)).toEqual({
        code: 'TOKEN_REVOKED',
        message: 'The access token has been revoked (session).',
      });
    }
  });

  it('drops a Kafka event with a revoked token: not handled, logged once, counted, committed', async () => {
    const tokens = await loggedIn(system.auth.url, 'rpc-events');
    const sub = decodeJwt(tokens.access_token).sub;
    const bearer = `Bearer ${tokens.access_token}`;
    await produceEvent(100, bearer);
    await waitFor('the live event', () =>
      Promise.resolve(kafkaSeen.events.some((e) => e.n === 100) ? true : undefined),
    );
    expect(kafkaSeen.events.find((e) => e.n === 100)).toEqual({ n: 100, sub });

    await logout(system.auth.url, tokens);
    await waitFor(
      'the revocation to reach the Kafka app',
      async () =>
        ((await askKafka(0, bearer)) as { code?: string }).code === 'TOKEN_REVOKED'
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const refusedBefore = refusalsOf(kafkaApp, 'event', 'TOKEN_REVOKED');
    const refused = [await produceEvent(101, bearer), await produceEvent(102, bearer)];
    const live = await loggedIn(system.auth.url, 'rpc-events');
    const after = await produceEvent(103, `Bearer ${live.access_token}`);
    // A later valid event on the same partition is handled: the refused ones do not block it.
    await waitFor('the valid event after the refused ones', () =>
      Promise.resolve(kafkaSeen.events.some((e) => e.n === 103) ? true : undefined),
    );
    expect(kafkaSeen.events.map((e) => e.n)).not.toContain(101);
    expect(kafkaSeen.events.map((e) => e.n)).not.toContain(102);
    expect(refusalsOf(kafkaApp, 'event', 'TOKEN_REVOKED')).toBe(refusedBefore + 2);
    // Committed past the refused events: a restarted consumer group never sees them again.
    const committed = await waitFor('the committed offset', async () => {
      const offset = await committedOffset();
      return offset > Number(after) ? offset : undefined;
    });
    expect(committed).toBeGreaterThan(Number(refused[1]));
    // Logged once for the code, whatever the number of refused events; never the token.
    const logged = logs.lines.filter(
      (l) => l.includes('kafka event') && l.includes('TOKEN_REVOKED'),
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`OrdersRpc.created (pattern "${TOPICS.created}")`);
    expect(logs.lines.join('\n')).not.toContain(tokens.access_token);
  });

  it('drops a TCP event with a revoked token: not handled, logged once, counted', async () => {
    const tokens = await loggedIn(system.auth.url, 'rpc-tcp-events');
    const bearer = `Bearer ${tokens.access_token}`;
    await firstValueFrom(tcpClient.emit(TOPICS.created, { n: 200, authorization: bearer }));
    await waitFor('the live TCP event', () =>
      Promise.resolve(tcpSeen.events.some((e) => e.n === 200) ? true : undefined),
    );
    await logout(system.auth.url, tokens);
    await waitFor(
      'the revocation to reach the TCP app',
      async () =>
        ((await askTcp(0, bearer)) as { code?: string }).code === 'TOKEN_REVOKED'
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const before = refusalsOf(tcpApp, 'event', 'TOKEN_REVOKED');
    await firstValueFrom(tcpClient.emit(TOPICS.created, { n: 201, authorization: bearer }));
    await firstValueFrom(tcpClient.emit(TOPICS.created, { n: 202, authorization: bearer }));
    await firstValueFrom(tcpClient.emit(TOPICS.created, { n: 203 }));
    await waitFor('both refusals counted', () =>
      Promise.resolve(
        refusalsOf(tcpApp, 'event', 'TOKEN_REVOKED') === before + 2 ? true : undefined,
      ),
    );
    await waitFor('the missing token counted', () =>
      Promise.resolve(refusalsOf(tcpApp, 'event', 'TOKEN_MISSING') === 1 ? true : undefined),
    );
    expect(tcpSeen.events.map((e) => e.n)).toEqual([200]);
    const tcpLines = logs.lines.filter((l) => l.includes('tcp event'));
    expect(tcpLines.filter((l) => l.includes('TOKEN_REVOKED'))).toHaveLength(1);
    expect(tcpLines.filter((l) => l.includes('TOKEN_MISSING'))).toHaveLength(1);
    expect(logs.lines.join('\n')).not.toContain(tokens.access_token);
  });

  it('checks expiry at the message timestamp, within maxMessageAgeSeconds; revocations still apply', async () => {
    const tokens: TokenPair = await loggedIn(system.auth.url, 'rpc-expiry');
    const revokedTokens: TokenPair = await loggedIn(system.auth.url, 'rpc-expiry');
    const { exp, sub } = decodeJwt(tokens.access_token) as { exp: number; sub: string };
    const bearer = `Bearer ${tokens.access_token}`;
    const producedWhileValidMs = (exp - 2) * 1000;

    // Revoked while valid: refused at any message timestamp, even one before the logout.
    await logout(system.auth.url, revokedTokens);
    await waitFor(
      'the revocation to reach the Kafka app',
      async () =>
        ((await askKafka(0, `Bearer ${revokedTokens.access_token}`)) as { code?: string }).code ===
        'TOKEN_REVOKED'
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const revokedBefore = refusalsOf(kafkaApp, 'event', 'TOKEN_REVOKED');

    // The TCP app checks expiry now: wait until it refuses the token as expired.
    await waitFor(
      'the token to expire',
      async () =>
        ((await askTcp(0, bearer)) as { code?: string }).code === 'TOKEN_EXPIRED'
          ? true
          : undefined,
      { timeoutMs: (ACCESS_TOKEN_TTL_SECONDS + 10) * 1000, intervalMs: 200 },
    );
    expect(Date.now()).toBeLessThan((exp + MAX_MESSAGE_AGE_SECONDS) * 1000);
    await produceEvent(300, bearer, producedWhileValidMs); // produced while valid: accepted
    await produceEvent(301, bearer); // produced now, after exp: TOKEN_EXPIRED
    await produceEvent(302, `Bearer ${revokedTokens.access_token}`, producedWhileValidMs);
    await waitFor('the event produced while the token was valid', () =>
      Promise.resolve(kafkaSeen.events.some((e) => e.n === 300) ? true : undefined),
    );
    expect(kafkaSeen.events.find((e) => e.n === 300)).toEqual({ n: 300, sub });
    await waitFor('the refusals counted', () =>
      Promise.resolve(
        refusalsOf(kafkaApp, 'event', 'TOKEN_EXPIRED') === 1 &&
          refusalsOf(kafkaApp, 'event', 'TOKEN_REVOKED') === revokedBefore + 1
          ? true
          : undefined,
      ),
    );

    // Once exp is further back than maxMessageAgeSeconds, the old timestamp no longer helps.
    const trustedUntilMs = (exp + MAX_MESSAGE_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS + 1) * 1000;
    await waitFor(
      'exp to leave the trusted window',
      () => Promise.resolve(Date.now() > trustedUntilMs ? true : undefined),
      { timeoutMs: (MAX_MESSAGE_AGE_SECONDS + 5) * 1000, intervalMs: 100 },
    );
    await produceEvent(303, bearer, producedWhileValidMs);
    await waitFor('the late event refused', () =>
      Promise.resolve(refusalsOf(kafkaApp, 'event', 'TOKEN_EXPIRED') === 2 ? true : undefined),
    );
    expect(kafkaSeen.events.map((e) => e.n)).not.toContain(301);
    expect(kafkaSeen.events.map((e) => e.n)).not.toContain(302);
    expect(kafkaSeen.events.map((e) => e.n)).not.toContain(303);
  });
});
