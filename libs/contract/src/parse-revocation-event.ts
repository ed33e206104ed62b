import { EventError } from './event-error.js';
import { MAX_EVENT_BYTES } from './topic.js';
import { REVOCATION_EVENT_VERSION, type RevocationEvent } from './revocation-event.js';
import { revocationEventType, type RevocationEventType } from './revocation-event-types.js';

const MAX_ID_LENGTH = 256;

type Json = Record<string, unknown>;

function requireString(o: Json, key: string): string {
  const value = o[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new EventError('EVENT_INVALID', `field "${key}" must be a non-empty string`);
  }
  return value;
}

function requireInteger(o: Json, key: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new EventError('EVENT_INVALID', `field "${key}" must be a non-negative integer`);
  }
  return value;
}

const MAX_EVENT_TYPE_LENGTH = 256;

/**
 * The member's `eventType`: any absolute https URI is accepted, known or not (a newer auth service
 * may name new events; the revocation is applied by its scope). Absent (written before the field
 * existed): derived from scope and reason, as the auth service names it now.
 */
function eventTypeOf(
  o: Json,
  scope: RevocationEvent['scope'],
  reason: string,
): RevocationEventType {
  const value = o.eventType;
  if (value === undefined) return revocationEventType(scope, reason);
  if (
    typeof value !== 'string' ||
    value.length > MAX_EVENT_TYPE_LENGTH ||
    !value.startsWith('https://') ||
    /\s/.test(value)
  ) {
    throw new EventError('EVENT_INVALID', 'field "eventType" must be an https URI');
  }
  return value;
}

/**
 * Decodes and validates one revocation event. Throws {@link EventError} with a stable code for
 * anything that is not a well-formed version-1 event; never returns a partially valid event.
 * `defaultIssuer` stands in for a missing `iss` (events written before contract revision 2).
 */
export function parseRevocationEvent(
  data: Uint8Array | string,
  defaultIssuer?: string,
): RevocationEvent {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > MAX_EVENT_BYTES) {
    throw new EventError('EVENT_TOO_LARGE', `event is ${size} bytes, limit ${MAX_EVENT_BYTES}`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch {
    throw new EventError('EVENT_NOT_JSON', 'event is not valid JSON');
  }
  return validateRevocationEvent(decoded, defaultIssuer);
}

const SCOPES: ReadonlySet<unknown> = new Set(['token', 'session', 'user', 'all', 'key']);

/**
 * Validates an already decoded revocation event; see {@link parseRevocationEvent}. A later
 * version (an integer above {@link REVOCATION_EVENT_VERSION}) or an unknown scope throws
 * `EVENT_VERSION_UNSUPPORTED`: a newer producer wrote it, and the reader cannot enforce it.
 */
export function validateRevocationEvent(decoded: unknown, defaultIssuer?: string): RevocationEvent {
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new EventError('EVENT_INVALID', 'event must be a JSON object');
  }
  const o = decoded as Json;
  if (o.v !== REVOCATION_EVENT_VERSION) {
    if (Number.isSafeInteger(o.v) && (o.v as number) > REVOCATION_EVENT_VERSION) {
      throw new EventError('EVENT_VERSION_UNSUPPORTED', `event version ${String(o.v)}`);
    }
    throw new EventError('EVENT_INVALID', `invalid event version ${String(o.v)}`);
  }
  if (!SCOPES.has(o.scope)) {
    // A plausible name is a scope of a newer producer; anything else is just invalid.
    const newer = typeof o.scope === 'string' && /^[a-z][a-z0-9-]{0,63}$/.test(o.scope);
    throw new EventError(
      newer ? 'EVENT_VERSION_UNSUPPORTED' : 'EVENT_INVALID',
      `unknown scope ${JSON.stringify(o.scope)?.slice(0, 80)}`,
    );
  }
  // Object literals rather than spreads: a cold start validates a million of these.
  const iss =
    o.iss === undefined && defaultIssuer !== undefined ? defaultIssuer : requireString(o, 'iss');
  const id = requireString(o, 'id');
  const sub = requireString(o, 'sub');
  const revokedAtMs = requireInteger(o, 'revokedAtMs');
  const expiresAt = requireInteger(o, 'expiresAt');
  const reason = requireString(o, 'reason');
  const v = REVOCATION_EVENT_VERSION;
  switch (o.scope) {
    case 'token':
      return {
        v,
        id,
        iss,
        sub,
        revokedAtMs,
        expiresAt,
        reason,
        scope: 'token',
        jti: requireString(o, 'jti'),
        eventType: eventTypeOf(o, 'token', reason),
      };
    case 'session':
      return {
        v,
        id,
        iss,
        sub,
        revokedAtMs,
        expiresAt,
        reason,
        scope: 'session',
        sid: requireString(o, 'sid'),
        eventType: eventTypeOf(o, 'session', reason),
      };
    case 'user': {
      const cutoff = requireInteger(o, 'cutoff');
      const eventType = eventTypeOf(o, 'user', reason);
      return { v, id, iss, sub, revokedAtMs, expiresAt, reason, scope: 'user', cutoff, eventType };
    }
    case 'all': {
      const cutoff = requireInteger(o, 'cutoff');
      const eventType = eventTypeOf(o, 'all', reason);
      return { v, id, iss, sub, revokedAtMs, expiresAt, reason, scope: 'all', cutoff, eventType };
    }
    case 'key':
      return {
        v,
        id,
        iss,
        sub,
        revokedAtMs,
        expiresAt,
        reason,
        scope: 'key',
        kid: requireString(o, 'kid'),
        eventType: eventTypeOf(o, 'key', reason),
      };
    default:
      throw new EventError('EVENT_INVALID', `unknown scope ${JSON.stringify(o.scope)}`);
  }
}

/** Encodes an event for the topic. */
export function encodeRevocationEvent(event: RevocationEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}
