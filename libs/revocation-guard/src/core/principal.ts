import type { JWTPayload } from 'jose';

/**
 * Who the token speaks for: a `user` (a person, through a client), or a `client` acting for
 * itself (no `sid`, and `sub` is its own `client_id`, as in an OAuth client-credentials grant).
 */
export type PrincipalKind = 'user' | 'client';

/** The verified caller, as the guard hands it to route handlers. */
export interface Principal {
  /** The issuer, exactly as verified: revocations apply per issuer. */
  readonly iss: string;
  readonly sub: string;
  /** The session, when the token names one; session revocations need it. */
  readonly sid?: string;
  /** The token's id, when it has one; single-token revocations need it. */
  readonly jti?: string;
  /** The OAuth client the token was issued to (`client_id`), when the token names one. */
  readonly clientId?: string;
  readonly kind: PrincipalKind;
  /** The `scope` claim, split on spaces; empty when absent. */
  readonly scopes: readonly string[];
  readonly iat: number;
  readonly exp: number;
  /** The signing key's id, from the token header ('' when the header has none). */
  readonly kid: string;
  /** Every verified claim, for fields this type does not name (the raw `scope` string too). */
  readonly claims: Readonly<JWTPayload>;
}
