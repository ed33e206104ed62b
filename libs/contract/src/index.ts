export {
  REVOCATION_EVENT_VERSION,
  type RevocationEvent,
  type RevocationReason,
  type RevocationScope,
  type SessionRevokedEvent,
  type TokenRevokedEvent,
  type UserTokensRevokedEvent,
} from './revocation-event.js';
export {
  DEFAULT_REVOCATION_TOPIC,
  MAX_EVENT_BYTES,
  REVOCATION_CONTENT_TYPE,
  REVOCATION_HEADERS,
} from './topic.js';
export { EventError, type EventErrorCode } from './event-error.js';
export { encodeRevocationEvent, parseRevocationEvent } from './parse-revocation-event.js';
