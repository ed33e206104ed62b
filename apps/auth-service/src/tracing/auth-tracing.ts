import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  createTraceState,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  REVOCATION_HEADERS,
} from '@tokenfence/contract';

/** The instrumentation scope of the auth service's spans. */
export const AUTH_TRACER_NAME = '@tokenfence/auth-service';
/** At most this many links on one `send` span (the OpenTelemetry SDK's default limit). */
export const MAX_SEND_LINKS = 128;

/** The trace context an outbox row keeps (W3C header values). */
export interface StoredTraceContext {
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

/** What one recorded revocation may tell a span: no user, token, session or key id. */
export interface RecordedEventAttributes {
  readonly eventId: string;
  readonly scope: string;
  readonly reason: string;
}

const NO_CONTEXT: StoredTraceContext = { traceparent: null, tracestate: null };

/** A span context from stored or received W3C header values; undefined when they do not parse. */
export function remoteSpanContext(
  traceparent: unknown,
  tracestate?: unknown,
): SpanContext | undefined {
  const parent = parseTraceparent(traceparent);
  if (!parent) return undefined;
  const state = parseTracestate(tracestate);
  let traceState;
  try {
    traceState = state === undefined ? undefined : createTraceState(state);
  } catch {
    traceState = undefined; // an unparsable tracestate is dropped, the traceparent kept
  }
  return { ...parent, isRemote: true, ...(traceState ? { traceState } : {}) };
}

/** The W3C header values of a span's context; nothing for an invalid (no-op) one. */
function headerValues(spanContext: SpanContext): StoredTraceContext {
  if (!isSpanContextValid(spanContext)) return NO_CONTEXT;
  const tracestate = spanContext.traceState?.serialize();
  return { traceparent: formatTraceparent(spanContext), tracestate: tracestate || null };
}

function fail(span: Span, err: unknown): void {
  // The error's name only: driver and broker messages are not ours to vouch for.
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? 'Error' });
}

/**
 * OpenTelemetry for revocations, through `@opentelemetry/api` only: the process's SDK (if one
 * is registered) records and exports. Off (`TRACING`, the default) every method only runs its
 * work: no span, no context read, nothing stored, no header sent.
 *
 * On: recording an event is a `create <topic>` span (PRODUCER) under the request's context,
 * whose W3C context the outbox row keeps; the relay's publish of a round is a `send <topic>`
 * span (PRODUCER) linked to those rows' contexts, whose `traceparent` each message carries.
 * Attributes name the event id, scope and reason, never a user, token, session or key id.
 */
export class AuthTracing {
  constructor(
    readonly enabled: boolean,
    private readonly topic: string,
  ) {}

  static readonly off = new AuthTracing(false, '');

  private tracer() {
    return trace.getTracer(AUTH_TRACER_NAME);
  }

  /**
   * The context a request's `traceparent` header names, to run its handler in; undefined when
   * tracing is off, the header is absent or invalid, or a span is already active (an HTTP
   * instrumentation of the process made one from the same header).
   */
  requestContext(headers: IncomingHttpHeaders): Context | undefined {
    if (!this.enabled) return undefined;
    const active = context.active();
    if (trace.getSpan(active)) return undefined;
    const remote = remoteSpanContext(
      headers[REVOCATION_HEADERS.traceparent],
      headers[REVOCATION_HEADERS.tracestate],
    );
    return remote && trace.setSpanContext(active, remote);
  }

  /** Records one event in a `create` span; `work` gets the context for its outbox row. */
  async create<T>(
    event: RecordedEventAttributes,
    work: (stored: StoredTraceContext) => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return work(NO_CONTEXT);
    return this.tracer().startActiveSpan(
      `create ${this.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'create',
          'messaging.operation.name': 'create',
          'messaging.destination.name': this.topic,
          'messaging.message.id': event.eventId,
          'tokenfence.revocation.scope': event.scope,
          'tokenfence.revocation.reason': event.reason,
        },
      },
      async (span) => {
        try {
          return await work(headerValues(span.spanContext()));
        } catch (err) {
          fail(span, err);
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Publishes a round in a `send` span linked to its rows' contexts (NULL ones have none);
   * `work` gets the trace headers every message of the round carries (none when off or when no
   * SDK records).
   */
  async send<T>(
    rows: readonly StoredTraceContext[],
    messageCount: number,
    work: (headers: Readonly<Record<string, string>> | undefined) => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return work(undefined);
    const links: Link[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      if (links.length >= MAX_SEND_LINKS) break;
      const linked = remoteSpanContext(row.traceparent, row.tracestate);
      if (!linked || seen.has(linked.spanId)) continue;
      seen.add(linked.spanId);
      links.push({ context: linked });
    }
    // A new trace: the relay's round belongs to no request; the links lead to them.
    const span = this.tracer().startSpan(
      `send ${this.topic}`,
      {
        kind: SpanKind.PRODUCER,
        root: true,
        links,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': this.topic,
          'messaging.batch.message_count': messageCount,
          'tokenfence.revocations.count': rows.length,
        },
      },
      context.active(),
    );
    const { traceparent, tracestate } = headerValues(span.spanContext());
    const headers = traceparent
      ? {
          [REVOCATION_HEADERS.traceparent]: traceparent,
          ...(tracestate ? { [REVOCATION_HEADERS.tracestate]: tracestate } : {}),
        }
      : undefined;
    try {
      return await context.with(trace.setSpan(context.active(), span), () => work(headers));
    } catch (err) {
      fail(span, err);
      throw err;
    } finally {
      span.end();
    }
  }
}
