/** Stable codes for an event that cannot be accepted. */
export type EventErrorCode = 'EVENT_TOO_LARGE' | 'EVENT_NOT_JSON' | 'EVENT_INVALID';

/** Thrown by {@link parseRevocationEvent} for a message that is not a valid event. */
export class EventError extends Error {
  override readonly name = 'EventError';

  constructor(
    readonly code: EventErrorCode,
    message: string,
  ) {
    super(message);
  }
}
