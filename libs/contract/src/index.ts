export {
  CONTRACT_REVISION,
  REVOCATION_EVENT_VERSION,
  type AllTokensRevokedEvent,
  type KeyRevokedEvent,
  type RevocationEvent,
  type RevocationReason,
  type RevocationScope,
  type SessionRevokedEvent,
  type TokenRevokedEvent,
  type UserTokensRevokedEvent,
} from './revocation-event.js';
export {
  DEFAULT_REVOCATION_TOPIC,
  MAX_BATCH_REVOCATIONS,
  MAX_EVENT_BYTES,
  MAX_MESSAGE_BYTES,
  REVOCATION_CONTENT_TYPE,
  REVOCATION_HEADERS,
} from './topic.js';
export {
  CAEP_EVENT_TYPES,
  isKnownRevocationEventType,
  revocationEventType,
  TOKENFENCE_EVENT_TYPES,
  type KnownRevocationEventType,
  type RevocationEventType,
} from './revocation-event-types.js';
export { EVENT_ERROR_CODES, EventError, type EventErrorCode } from './event-error.js';
export {
  encodeRevocationEvent,
  parseRevocationEvent,
  validateRevocationEvent,
} from './parse-revocation-event.js';
export {
  EVENT_KEY_ID_PREFIX,
  EVENT_TYPE_NAMESPACE,
  EVENT_TYPES,
  heartbeatClaims,
  parseSecurityEvent,
  revocationBatchClaims,
  SET_TYP,
  type SecurityEvent,
  type SecurityEventClaims,
  type SnapshotMarker,
  type SnapshotReason,
} from './security-event.js';
export {
  formatTraceparent,
  MAX_TRACEPARENT_LENGTH,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  parseTracestate,
  type TraceParent,
} from './trace-context.js';
