import { IntrinsicException, Logger, type ExecutionContext } from '@nestjs/common';
import type { GuardError, GuardErrorCode } from '../core/guard-error.js';
import type { Principal } from '../core/principal.js';
import { RpcRefusalCounts } from '../core/rpc-refusal-counts.js';
import type { GuardTransport } from './guard-transport.js';
import type { ErrorBodyException, MicroservicesPeer } from './optional-peers.js';
import type {
  ResolvedMicroservicesOptions,
  RpcContextInfo,
  RpcTransportName,
} from './revocation-guard.options.js';

/** `@nestjs/microservices`' handler-type metadata (`PatternHandler.EVENT` is 2), read by key. */
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const EVENT_HANDLER = 2;
/** The headers ServerKafka answers a request by; a message without them is handled as an event. */
const KAFKA_CORRELATION_ID = 'kafka_correlationId';
const KAFKA_REPLY_TOPIC = 'kafka_replyTopic';

/** The principal of each rpc message, by its Nest rpc context (one object per message). */
const principals = new WeakMap<object, Principal>();

/** The principal the guard verified for this rpc context's message, if any. */
export function rpcPrincipalOf(rpcContext: unknown): Principal | undefined {
  return typeof rpcContext === 'object' && rpcContext !== null
    ? principals.get(rpcContext)
    : undefined;
}

/** A header or metadata value as a string: the first of an array, a Buffer decoded as UTF-8. */
function text(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (Buffer.isBuffer(first)) return first.toString('utf8');
  return undefined;
}

/**
 * The token of `Bearer <token>` (any case), '' for `Bearer` without one, undefined for no value
 * or another scheme (`TOKEN_MISSING`, as over HTTP).
 */
export function bearerTokenOf(value: unknown): string | undefined {
  const authorization = text(value)?.trim();
  if (authorization === undefined) return undefined;
  const [scheme = '', ...rest] = authorization.split(/\s+/);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return rest.join(' ');
}

/**
 * The default token extractor: Kafka, the `authorization` header; TCP, the `authorization`
 * packet metadata, else the `authorization` field of an object payload. Each `Bearer <token>`.
 */
export function defaultRpcTokenExtractor(message: RpcContextInfo): string | undefined {
  const header = bearerTokenOf(message.headers.authorization);
  if (header !== undefined || message.transport === 'kafka') return header;
  const data = message.data;
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? bearerTokenOf((data as { authorization?: unknown }).authorization)
    : undefined;
}

interface KafkaMessageLike {
  readonly headers?: Record<string, unknown>;
  readonly timestamp?: string;
  readonly offset?: string;
}

/** The message of an rpc context on a supported transport, or undefined on any other. */
export function rpcContextInfo(
  context: ExecutionContext,
  peer: MicroservicesPeer,
): RpcContextInfo | undefined {
  const rpc = context.switchToRpc();
  const nestContext = rpc.getContext<unknown>();
  const isEventHandler =
    Reflect.getMetadata(PATTERN_HANDLER_METADATA, context.getHandler()) === EVENT_HANDLER;
  let transport: RpcTransportName;
  let pattern: string;
  let headers: Record<string, unknown>;
  let timestampMs: number | undefined;
  let kind: 'message' | 'event';
  if (nestContext instanceof peer.KafkaContext) {
    const message = nestContext.getMessage() as KafkaMessageLike;
    transport = 'kafka';
    pattern = nestContext.getTopic();
    headers = message.headers ?? {};
    const timestamp = Number(message.timestamp);
    timestampMs = Number.isSafeInteger(timestamp) && timestamp > 0 ? timestamp : undefined;
    // ServerKafka handles a message without a reply topic as an event, whatever the handler.
    const answered =
      text(headers[KAFKA_CORRELATION_ID]) !== undefined &&
      text(headers[KAFKA_REPLY_TOPIC]) !== undefined;
    kind = isEventHandler || !answered ? 'event' : 'message';
  } else if (nestContext instanceof peer.TcpContext) {
    transport = 'tcp';
    pattern = nestContext.getPattern();
    headers = { ...nestContext.getMetadata() };
    timestampMs = undefined;
    kind = isEventHandler ? 'event' : 'message';
  } else {
    return undefined;
  }
  return {
    transport,
    kind,
    pattern,
    data: rpc.getData<unknown>(),
    headers,
    timestampMs,
    context: nestContext,
  };
}

