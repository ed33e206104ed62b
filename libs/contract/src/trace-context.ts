/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) on revocation messages: the optional
 * `traceparent` and `tracestate` headers. A message without them, or with values that do not
 * parse, is the same message: readers must never require them nor refuse a message for them.
 */

/** A parsed `traceparent`: ids in lower-case hex, flags as a number (bit 0: sampled). */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** Longest header value read as a `traceparent` (version 00 is exactly 55 characters). */
export const MAX_TRACEPARENT_LENGTH = 256;
/** Longest `tracestate` kept (the limit W3C asks propagators to honour); longer is dropped. */
export const MAX_TRACESTATE_LENGTH = 512;

/** Version, trace id, parent id, flags; a later version than 00 may add `-` and more fields. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A header value as a string, or undefined (Kafka headers arrive as Buffers, maybe several). */
function headerText(value: unknown, maxLength: number): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  let text: string | undefined;
  if (typeof first === 'string') text = first;
  else if (first instanceof Uint8Array) {
    if (first.byteLength > maxLength) return undefined;
    text = Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('latin1');
  }
  if (text === undefined || text.length > maxLength) return undefined;
  return text.trim();
}

/**
 * The trace context a `traceparent` header names, or undefined when it is absent or invalid
 * (wrong shape, version `ff`, all-zero ids, over {@link MAX_TRACEPARENT_LENGTH}). Never throws.
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  const text = headerText(value, MAX_TRACEPARENT_LENGTH);
  if (text === undefined) return undefined;
  const match = TRACEPARENT.exec(text);
  if (!match) return undefined;
  const [, version, traceId = '', spanId = '', flags = '', more] = match;
  // Version 00 is exactly these four fields; ff is forbidden.
  if (version === 'ff' || (version === '00' && more !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/** The `traceparent` header value (version 00) of a trace context. */
export function formatTraceparent({ traceId, spanId, traceFlags }: TraceParent): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * A `tracestate` header value worth passing on: printable ASCII, at most
 * {@link MAX_TRACESTATE_LENGTH} characters; undefined otherwise (and when absent or empty).
 * Its members are not validated here: a tracing library parses them.
 */
export function parseTracestate(value: unknown): string | undefined {
  const text = headerText(value, MAX_TRACESTATE_LENGTH);
  if (!text || !/^[\x20-\x7e]+$/.test(text)) return undefined;
  return text;
}
