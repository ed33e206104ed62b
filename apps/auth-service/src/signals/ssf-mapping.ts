import type { RevocationReason } from '@tokenfence/contract';
import type { IdentityProvider } from './identity-providers.js';
import { signalCutoff, type SignalRevocation } from './provider-signals.js';
import type { SecurityEventToken } from './security-event-token.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

export const SSF_EVENT_TYPES = {
  sessionRevoked: `${CAEP}session-revoked`,
  credentialChange: `${CAEP}credential-change`,
  tokenClaimsChange: `${CAEP}token-claims-change`,
  accountDisabled: `${RISC}account-disabled`,
  accountPurged: `${RISC}account-purged`,
  credentialCompromise: `${RISC}credential-compromise`,
  verification: `${SSF}verification`,
  streamUpdated: `${SSF}stream-updated`,
} as const;

/** The events we ask a transmitter for: every one that revokes something. */
export const REQUESTED_EVENTS: readonly string[] = [
  SSF_EVENT_TYPES.sessionRevoked,
  SSF_EVENT_TYPES.credentialChange,
  SSF_EVENT_TYPES.tokenClaimsChange,
  SSF_EVENT_TYPES.accountDisabled,
  SSF_EVENT_TYPES.accountPurged,
  SSF_EVENT_TYPES.credentialCompromise,
];

/** Events that end every token of their user: a user cutoff, with this reason. */
const USER_CUTOFFS: ReadonlyMap<string, RevocationReason> = new Map([
  [SSF_EVENT_TYPES.credentialChange, 'password-change'],
  [SSF_EVENT_TYPES.tokenClaimsChange, 'token-claims-change'],
  [SSF_EVENT_TYPES.accountDisabled, 'account-disabled'],
  [SSF_EVENT_TYPES.accountPurged, 'account-purged'],
  [SSF_EVENT_TYPES.credentialCompromise, 'credential-compromise'],
]);

/** Keycloak's session id for "every session of the user" (admin user logout). */
const ALL_SESSIONS = 'ALL';

/** What a verified SET means to us. */
export type SetMeaning =
  | { readonly kind: 'revoke'; readonly revocations: readonly SignalRevocation[] }
  | { readonly kind: 'verification'; readonly state: string | undefined }
  /** A stream management event (stream-updated): acknowledged, nothing to revoke. */
  | { readonly kind: 'stream' }
  /** Acknowledged and counted: nothing we can revoke by it (an email subject, an unknown event). */
  | { readonly kind: 'unmappable'; readonly why: string };

type Subject = Readonly<Record<string, unknown>>;

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' && value.length <= 256 ? value : undefined;

/** The provider's user a subject names: `iss_sub` of this very provider only. */
function userOf(provider: IdentityProvider, subject: Subject | undefined): string | undefined {
  if (subject?.format === 'iss_sub' && subject.iss === provider.issuer) return idOf(subject.sub);
  if (subject?.format === 'opaque' && provider.sharedSignals?.opaqueSubjects === 'sub') {
    return idOf(subject.id);
  }
  return undefined;
}

/** The session an `opaque` subject names (the `session` member of a `complex` subject). */
function sessionOf(subject: Subject | undefined): string | undefined {
  return subject?.format === 'opaque' ? idOf(subject.id) : undefined;
}

const member = (subject: Subject | undefined, key: string): Subject | undefined => {
  const value = subject?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Subject)
    : undefined;
};

/**
 * Maps a SET to revocations of the provider's tokens (the table in the README):
 * `session-revoked` of a `complex` subject (user + session) → that session; session `ALL` → a
 * user cutoff; of a user → a user cutoff; CAEP `credential-change`, `token-claims-change`, RISC
 * `account-disabled`, `account-purged`, `credential-compromise` → a user cutoff; a `jwt_id`
 * subject → that token; `opaque` → by the provider's rule; anything else → unmappable. A user
 * cutoff is at the event's `event_timestamp` (else the SET's `iat`), clamped to [now - skew, now].
 */
export function meaningOf(
  provider: IdentityProvider,
  set: SecurityEventToken,
  nowMs: number,
): SetMeaning {
  if (set.eventType === SSF_EVENT_TYPES.verification) {
    const state = set.event.state;
    return { kind: 'verification', state: typeof state === 'string' ? state : undefined };
  }
  if (set.eventType === SSF_EVENT_TYPES.streamUpdated) return { kind: 'stream' };
  const timestamp = set.event.event_timestamp;
  const cutoff = signalCutoff(
    provider,
    typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : set.iat,
    nowMs,
  );
  const userCutoff = (sub: string, reason: RevocationReason): SetMeaning => ({
    kind: 'revoke',
    revocations: [{ sub, target: { scope: 'user', cutoff }, reason }],
  });
  const subject = set.subject;

  // One token, by its jti, whatever the event (a token of this provider only).
  if (subject?.format === 'jwt_id') {
    const jti = idOf(subject.jti);
    if (subject.iss !== provider.issuer || jti === undefined) {
      return { kind: 'unmappable', why: 'a jwt_id subject of another issuer' };
    }
    return {
      kind: 'revoke',
      revocations: [{ sub: jti, target: { scope: 'token', jti }, reason: 'oauth-revoke' }],
    };
  }

  if (set.eventType === SSF_EVENT_TYPES.sessionRevoked) {
    const complex = subject?.format === 'complex';
    const user = userOf(provider, complex ? member(subject, 'user') : subject);
    const session = complex
      ? sessionOf(member(subject, 'session'))
      : subject?.format === 'opaque' && provider.sharedSignals?.opaqueSubjects === 'sid'
        ? idOf(subject.id)
        : undefined;
    if (session !== undefined && session !== ALL_SESSIONS && provider.accessTokensCarrySid) {
      return {
        kind: 'revoke',
        revocations: [
          { sub: user ?? session, target: { scope: 'session', sid: session }, reason: 'logout' },
        ],
      };
    }
    if (user !== undefined) return userCutoff(user, 'logout-all');
    return { kind: 'unmappable', why: 'a session-revoked event naming no user of this provider' };
  }

  const reason = USER_CUTOFFS.get(set.eventType);
  if (reason === undefined) return { kind: 'unmappable', why: 'an event type we do not act on' };
  const user = userOf(provider, subject?.format === 'complex' ? member(subject, 'user') : subject);
  if (user === undefined)
    return { kind: 'unmappable', why: 'a subject naming no user of this provider' };
  return userCutoff(user, reason);
}