/**
 * Thrown by the guard for a refused event: {@link RpcEventRefusalFilter} turns it into a handled
 * event (no handler run, no error to the transport), so Kafka commits its offset and never
 * redelivers it. An `IntrinsicException`: Nest's own rpc filter would not log it either.
 */
export class RpcEventRefusedException extends IntrinsicException {
  override readonly name = 'RpcEventRefusedException';
  readonly code: GuardErrorCode;
  constructor(
    readonly error: GuardError,
    readonly rpcMessage: RpcContextInfo,
  ) {
    super(error.message, { cause: error });
    this.code = error.code;
  }
}

/**
 * Refusals of microservice messages: counted by kind and code in the guard's
 * {@link RpcRefusalCounts} (which `GuardMetrics` reports), and for events, logged once per code
 * (never the token, never per message: a flood of replayed events must not flood the log). The
 * module provides it on the counts of its `GuardComponents`.
 */
export class RpcRefusals {
  private readonly logger = new Logger('RevocationGuard');
  private readonly loggedCodes = new Set<GuardErrorCode>();

  constructor(private readonly counts: RpcRefusalCounts = new RpcRefusalCounts()) {}

  record(message: RpcContextInfo, error: GuardError, handler: string): void {
    this.counts.record(message.kind, error.code);
    if (message.kind !== 'event' || this.loggedCodes.has(error.code)) return;
    this.loggedCodes.add(error.code);
    this.logger.warn(
      `refused a ${message.transport} event for ${handler} (pattern "${message.pattern}") ` +
        `with ${error.code}: ${error.message} It is dropped` +
        (message.transport === 'kafka' ? ' and its offset committed' : '') +
        '; further events refused with this code are only counted ' +
        '(tokenfence_rpc_refusals_total).',
    );
  }

  /** `[kind, code, count]` of every refusal so far. */
  snapshot(): [kind: string, code: string, count: number][] {
    return this.counts.snapshot();
  }
}

/**
 * A microservice message: the token from the extractor; the principal kept for
 * `@CurrentPrincipal()`; a refused request answered with `RpcException({code, message})`, a
 * refused event dropped ({@link RpcEventRefusedException}), counted and logged once per code.
 */
export function rpcTransport(
  context: ExecutionContext,
  message: RpcContextInfo,
  options: ResolvedMicroservicesOptions,
  RpcException: ErrorBodyException,
  refusals: RpcRefusals,
): GuardTransport {
  let authorization: string | undefined;
  try {
    const token = (options.tokenExtractor ?? defaultRpcTokenExtractor)(message);
    authorization = typeof token === 'string' ? `Bearer ${token}` : undefined;
  } catch {
    authorization = 'Bearer '; // an extractor that fails: TOKEN_MALFORMED, never a crash
  }
  return {
    authorization,
    accept: (principal) => {
      if (typeof message.context === 'object' && message.context !== null) {
        principals.set(message.context, principal);
      }
    },
    refuse: (error) => {
      refusals.record(message, error, `${context.getClass().name}.${context.getHandler().name}`);
      return message.kind === 'event'
        ? new RpcEventRefusedException(error, message)
        : new RpcException({ code: error.code, message: error.message });
    },
  };
}

/**
 * When the token's expiry is checked for this message: its timestamp, bounded to
 * `[now - maxMessageAgeSeconds, now]`, with `checkExpiryAt: 'message-timestamp'` on Kafka;
 * undefined (now) otherwise.
 */
export function expiryCheckTimeMs(
  message: RpcContextInfo,
  options: ResolvedMicroservicesOptions,
  nowMs: number,
): number | undefined {
  if (options.checkExpiryAt !== 'message-timestamp' || message.timestampMs === undefined) {
    return undefined;
  }
  const oldestMs = nowMs - options.maxMessageAgeSeconds * 1000;
  return Math.min(nowMs, Math.max(oldestMs, message.timestampMs));
}
