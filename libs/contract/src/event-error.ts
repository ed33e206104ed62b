/** Stable codes for a message or event that cannot be accepted. */
export type EventErrorCode =
  | 'EVENT_TOO_LARGE'
  | 'EVENT_NOT_JSON'
  | 'EVENT_INVALID'
  | 'EVENT_MALFORMED'
  | 'EVENT_SIGNATURE_INVALID';

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
