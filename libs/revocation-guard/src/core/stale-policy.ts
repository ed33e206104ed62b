/**
 * What the guard does when it cannot prove it has every revocation from the last
 * `maxStalenessMs` (the broker or the auth service is unreachable):
 * - `reject`: fail closed, guarded routes answer 503 `REVOCATION_STATE_STALE`;
 * - `allow`: fail open, tokens are accepted on what is known, with a warning logged every 10 s;
 * - `introspect`: ask the auth service (RFC 7662) about each token, caching answers briefly;
 *   when that fails too, 503 `REVOCATION_STATE_STALE`.
 */
export type StalePolicy = 'reject' | 'allow' | 'introspect';

export interface FreshnessRequirement {
  readonly maxStalenessMs: number;
  readonly stalePolicy: StalePolicy;
}
