/** Default Kafka topic for revocation events. */
export const DEFAULT_REVOCATION_TOPIC = 'auth.revocations';

/**
 * Kafka header names used on revocation messages. `traceparent` and `tracestate` (W3C Trace
 * Context, see trace-context.ts) are optional: the auth service adds them when its tracing is on;
 * a reader never requires them.
 */
export const REVOCATION_HEADERS = {
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Content type of a message: one signed Security Event Token (RFC 8417), compact JWS. */
export const REVOCATION_CONTENT_TYPE = 'application/secevent+jwt';

/** Largest accepted encoded revocation inside a batch. */
export const MAX_EVENT_BYTES = 4096;

/** Largest accepted message; anything bigger is rejected unread. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Most revocations the auth service puts in one signed batch. */
export const MAX_BATCH_REVOCATIONS = 1000;
