import type * as OtelApi from '@opentelemetry/api';
import { parseTraceparent, parseTracestate } from '@tokenfence/contract';
import type { EventPosition } from '../core/event-source.js';
import type { FeedTracing, MessageOutcome } from '../core/feed-tracing.js';

/** The instrumentation scope of the guard's spans. */
export const GUARD_TRACER_NAME = '@tokenfence/revocation-guard';

type Api = typeof OtelApi;

/**
 * `@opentelemetry/api`, an optional peer: imported only when an app sets `tracing: true`, so an
 * app without it never loads it.
 */
export async function loadOtelFeedTracing(topic: string): Promise<FeedTracing> {
  let api: Api;
  try {
    api = await import('@opentelemetry/api');
  } catch (err) {
    throw new Error(
      'revocation guard: "tracing: true" needs the optional peer @opentelemetry/api (npm install @opentelemetry/api), and an OpenTelemetry SDK registered to record anything',
      { cause: err },
    );
  }
  return new OtelFeedTracing(api, topic);
}

/**
 * The feed's tracing under `tracing: true`, built synchronously with the guard's parts:
 * `load()`, awaited by the guard's start, imports `@opentelemetry/api` (so a missing peer fails
 * the start, not a message); no message is read before it.
 */
export class DeferredOtelFeedTracing implements FeedTracing {
  private loaded: FeedTracing | undefined;

  constructor(private readonly topic: string) {}

  async load(): Promise<void> {
    this.loaded ??= await loadOtelFeedTracing(this.topic);
  }

  async process(position: EventPosition, work: () => Promise<MessageOutcome>): Promise<void> {
    if (this.loaded) return this.loaded.process(position, work);
    await work();
  }
}

/**
 * One CONSUMER span `process <topic>` per message that carries a valid `traceparent`, child of
 * it (the auth service's `send` span). Attributes: messaging ones (system, destination,
 * partition, offset) and the outcome's counts and refusal code; never a token, key, id or payload.
 */
export class OtelFeedTracing implements FeedTracing {
  constructor(
    private readonly api: Api,
    private readonly topic: string,
  ) {}

  async process(position: EventPosition, work: () => Promise<MessageOutcome>): Promise<void> {
    const parent = this.remoteContext(position);
    if (parent === undefined) {
      await work();
      return;
    }
    const { trace, SpanKind, SpanStatusCode } = this.api;
    const span = trace.getTracer(GUARD_TRACER_NAME).startSpan(
      `process ${this.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': this.topic,
          'messaging.destination.partition.id': String(position.partition),
          'messaging.kafka.offset': Number(position.offset),
        },
      },
      parent,
    );
    try {
      const outcome = await this.api.context.with(trace.setSpan(parent, span), work);
      span.setAttributes({
        'tokenfence.revocations.applied': outcome.applied,
        'tokenfence.revocations.duplicates': outcome.duplicates,
        'tokenfence.revocations.expired': outcome.ignoredExpired,
        ...(outcome.kind ? { 'tokenfence.event.kind': outcome.kind } : {}),
      });
      if (outcome.rejected) {
        span.setAttribute('error.type', outcome.rejected);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.rejected });
      }
    } catch (err) {
      // Retriable (keys unreachable): delivered again. The error's name only.
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? 'Error' });
      throw err;
    } finally {
      span.end();
    }
  }

  /** The context the message's headers name; undefined when absent or unparsable (ignored). */
  private remoteContext(position: EventPosition): OtelApi.Context | undefined {
    const headers = position.traceHeaders;
    const parsed = parseTraceparent(headers?.traceparent);
    if (!parsed) return undefined;
    const { context, trace, createTraceState } = this.api;
    const state = parseTracestate(headers?.tracestate);
    let traceState: OtelApi.TraceState | undefined;
    try {
      traceState = state === undefined ? undefined : createTraceState(state);
    } catch {
      traceState = undefined;
    }
    return trace.setSpanContext(context.active(), {
      ...parsed,
      isRemote: true,
      ...(traceState ? { traceState } : {}),
    });
  }
}
