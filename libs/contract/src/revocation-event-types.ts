import type { RevocationReason, RevocationScope } from './revocation-event.js';

/**
 * Event-type names of single revocations (the `eventType` of each member of a revocation batch).
 * The OpenID Shared Signals CAEP names where one fits, our own URIs for the rest. The name says
 * what happened; the member's `scope` alone says what a consumer must refuse.
 */
export const CAEP_EVENT_TYPES = {
  /** Logout, logout-all, a device logged out, refresh-token reuse, an admin ending sessions. */
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  /** A password change (the user's other sessions end). */
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  /** An admin changed the user's scopes (tokens carrying the old ones are revoked). */
  tokenClaimsChange: 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change',
} as const;

/** Our own names, for revocations no CAEP event describes. */
export const TOKENFENCE_EVENT_TYPES = {
  /** One access token revoked by its `jti` (RFC 7009). */
  tokenRevoked: 'https://tokenfence.dev/secevent/token-revoked',
  /** An admin disabled the account. */
  accountDisabled: 'https://tokenfence.dev/secevent/account-disabled',
  /** The emergency stop: every token of every user issued up to a cutoff. */
  globalCutoff: 'https://tokenfence.dev/secevent/global-cutoff',
  /** A signing key was revoked (compromised). */
  keyRevoked: 'https://tokenfence.dev/secevent/key-revoked',
} as const;

export type KnownRevocationEventType =
  | (typeof CAEP_EVENT_TYPES)[keyof typeof CAEP_EVENT_TYPES]
  | (typeof TOKENFENCE_EVENT_TYPES)[keyof typeof TOKENFENCE_EVENT_TYPES];

/** A known name, or a name a newer auth service may send (tolerated, applied by `scope`). */
export type RevocationEventType = KnownRevocationEventType | (string & {});

const KNOWN: ReadonlySet<string> = new Set([
  ...Object.values(CAEP_EVENT_TYPES),
  ...Object.values(TOKENFENCE_EVENT_TYPES),
]);

export const isKnownRevocationEventType = (name: string): name is KnownRevocationEventType =>
  KNOWN.has(name);

/** Reasons that end sessions for something more specific than a logout. */
const SESSION_ENDINGS: ReadonlyMap<string, KnownRevocationEventType> = new Map([
  ['password-change', CAEP_EVENT_TYPES.credentialChange],
  ['token-claims-change', CAEP_EVENT_TYPES.tokenClaimsChange],
  ['account-disabled', TOKENFENCE_EVENT_TYPES.accountDisabled],
]);

/**
 * The one mapping from a revocation's scope and reason to its event-type name. The scope decides
 * for single tokens, the emergency cutoff and keys; the reason for what ends sessions.
 */
export function revocationEventType(
  scope: RevocationScope,
  reason: RevocationReason,
): KnownRevocationEventType {
  switch (scope) {
    case 'token':
      return TOKENFENCE_EVENT_TYPES.tokenRevoked;
    case 'all':
      return TOKENFENCE_EVENT_TYPES.globalCutoff;
    case 'key':
      return TOKENFENCE_EVENT_TYPES.keyRevoked;
    case 'session':
    case 'user':
      return SESSION_ENDINGS.get(reason) ?? CAEP_EVENT_TYPES.sessionRevoked;
  }
}
