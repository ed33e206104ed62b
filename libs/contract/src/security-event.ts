import { EventError } from './event-error.js';
import { validateRevocationEvent } from './parse-revocation-event.js';
import type { RevocationEvent } from './revocation-event.js';

/**
 * Every message on the revocation topic is one Security Event Token (RFC 8417): a compact JWS
 * with header `typ: secevent+jwt`, signed by the auth service with its event key (a key of its
 * JWKS whose `kid` starts with {@link EVENT_KEY_ID_PREFIX}). Its `events` claim holds exactly one
 * of two SET event types ({@link EVENT_TYPES}):
 *
 * - a revocation batch: the revocations one relay round committed for one partition, signed once,
 *   so a cold start verifies one signature per batch rather than per revocation. Each member is a
 *   {@link RevocationEvent} and names its own event type in `eventType`: a CAEP URI where one fits
 *   (`session-revoked`, `credential-change`, `token-claims-change`), else one of ours under
 *   `https://tokenfence.dev/secevent/` (see `revocationEventType`, the one mapping). A member
 *   without `eventType` (older producers) gets the derived name; an unknown https name (a newer
 *   producer) is kept and the member is applied by its `scope`; a malformed one makes the member
 *   invalid, so it is skipped and counted like any other invalid member;
 * - a heartbeat, per partition: "every revocation accepted before `publishedBeforeMs` has been
 *   published to this partition before this message", which lets a consumer prove its freshness.
 *
 * ```json
 * { "iss": "https://auth.example", "iat": 1800000000, "jti": "…",
 *   "events": { "https://tokenfence.dev/secevent/revocation-batch": { "revocations": [
 *     { "v": 1, "id": "…", "sub": "…", "scope": "session", "sid": "…", "reason": "logout",
 *       "eventType": "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
 *       "revokedAtMs": 1800000000123, "expiresAt": 1800000901 } ] } } }
 * ```
 */
export const SET_TYP = 'secevent+jwt';
export const EVENT_KEY_ID_PREFIX = 'events-';

export const EVENT_TYPES = {
  revocationBatch: 'https://tokenfence.dev/secevent/revocation-batch',
  heartbeat: 'https://tokenfence.dev/secevent/heartbeat',
} as const;

/** The claims of a SET as the auth service signs them. */
export interface SecurityEventClaims {
  readonly iss: string;
  readonly iat: number;
  readonly jti: string;
  readonly events: Readonly<Record<string, unknown>>;
  readonly [claim: string]: unknown;
}

export type SecurityEvent =
  | {
      readonly kind: 'revocations';
      readonly revocations: readonly RevocationEvent[];
      /** Members that failed validation (for example written by a newer auth service). */
      readonly skipped: number;
    }
  | { readonly kind: 'heartbeat'; readonly partition: number; readonly publishedBeforeMs: number };

export function revocationBatchClaims(
  base: { iss: string; iat: number; jti: string },
  revocations: readonly RevocationEvent[],
): SecurityEventClaims {
  return { ...base, events: { [EVENT_TYPES.revocationBatch]: { revocations } } };
}

export function heartbeatClaims(
  base: { iss: string; iat: number; jti: string },
  partition: number,
  publishedBeforeMs: number,
): SecurityEventClaims {
  return { ...base, events: { [EVENT_TYPES.heartbeat]: { partition, publishedBeforeMs } } };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the event out of verified SET claims; throws {@link EventError} `EVENT_INVALID`. */
export function parseSecurityEvent(claims: unknown): SecurityEvent {
  if (!isObject(claims) || !isObject(claims.events)) {
    throw new EventError('EVENT_INVALID', 'a SET must carry an "events" object');
  }
  const types = Object.keys(claims.events);
  if (types.length !== 1) {
    throw new EventError('EVENT_INVALID', 'a SET must carry exactly one event');
  }
  const [type] = types as [string];
  const body = claims.events[type];
  if (!isObject(body)) throw new EventError('EVENT_INVALID', 'event body must be an object');
  switch (type) {
    case EVENT_TYPES.revocationBatch: {
      if (!Array.isArray(body.revocations)) {
        throw new EventError('EVENT_INVALID', 'a revocation batch needs a "revocations" array');
      }
      const revocations: RevocationEvent[] = [];
      let skipped = 0;
      for (const member of body.revocations as unknown[]) {
        try {
          revocations.push(validateRevocationEvent(member));
        } catch (err) {
          if (!(err instanceof EventError)) throw err;
          skipped++;
        }
      }
      return { kind: 'revocations', revocations, skipped };
    }
    case EVENT_TYPES.heartbeat: {
      const { partition, publishedBeforeMs } = body;
      if (
        !Number.isSafeInteger(partition) ||
        (partition as number) < 0 ||
        !Number.isSafeInteger(publishedBeforeMs) ||
        (publishedBeforeMs as number) < 0
      ) {
        throw new EventError(
          'EVENT_INVALID',
          'a heartbeat needs integer partition and publishedBeforeMs',
        );
      }
      return {
        kind: 'heartbeat',
        partition: partition as number,
        publishedBeforeMs: publishedBeforeMs as number,
      };
    }
    default:
      throw new EventError('EVENT_INVALID', `unknown event type ${JSON.stringify(type)}`);
  }
}
