/**
 * The one normalisation of usernames, used for uniqueness (the `users.username_key` column),
 * lookups at login, the login lockout and the per-username rate limits: ASCII letters
 * lower-cased, every other character kept as it is.
 *
 * Registration admits ASCII letters, digits and `. _ @ -` only, so two usernames that differ
 * only in case are one username. Full Unicode case mapping is deliberately not used:
 * `toLowerCase()` maps some non-ASCII characters onto ASCII ones (U+212A KELVIN SIGN to `k`, and
 * NFKC many more), so a name nobody registered would reach an account; and PostgreSQL's
 * `lower()` follows the database's locale (in Turkish, `I` becomes `ı`), so the database and the
 * service could disagree about which account a name is. ASCII folding is locale-free and the
 * same in both places: the database computes it with `translate()` (migration 11), proven equal
 * by `username.spec.ts`. Should registration ever admit non-ASCII names, this must become a full
 * PRECIS mapping (RFC 8265) with a migration of its own.
 */
export function usernameKey(username: string): string {
  return username.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** What registration admits, and so what an admin may rename a user to. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{3,64}$/;
