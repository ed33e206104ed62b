import type { AccessTokenAuthenticator } from './access-token-authenticator.js';
import type { DenylistSize } from './denylist.js';
import { GuardError, type GuardErrorCode } from './guard-error.js';
import type { KeySetHealth } from './jwks-key-source.js';
import type { RevocationFeed } from './revocation-feed.js';

export interface ReadinessReport {
  /** `degraded`: stale, but the `allow` or `introspect` policy keeps serving. */
  readonly status: 'ready' | 'degraded';
  /** Milliseconds since the last proof of freshness; null before the first one. */
  readonly stalenessMs: number | null;
  readonly revocations: DenylistSize;
  /**
   * The JWKS copy: its age, whether it is past its max age, and why refreshing it fails. A stale
   * copy never changes `status` by itself: the last good keys are served, the stale policy
   * decides.
   */
  readonly signingKeys: KeySetHealth;
}

/** The revocation state without throwing: `unavailable` means requests get 503 now. */
export type RevocationState =
  | ReadinessReport
  | {
      readonly status: 'unavailable';
      readonly code: GuardErrorCode;
      readonly message: string;
      readonly stalenessMs: number | null;
      readonly revocations: DenylistSize;
      readonly signingKeys: KeySetHealth;
    };

/** What a readiness report reads: the feed, the authenticator's rule, the JWKS copy. */
export interface RevocationStateParts {
  readonly feed: RevocationFeed;
  readonly authenticator: AccessTokenAuthenticator;
  readonly keys: { health(): KeySetHealth };
}

/** The revocation state now, as the Nest readiness service and the plain Node guard report it. */
export function revocationState({
  feed,
  authenticator,
  keys,
}: RevocationStateParts): RevocationState {
  const staleness = feed.stalenessMs();
  const common = {
    stalenessMs: Number.isFinite(staleness) ? staleness : null,
    revocations: feed.denylist.size(),
    signingKeys: keys.health(),
  };
  try {
    const usable = authenticator.requireUsableState();
    return { status: usable === 'fresh' ? 'ready' : 'degraded', ...common };
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
    return { status: 'unavailable', code: err.code, message: err.message, ...common };
  }
}
