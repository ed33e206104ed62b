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
 * A batch may be part of a snapshot ({@link SnapshotMarker}): the auth service republishes every
 * revocation that still matters, under its current event key, when the event key was revoked or
 * the topic lost history. A snapshot is a run of ordinary batches in each partition, so readers
 * that ignore the marker still apply its revocations; readers that know it are not ready until
 * the part marked `last` of every partition they had seen the snapshot start in.
 *
 * A SET event type in our namespace that this reader does not know, a member of a later version or
 * an unknown scope is `EVENT_VERSION_UNSUPPORTED`: the reader counts it and stops vouching for
 * freshness, rather than skipping it while heartbeats keep it fresh.
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

/** Our SET event types all start with this; an unknown one is a newer producer's. */
export const EVENT_TYPE_NAMESPACE = 'https://tokenfence.dev/secevent/';

/** Why a snapshot was published. Free to extend; readers must not reject unknown reasons. */
export type SnapshotReason = 'event-key-revoked' | 'topic-reset' | 'requested' | (string & {});

/**
 * Marks a revocation batch as one part of a snapshot. Bound to its partition, as heartbeats are,
 * so a genuine marker copied to another partition is refused.
 */
export interface SnapshotMarker {
  /** One snapshot, the same in every partition. */
  readonly id: string;
  readonly partition: number;
  /** 0, 1, 2, ... within the partition. */
  readonly part: number;
  /** The partition's last part: every revocation of the snapshot for it has been published. */
  readonly last: boolean;
  readonly reason: SnapshotReason;
}

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
      /** Members that failed validation (malformed). */
      readonly skipped: number;
      /** Members of a later version or an unknown scope (a newer producer): not enforced. */
      readonly unsupported: number;
      /** Present when the batch is part of a snapshot. */
      readonly snapshot?: SnapshotMarker;
    }
  | { readonly kind: 'heartbeat'; readonly partition: number; readonly publishedBeforeMs: number };

export function revocationBatchClaims(
  base: { iss: string; iat: number; jti: string },
  revocations: readonly RevocationEvent[],
  snapshot?: SnapshotMarker,
): SecurityEventClaims {
  const body = snapshot === undefined ? { revocations } : { revocations, snapshot };
  return { ...base, events: { [EVENT_TYPES.revocationBatch]: body } };
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

/**
 * Reads the event out of verified SET claims; throws {@link EventError}: `EVENT_INVALID`, or
 * `EVENT_VERSION_UNSUPPORTED` for a SET event type of ours that this reader does not know.
 */
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
      const issuer = typeof claims.iss === 'string' ? claims.iss : undefined;
      const revocations: RevocationEvent[] = [];
      let skipped = 0;
      let unsupported = 0;
      for (const member of body.revocations as unknown[]) {
        try {
          revocations.push(validateRevocationEvent(member, issuer));
        } catch (err) {
          if (!(err instanceof EventError)) throw err;
          if (err.code === 'EVENT_VERSION_UNSUPPORTED') unsupported++;
          else skipped++;
        }
      }
      if (body.snapshot === undefined)
        return { kind: 'revocations', revocations, skipped, unsupported };
      const snapshot = parseSnapshotMarker(body.snapshot);
      return { kind: 'revocations', revocations, skipped, unsupported, snapshot };
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
      throw new EventError(
        type.startsWith(EVENT_TYPE_NAMESPACE) ? 'EVENT_VERSION_UNSUPPORTED' : 'EVENT_INVALID',
        `unknown event type ${JSON.stringify(type.slice(0, 200))}`,
      );
  }
}

function parseSnapshotMarker(value: unknown): SnapshotMarker {
  if (!isObject(value)) throw new EventError('EVENT_INVALID', 'a snapshot marker is an object');
  const { id, partition, part, last, reason } = value;
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > 256 ||
    !Number.isSafeInteger(partition) ||
    (partition as number) < 0 ||
    !Number.isSafeInteger(part) ||
    (part as number) < 0 ||
    typeof last !== 'boolean' ||
    typeof reason !== 'string' ||
    reason.length > 256
  ) {
    throw new EventError(
      'EVENT_INVALID',
      'a snapshot marker needs id, partition, part, last, reason',
    );
  }
  return { id, partition: partition as number, part: part as number, last, reason };
}
