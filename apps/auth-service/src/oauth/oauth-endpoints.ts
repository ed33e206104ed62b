import type { AuthConfig } from '../config/auth-config.js';

/** A client authentication method, as RFC 8414 and RFC 7591 name them. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** An OAuth endpoint of this server, as its RFC 8414 metadata describes it. */
export interface OAuthEndpoint {
  /** Under the issuer, exactly as the controller routes it. */
  readonly path: string;
  /** `<name>_endpoint_auth_methods_supported`; none for an endpoint without client auth. */
  readonly authMethods?: readonly ClientAuthMethod[];
  /** What it grants, for `grant_types_supported` (a token endpoint). */
  readonly grantTypes?: readonly string[];
  /** What it responds with, for `response_types_supported` (an authorization endpoint). */
  readonly responseTypes?: readonly string[];
  /** RFC 7636 methods, for `code_challenge_methods_supported` (an authorization endpoint). */
  readonly codeChallengeMethods?: readonly string[];
}

/**
 * Every OAuth endpoint the service has, by its RFC 8414 name (`revocation` is advertised as
 * `revocation_endpoint`). The controller routes these paths, the metadata is built from this
 * table alone, and OAuth error bodies are answered on exactly these paths: an endpoint is
 * added here or it is neither routed nor advertised.
 */
export const OAUTH_ENDPOINTS = {
  // The code flow only, with S256 PKCE (RFC 9700); no client authentication at this endpoint.
  authorization: {
    path: '/oauth/authorize',
    responseTypes: ['code'],
    codeChallengeMethods: ['S256'],
  },
  revocation: {
    path: '/oauth/revoke',
    authMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  },
  token: {
    path: '/oauth/token',
    authMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  },
  // Confidential clients only.
  introspection: {
    path: '/oauth/introspect',
    authMethods: ['client_secret_basic', 'client_secret_post'],
  },
} as const satisfies Readonly<Record<string, OAuthEndpoint>>;

/**
 * A signals hub's OAuth endpoints: the token endpoint for the client credentials grant alone,
 * with client secrets (a hub has no users, so no code flow, no refresh tokens, and no
 * introspection or revocation of user tokens); `OAUTH_ENDPOINTS.token`'s path.
 */
export const HUB_OAUTH_ENDPOINTS = {
  token: {
    path: OAUTH_ENDPOINTS.token.path,
    authMethods: ['client_secret_basic', 'client_secret_post'],
    grantTypes: ['client_credentials'],
  },
} as const satisfies Readonly<Record<string, OAuthEndpoint>>;

/**
 * The OAuth endpoints served (and advertised, and answering OAuth errors): all of them in full
 * mode; in a signals hub, the token endpoint while a client may use the client credentials
 * grant, else none (nothing to advertise either: the hub is no authorization server then).
 */
export function oauthEndpoints(
  config: Pick<AuthConfig, 'mode' | 'clients'>,
): Readonly<Record<string, OAuthEndpoint>> {
  if (config.mode === 'full') return OAUTH_ENDPOINTS;
  return config.clients.some((c) => c.grantTypes.includes('client_credentials'))
    ? HUB_OAUTH_ENDPOINTS
    : {};
}

const union = (lists: readonly (readonly string[] | undefined)[]): string[] => [
  ...new Set(lists.flatMap((list) => list ?? [])),
];

/**
 * The RFC 8414 document: `issuer`, `jwks_uri` and the endpoints of `endpoints` with their auth
 * methods. `grant_types_supported` and `response_types_supported` are always present, empty
 * while no endpoint serves one, since an omitted list means the RFC's defaults.
 */
export function authorizationServerMetadata(
  config: Pick<AuthConfig, 'issuer' | 'defaultScope' | 'signingAlgorithm'>,
  endpoints: Readonly<Record<string, OAuthEndpoint>> = OAUTH_ENDPOINTS,
): Record<string, unknown> {
  const { issuer } = config;
  const metadata: Record<string, unknown> = { issuer, jwks_uri: `${issuer}/.well-known/jwks.json` };
  for (const [name, endpoint] of Object.entries(endpoints)) {
    metadata[`${name}_endpoint`] = `${issuer}${endpoint.path}`;
    if (endpoint.authMethods) {
      metadata[`${name}_endpoint_auth_methods_supported`] = [...endpoint.authMethods];
    }
  }
  const all = Object.values(endpoints);
  metadata.response_types_supported = union(all.map((e) => e.responseTypes));
  const challengeMethods = union(all.map((e) => e.codeChallengeMethods));
  if (challengeMethods.length > 0) {
    metadata.code_challenge_methods_supported = challengeMethods;
    // RFC 9207: every authorization response names the issuer (mix-up defence).
    metadata.authorization_response_iss_parameter_supported = true;
  }
  metadata.grant_types_supported = union(all.map((e) => e.grantTypes));
  metadata.scopes_supported = config.defaultScope.split(' ').filter(Boolean);
  metadata.access_token_signing_alg_values_supported = [config.signingAlgorithm];
  return metadata;
}
