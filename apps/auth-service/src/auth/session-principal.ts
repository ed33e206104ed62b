import type { Principal } from '@tokenfence/revocation-guard';

/**
 * The principal of one of this service's own access tokens: they always name their session
 * (`sid`) and their id (`jti`), and {@link LiveAccessTokens} refuses any token that does not.
 */
export type SessionPrincipal = Principal & { readonly sid: string; readonly jti: string };
