import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { context, SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { formatTraceparent } from '@tokenfence/contract';
import { loadAuthConfig } from '../config/auth-config.js';
import type { Database, Queryable } from '../database/database.js';
import type { OutboxRelay } from '../revocation/outbox.relay.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { systemClock } from '../time/clock.js';
import { AuthTracing, MAX_SEND_LINKS } from './auth-tracing.js';

const TOPIC = 'auth.revocations';
const REMOTE: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
};
const REMOTE_HEADER = formatTraceparent(REMOTE);
const EVENT = { eventId: 'e-1', scope: 'session', reason: 'logout' };
const NULL_ROW = { traceparent: null, tracestate: null };

describe('AuthTracing with no OpenTelemetry SDK registered', () => {
  it('stores and sends nothing even when on: the API is a no-op', async () => {
    const tracing = new AuthTracing(true, TOPIC);
    expect(await tracing.create(EVENT, (stored) => Promise.resolve(stored))).toEqual(NULL_ROW);
    expect(await tracing.send([NULL_ROW], 1, (headers) => Promise.resolve(headers))).toBe(
      undefined,
    );
  });
});

describe('AuthTracing with an SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('off (the default): runs the work, records no span, stores and sends no context', async () => {
    const tracing = new AuthTracing(false, TOPIC);
    expect(tracing.requestContext({ traceparent: REMOTE_HEADER })).toBeUndefined();
    expect(await tracing.create(EVENT, (stored) => Promise.resolve(stored))).toEqual(NULL_ROW);
    expect(await tracing.send([NULL_ROW], 1, (headers) => Promise.resolve(headers))).toBe(
      undefined,
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("takes a request's valid traceparent as parent, and ignores garbage or an active span", () => {
    const tracing = new AuthTracing(true, TOPIC);
    const parent = tracing.requestContext({ traceparent: REMOTE_HEADER, tracestate: 'v=1' });
    expect(parent && trace.getSpanContext(parent)).toMatchObject({ ...REMOTE, isRemote: true });
    expect(parent && trace.getSpanContext(parent)?.traceState?.get('v')).toBe('1');
    expect(tracing.requestContext({ traceparent: 'garbage' })).toBeUndefined();
    expect(tracing.requestContext({})).toBeUndefined();
    const active = trace.getTracer('http').startSpan('server');
    context.with(trace.setSpan(context.active(), active), () => {
      expect(tracing.requestContext({ traceparent: REMOTE_HEADER })).toBeUndefined();
    });
    active.end();
  });

  it('records an event in a create span under the request, whose context the row keeps', async () => {
    const tracing = new AuthTracing(true, TOPIC);
    const parent = tracing.requestContext({ traceparent: REMOTE_HEADER });
    const stored = await context.with(parent ?? context.active(), () =>
      tracing.create(EVENT, (row) => Promise.resolve(row)),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`create ${TOPIC}`);
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.parentSpanContext?.spanId).toBe(REMOTE.spanId);
    expect(span && stored.traceparent).toBe(formatTraceparent(span.spanContext()));
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'create',
      'messaging.operation.name': 'create',
      'messaging.destination.name': TOPIC,
      'messaging.message.id': 'e-1',
      'tokenfence.revocation.scope': 'session',
      'tokenfence.revocation.reason': 'logout',
    });
  });

  it('writes the create span context into the outbox row the recorder inserts', async () => {
    const inserts: (readonly unknown[])[] = [];
    const tx: Queryable = {
      query: <Row>(sql: string, params: readonly unknown[] = []) => {
        if (sql.includes('INSERT INTO outbox')) inserts.push(params);
        return Promise.resolve([] as Row[]);
      },
    };
    const db = { transaction: <T>(work: (t: Queryable) => Promise<T>) => work(tx) } as Database;
    const relay = { wake: () => undefined } as unknown as OutboxRelay;
    const config = loadAuthConfig({ KAFKA_BROKERS: 'k:1' });
    const recorder = new RevocationRecorder(
      config,
      db,
      relay,
      systemClock,
      new AuthTracing(true, TOPIC),
    );
    await recorder.commit((_tx, revoke) =>
      revoke({ userId: 'user-1', target: { scope: 'token', jti: 'j-1' }, reason: 'logout' }),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span && inserts[0]?.[3]).toBe(formatTraceparent(span.spanContext()));
    expect(JSON.stringify(span?.attributes)).not.toMatch(/user-1|j-1/);
  });

  it('sends in a root span linked to each valid row once, and gives its traceparent to the messages', async () => {
    const tracing = new AuthTracing(true, TOPIC);
    const other = formatTraceparent({ ...REMOTE, spanId: '1111111111111111' });
    const rows = [
      { traceparent: REMOTE_HEADER, tracestate: 'v=1' },
      NULL_ROW, // written before the migration, or with tracing off
      { traceparent: 'garbage', tracestate: null },
      { traceparent: REMOTE_HEADER, tracestate: null },
      { traceparent: other, tracestate: null },
    ];
    const headers = await tracing.send(rows, 2, (h) => Promise.resolve(h));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`send ${TOPIC}`);
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.links.map((l) => l.context.spanId)).toEqual([REMOTE.spanId, '1111111111111111']);
    expect(span?.links[0]?.context.traceState?.get('v')).toBe('1');
    expect(span?.attributes).toMatchObject({
      'messaging.batch.message_count': 2,
      'tokenfence.revocations.count': 5,
    });
    expect(span && headers).toEqual({ traceparent: formatTraceparent(span.spanContext()) });
  });

  it(`links at most ${MAX_SEND_LINKS} rows, and marks a failed publish`, async () => {
    const tracing = new AuthTracing(true, TOPIC);
    const rows = Array.from({ length: MAX_SEND_LINKS + 10 }, (_, i) => ({
      traceparent: formatTraceparent({ ...REMOTE, spanId: (i + 1).toString(16).padStart(16, '0') }),
      tracestate: null,
    }));
    const failure = new Error('no broker acknowledgement within 20000 ms');
    await expect(tracing.send(rows, 1, () => Promise.reject(failure))).rejects.toBe(failure);
    const [span] = exporter.getFinishedSpans();
    expect(span?.links).toHaveLength(MAX_SEND_LINKS);
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error' });
  });
});
