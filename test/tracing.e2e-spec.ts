import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, SpanKind, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { formatTraceparent, REVOCATION_HEADERS } from '@tokenfence/contract';
import kafkajs from 'kafkajs';
import { waitRejected } from './support/downstream.js';
import { call } from './support/http.js';
import type { RunningService, TestSystem } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';
import { testConsumer } from './support/test-consumer.js';

// An OpenTelemetry SDK for this process (the auth service and the guards run in it), as an app
// would register one; every span ends up in memory.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

const OUR_SCOPES = ['@tokenfence/auth-service', '@tokenfence/revocation-guard'];
const ours = (): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => OUR_SCOPES.includes(s.instrumentationScope.name));
const sameSpan = (a: SpanContext | undefined, b: SpanContext): boolean =>
  a?.traceId === b.traceId && a.spanId === b.spanId;

/** Polls the exported spans until one matches. */
function spanWhere(what: string, match: (span: ReadableSpan) => boolean): Promise<ReadableSpan> {
  return waitFor(what, () => Promise.resolve(ours().find(match)), { timeoutMs: 20_000 });
}

/** A logout as a traced client sends it: in a CLIENT span, with its `traceparent`. */
async function tracedLogout(authUrl: string, tokens: TokenPair, traceparent?: string) {
  const span = trace.getTracer('e2e-client').startSpan('POST /auth/logout', {
    kind: SpanKind.CLIENT,
  });
  const answer = await call(`${authUrl}/auth/logout`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      traceparent: traceparent ?? formatTraceparent(span.spanContext()),
    },
  });
  span.end();
  expect(answer.status).toBe(204);
  return { client: span.spanContext(), loggedOutAt: Date.now() };
}

/** The header names of every message on the topic now, read from its beginning. */
async function topicHeaders(system: TestSystem): Promise<string[][]> {
  const kafka = new kafkajs.Kafka({
    brokers: system.brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(system.topic)).map((o) => [o.partition, BigInt(o.high)]),
  );
  await admin.disconnect();
  const read = new Map<number, bigint>();
  const seen: string[][] = [];
  const consumer = testConsumer(kafka, 'e2e-tracing');
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: system.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        seen.push(Object.keys(message.headers ?? {}).sort());
        read.set(partition, BigInt(message.offset) + 1n);
        return Promise.resolve();
      },
    });
    await waitFor(`every message on ${system.topic}`, () =>
      Promise.resolve(
        [...ends].every(([p, high]) => (read.get(p) ?? 0n) >= high) ? true : undefined,
      ),
    );
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

describe.each(['postgres', 'embedded'] as const)(
  'tracing on (TRACING=on in the auth service and a guard, %s database)',
  (database) => {
    const system = useSystem({ database, authEnv: { TRACING: 'on' } });
    let traced: RunningService;
    beforeAll(async () => {
      traced = await system.startDownstream('orders', { TRACING: 'on' });
      await system.waitReady(traced);
    }, 60_000);

    it('follows a logout: request → create span → outbox row → linked send span → guard apply span', async () => {
      const tokens = await loggedIn(system.auth.url, 'traced');
      const { client, loggedOutAt } = await tracedLogout(system.auth.url, tokens);

      // The auth service recorded the revocation in a span under the caller's request.
      const create = await spanWhere('the create span of the logout', (s) =>
        sameSpan(s.parentSpanContext, client),
      );
      expect(create.name).toBe(`create ${system.topic}`);
      expect(create.kind).toBe(SpanKind.PRODUCER);
      expect(create.spanContext().traceId).toBe(client.traceId);
      expect(create.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'create',
        'messaging.destination.name': system.topic,
        'tokenfence.revocation.scope': 'session',
        'tokenfence.revocation.reason': 'logout',
      });

      // The relay (a background loop, outside any request) links to it: the only way it can know
      // that span is the traceparent the outbox row kept.
      const send = await spanWhere('a send span linked to the create span', (s) =>
        s.links.some((l) => sameSpan(l.context, create.spanContext())),
      );
      expect(send.name).toBe(`send ${system.topic}`);
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.parentSpanContext).toBeUndefined();
      expect(send.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': system.topic,
        'messaging.batch.message_count': expect.any(Number),
      });

      // The guard applied the message in a span whose parent is the send span: the traceparent
      // header went through Kafka.
      const apply = await spanWhere('the guard apply span under the send span', (s) =>
        sameSpan(s.parentSpanContext, send.spanContext()),
      );
      expect(apply.name).toBe(`process ${system.topic}`);
      expect(apply.kind).toBe(SpanKind.CONSUMER);
      expect(apply.instrumentationScope.name).toBe('@tokenfence/revocation-guard');
      expect(apply.spanContext().traceId).toBe(send.spanContext().traceId);
      expect(apply.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': system.topic,
        'tokenfence.event.kind': 'revocations',
        'tokenfence.revocations.applied': 1,
      });
      await waitRejected(traced, tokens.access_token, loggedOutAt);

      // No span holds a token, or the user's, session's or token's id.
      const claims = JSON.parse(
        Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString(),
      ) as { sub: string; sid: string; jti: string };
      const everything = JSON.stringify(ours().map((s) => [s.name, s.attributes, s.events]));
      for (const secret of [tokens.access_token, tokens.refresh_token, claims.sub, claims.sid]) {
        expect(everything).not.toContain(secret);
      }
      expect(everything).not.toContain(claims.jti);
    });

    it('ignores a garbage traceparent on the request: the logout works, its span starts a trace', async () => {
      const tokens = await loggedIn(system.auth.url, 'garbage');
      const before = new Set(ours().map((s) => s.spanContext().spanId));
      const { loggedOutAt } = await tracedLogout(system.auth.url, tokens, `00-${'z'.repeat(300)}`);
      await waitRejected(traced, tokens.access_token, loggedOutAt);
      const create = await spanWhere(
        'a new create span',
        (s) => s.name.startsWith('create ') && !before.has(s.spanContext().spanId),
      );
      expect(create.parentSpanContext).toBeUndefined();
    });

    it('puts traceparent on revocation batches only, never on heartbeats', async () => {
      const headers = await topicHeaders(system);
      expect(headers).toContainEqual([
        REVOCATION_HEADERS.contentType,
        REVOCATION_HEADERS.traceparent,
      ]);
      expect(headers).toContainEqual([REVOCATION_HEADERS.contentType]);
    });
  },
);

describe('tracing off (the default), with an SDK registered all the same', () => {
  const system = useSystem({ database: 'embedded' });

  it('records no span and sends no trace header; a guard with tracing on needs none', async () => {
    exporter.reset();
    const traced = await system.startDownstream('orders', { TRACING: 'on' });
    await system.waitReady(traced);
    const tokens = await loggedIn(system.auth.url, 'untraced');
    const { loggedOutAt } = await tracedLogout(system.auth.url, tokens);
    // Enforced by the default guards and by the tracing one alike.
    await Promise.all(
      [system.orders, system.game, traced].map((s) =>
        waitRejected(s, tokens.access_token, loggedOutAt),
      ),
    );
    const headers = await topicHeaders(system);
    expect(headers.every((h) => h.join() === REVOCATION_HEADERS.contentType)).toBe(true);
    expect(ours()).toEqual([]);
  });
});
