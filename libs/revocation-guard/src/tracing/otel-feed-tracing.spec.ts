import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { revocationBatchClaims, SET_TYP, type RevocationEvent } from '@tokenfence/contract';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Denylist } from '../core/denylist.js';
import type { EventPosition, RevocationEventSource } from '../core/event-source.js';
import { EventVerifier } from '../core/event-verifier.js';
import { silentLogger, type GuardLogger } from '../core/logger.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { loadOtelFeedTracing } from './otel-feed-tracing.js';

const ISSUER = 'https://auth.example.test';
const TOPIC = 'auth.revocations';
const NOW_MS = 1_800_000_000_000;
const clock = { nowMs: () => NOW_MS };
const idle: RevocationEventSource = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};
const SEND = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const TRACEPARENT = `00-${SEND.traceId}-${SEND.spanId}-01`;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let key: CryptoKey;
let verifier: EventVerifier;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const pair = await generateKeyPair('EdDSA');
  key = pair.privateKey;
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'events-1', alg: 'EdDSA' }],
  });
  verifier = new EventVerifier(ISSUER, jwks);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const revocation = (sid: string): RevocationEvent => ({
  v: 1,
  id: `id-${sid}`,
  iss: ISSUER,
  sub: 'user-1',
  scope: 'session',
  sid,
  revokedAtMs: NOW_MS - 5,
  expiresAt: NOW_MS / 1000 + 900,
  reason: 'logout',
  eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
});
const batch = (sid: string): Promise<Buffer> =>
  new SignJWT(
    revocationBatchClaims({ iss: ISSUER, iat: NOW_MS / 1000, jti: sid }, [revocation(sid)]),
  )
    .setProtectedHeader({ alg: 'EdDSA', kid: 'events-1', typ: SET_TYP })
    .sign(key)
    .then((jws) => Buffer.from(jws));

/** Every line the feed logs, to check no header value reaches a log. */
function recordingLogger(lines: string[]): GuardLogger {
  const push = (message: string) => void lines.push(message);
  return { ...silentLogger, log: push, warn: push, error: push };
}

async function tracedFeed(lines: string[] = []): Promise<RevocationFeed> {
  const feed = new RevocationFeed(
    new Denylist(5, clock),
    idle,
    verifier,
    recordingLogger(lines),
    clock,
    {
      tracing: await loadOtelFeedTracing(TOPIC),
    },
  );
  feed.onPartitions([0]);
  return feed;
}

const at = (offset: string, traceparent?: Buffer | string, tracestate?: string): EventPosition => ({
  partition: 0,
  offset,
  ...(traceparent !== undefined
    ? { traceHeaders: { traceparent, ...(tracestate ? { tracestate } : {}) } }
    : {}),
});

describe('the guard applying a message with tracing on', () => {
  it('runs it in a CONSUMER span whose parent is the traceparent header', async () => {
    const feed = await tracedFeed();
    await feed.onMessage(await batch('s-1'), at('7', Buffer.from(TRACEPARENT), 'v=1'));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`process ${TOPIC}`);
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(SEND.traceId);
    expect(span?.parentSpanContext).toMatchObject({ ...SEND, isRemote: true });
    expect(span?.parentSpanContext?.traceState?.get('v')).toBe('1');
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': TOPIC,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 7,
      'tokenfence.event.kind': 'revocations',
      'tokenfence.revocations.applied': 1,
      'tokenfence.revocations.duplicates': 0,
      'tokenfence.revocations.expired': 0,
    });
    expect(feed.stats().applied).toBe(1);
  });

  it.each([
    ['no header', undefined],
    ['garbage', 'garbage'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SEND.spanId}-01`],
    ['an oversized header', Buffer.alloc(64 * 1024, 'f')],
  ])('applies a message with %s untraced, never throwing nor logging it', async (_, header) => {
    const lines: string[] = [];
    const feed = await tracedFeed(lines);
    await expect(feed.onMessage(await batch('s-2'), at('1', header))).resolves.toBeUndefined();
    expect(feed.stats().applied).toBe(1);
    expect(exporter.getFinishedSpans()).toEqual([]);
    if (header !== undefined) expect(lines.join()).not.toContain(String(header).slice(0, 16));
  });

  it('marks a refused message with its code, never its content', async () => {
    const feed = await tracedFeed();
    await feed.onMessage(Buffer.from('not.a.jws'), at('2', TRACEPARENT));
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'EVENT_MALFORMED' });
    expect(span?.attributes['error.type']).toBe('EVENT_MALFORMED');
    expect(JSON.stringify(span?.attributes)).not.toContain('not.a.jws');
  });

  it('marks a retriable failure and rethrows it, so the source delivers the message again', async () => {
    const tracing = await loadOtelFeedTracing(TOPIC);
    const failure = new Error('keys unreachable');
    await expect(tracing.process(at('3', TRACEPARENT), () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    expect(exporter.getFinishedSpans()[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('the guard with tracing off (the default)', () => {
  it('creates no span even for a message with a traceparent', async () => {
    const feed = new RevocationFeed(new Denylist(5, clock), idle, verifier, silentLogger, clock);
    feed.onPartitions([0]);
    await feed.onMessage(await batch('s-3'), at('4', TRACEPARENT));
    expect(feed.stats().applied).toBe(1);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
