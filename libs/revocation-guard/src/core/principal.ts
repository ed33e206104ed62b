import type { JWTPayload } from 'jose';

/** The verified caller, as the guard hands it to route handlers. */
export interface Principal {
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  /** The raw `scope` claim (space-separated), or '' when absent. */
  readonly scope: string;
  readonly scopes: readonly string[];
  readonly iat: number;
  readonly exp: number;
  /** The signing key's id, from the token header. */
  readonly kid: string;
  /** Every verified claim, for fields this type does not name. */
  readonly claims: Readonly<JWTPayload>;
}
