import type { EventErrorCode } from '@tokenfence/contract';
import type { EventPosition } from './event-source.js';

/** What applying one message did, for its span: counts and a refusal code, never ids. */
export interface MessageOutcome {
  readonly kind: 'revocations' | 'heartbeat' | undefined;
  readonly applied: number;
  readonly duplicates: number;
  readonly ignoredExpired: number;
  /** Why the message (or part of it) was refused, if it was. */
  readonly rejected: EventErrorCode | undefined;
}

/**
 * Traces the feed's handling of messages. Framework- and OpenTelemetry-free: the guard's
 * implementation (`tracing: true`) loads `@opentelemetry/api` lazily. Without one, the feed
 * creates no span and reads no trace header.
 */
export interface FeedTracing {
  /**
   * Runs `work` (verify and apply one message). A message whose `traceparent` parses gets a
   * CONSUMER span, child of that context; one without, or with an unparsable one, is handled
   * untraced: trace headers are never required and never make a message fail.
   */
  process(position: EventPosition, work: () => Promise<MessageOutcome>): Promise<void>;
}
