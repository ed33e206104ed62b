/** Stable codes for a message or event that cannot be accepted. */
export type EventErrorCode =
  | 'EVENT_TOO_LARGE'
  | 'EVENT_NOT_JSON'
  | 'EVENT_INVALID'
  | 'EVENT_MALFORMED'
  | 'EVENT_SIGNATURE_INVALID'
  /** Signed by an event key the issuer revoked (compromised): never trusted again. */
  | 'EVENT_KEY_REVOKED'
  /** Signed by a key that a JWKS fetched after the message was produced still lacks. */
  | 'EVENT_KEY_UNKNOWN'
  /** Dated ahead of the consumer's clock by more than its tolerance (a heartbeat from the future). */
  | 'EVENT_FROM_FUTURE'
  /**
   * Written by a newer producer: an event version, scope or SET event type this consumer does not
   * know. The consumer cannot prove it enforces everything, so it stops vouching for freshness.
   */
  | 'EVENT_VERSION_UNSUPPORTED';

/** Every code, in a stable order (for counters and metrics). */
export const EVENT_ERROR_CODES: readonly EventErrorCode[] = [
  'EVENT_TOO_LARGE',
  'EVENT_NOT_JSON',
  'EVENT_INVALID',
  'EVENT_MALFORMED',
  'EVENT_SIGNATURE_INVALID',
  'EVENT_KEY_REVOKED',
  'EVENT_KEY_UNKNOWN',
  'EVENT_FROM_FUTURE',
  'EVENT_VERSION_UNSUPPORTED',
];

/** Thrown for a message that is not a valid, authentic event. */
export class EventError extends Error {
  override readonly name = 'EventError';

  constructor(
    readonly code: EventErrorCode,
    message: string,
  ) {
    super(message);
  }
}
