import type { RevocationEventType } from './revocation-event-types.js';

/**
 * The revocation event contract. The auth service writes these events; every guard instance reads
 * them. Time fields follow JWT conventions: seconds since the epoch, except `revokedAtMs`, which
 * is milliseconds so that propagation can be measured.
 *
 * The version rule: `v` stays 1 while every change is one a reader of version 1 may ignore
 * without enforcing less (a new optional field such as `iss`, a new `eventType` name). A change
 * that an older reader would enforce wrongly if it ignored it gets a new `v` or a new `scope`;
 * a reader meeting a version or scope it does not know counts `EVENT_VERSION_UNSUPPORTED` and
 * stops vouching for its freshness (it never skips silently). Upgrade readers (guards) first.
 */
export const REVOCATION_EVENT_VERSION = 1;

/** Contract revisions within event version 1, for the CHANGELOG and for diagnostics. */
export const CONTRACT_REVISION = 4;

/** What a revocation applies to. */
export type RevocationScope = 'token' | 'session' | 'user' | 'all' | 'key';

/** Why a revocation happened. Free to extend; consumers must not reject unknown reasons. */
export type RevocationReason =
  | 'logout'
  | 'logout-all'
  | 'refresh-reuse'
  | 'authorization-code-reuse'
  | 'password-change'
  | 'oauth-revoke'
  | 'admin'
  | 'account-disabled'
  | 'token-claims-change'
  | 'emergency'
  | 'key-compromise'
  | (string & {});

interface RevocationEventBase {
  /** Schema version. */
  readonly v: typeof REVOCATION_EVENT_VERSION;
  /** Unique event id (any string, not necessarily a UUID); duplicates of one event carry the same id. */
  readonly id: string;
  /**
   * The issuer (`iss`) of the tokens this event covers, and only of those (revision 3): the same
   * `sub`, `sid`, `jti` or `kid` at another issuer is another user, session, token or key, and an
   * `all` cutoff stops this issuer's tokens alone. Written on every event since contract
   * revision 2; a member without it (older producers) covers tokens of the SET's own issuer.
   */
  readonly iss: string;
  /**
   * The user (`sub`) the revoked tokens belong to; the auth service picks the partition by it
   * (messages carry no Kafka key: one batch holds many users' events). Ids (`sub`, `sid`,
   * `jti`, `kid`) are opaque strings of 1 to 256 characters, never assumed to be UUIDs.
   */
  readonly sub: string;
  /** When the auth service committed the revocation, in milliseconds since the epoch. */
  readonly revokedAtMs: number;
  /**
   * Seconds since the epoch after which no token this event can affect is still valid (the last
   * such token's `exp`). A consumer may forget the event after this instant plus its clock tolerance.
   */
  readonly expiresAt: number;
  readonly reason: RevocationReason;
  /**
   * What happened, as an event-type URI: a CAEP name where one fits, else ours (see
   * `revocationEventType`). Descriptive only: a consumer enforces `scope`, whatever the name.
   * Events written before this field existed lack it; the parser derives it from scope and reason.
   */
  readonly eventType: RevocationEventType;
}

/** One access token, by its `jti`. */
export interface TokenRevokedEvent extends RevocationEventBase {
  readonly scope: 'token';
  readonly jti: string;
}

/** Every access token of one session, by its `sid`. */
export interface SessionRevokedEvent extends RevocationEventBase {
  readonly scope: 'session';
  readonly sid: string;
}

/** Every access token of `sub` whose `iat` is at or before `cutoff` (seconds since the epoch). */
export interface UserTokensRevokedEvent extends RevocationEventBase {
  readonly scope: 'user';
  readonly cutoff: number;
}

/** Every access token of every user whose `iat` is at or before `cutoff`: an emergency stop. */
export interface AllTokensRevokedEvent extends RevocationEventBase {
  readonly scope: 'all';
  readonly cutoff: number;
}

/** Every access token signed with the key `kid` (a compromised signing key). */
export interface KeyRevokedEvent extends RevocationEventBase {
  readonly scope: 'key';
  readonly kid: string;
}

export type RevocationEvent =
  | TokenRevokedEvent
  | SessionRevokedEvent
  | UserTokensRevokedEvent
  | AllTokensRevokedEvent
  | KeyRevokedEvent;
