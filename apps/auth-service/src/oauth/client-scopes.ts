/** RFC 6749 scope tokens: printable ASCII except space, `"` and `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Space-separated scopes as a list, without empty entries or repeats. */
export const parseScope = (scope: string): string[] => [
  ...new Set(scope.split(' ').filter((s) => s !== '')),
];

/** What a client may be issued: a list, or `undefined` for every scope the user has. */
export type AllowedScopes = readonly string[] | undefined;

/** The requested scopes the client is not allowed (empty when the request is fine). */
export function scopesNotAllowed(requested: readonly string[], allowed: AllowedScopes): string[] {
  if (allowed === undefined) return [];
  return requested.filter((s) => !allowed.includes(s));
}

/**
 * The `scope` of a token: the user's scopes now, limited to those the client is allowed and, when
 * the login asked for some, to those. An intersection, so a change on any side (an admin changing
 * the user's scopes, a client's configuration) applies at the next refresh.
 */
export function grantedScope(
  userScope: string,
  allowed: AllowedScopes,
  requested: readonly string[] | undefined,
): string {
  return parseScope(userScope)
    .filter((s) => allowed === undefined || allowed.includes(s))
    .filter((s) => requested === undefined || requested.includes(s))
    .join(' ');
}
