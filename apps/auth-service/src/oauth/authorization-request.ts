import { createHash } from 'node:crypto';
import type { OAuthClient } from '../config/auth-config.js';
import { parseScope, SCOPE_TOKEN, scopesNotAllowed } from './client-scopes.js';

/** The parameters of an authorization request (RFC 6749 4.1.1, RFC 7636 4.3). */
export const AUTHORIZATION_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;
export type AuthorizationParam = (typeof AUTHORIZATION_PARAMS)[number];

/** A valid authorization request: what the login page carries and a code is bound to. */
export interface AuthorizationRequest {
  readonly client: OAuthClient;
  readonly redirectUri: string;
  /** The scopes asked for; undefined when `scope` was absent (all the client may have). */
  readonly scopes: readonly string[] | undefined;
  readonly state: string;
  readonly codeChallenge: string;
  /** The parameters exactly as received, for the login form's hidden fields. */
  readonly params: Readonly<Partial<Record<AuthorizationParam, string>>>;
}

/** An error to redirect back to the client with (RFC 6749 4.1.2.1). */
export interface AuthorizationErrorResponse {
  readonly redirectUri: string;
  readonly error:
    'invalid_request' | 'unsupported_response_type' | 'unauthorized_client' | 'invalid_scope';
  readonly description: string;
  readonly state: string | undefined;
}

export type ParsedAuthorizationRequest =
  | { readonly kind: 'valid'; readonly request: AuthorizationRequest }
  /** The client or the redirect URI cannot be trusted: shown to the user, never redirected to. */
  | { readonly kind: 'page-error'; readonly message: string }
  | { readonly kind: 'redirect-error'; readonly response: AuthorizationErrorResponse };

/** RFC 7636 4.1 / 4.2: 43 to 128 characters of the unreserved set. */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether a code verifier (or a challenge) has RFC 7636's form. */
export const isPkceValue = (value: string): boolean => PKCE_VALUE.test(value);

/** RFC 7636 4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export const s256Challenge = (verifier: string): string =>
  createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** A parameter given more than once (RFC 6749 3.1), or as anything but one string. */
const REPEATED = Symbol('repeated');

/** A parameter's one value (an empty one is absent, RFC 6749 3.1), or {@link REPEATED}. */
function single(
  source: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined | typeof REPEATED {
  const value = Object.hasOwn(source, name) ? source[name] : undefined;
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  return REPEATED;
}

/**
 * Reads and checks an authorization request, from the query of `GET /oauth/authorize` or the
 * form of its POST alike, in RFC 6749 4.1.2.1's order: a missing, repeated or unknown
 * `client_id`, or a `redirect_uri` that is not exactly one of the client's, is shown to the user
 * (never redirected to); any other error goes back to the redirect URI. `state` and an S256
 * `code_challenge` are required.
 */
export function parseAuthorizationRequest(
  source: Readonly<Record<string, unknown>>,
  findClient: (clientId: string) => OAuthClient | undefined,
): ParsedAuthorizationRequest {
  const clientId = single(source, 'client_id');
  if (clientId === undefined || clientId === REPEATED) {
    return { kind: 'page-error', message: 'The request names no client (client_id).' };
  }
  const client = findClient(clientId);
  if (!client) return { kind: 'page-error', message: 'The request names an unknown client.' };
  const redirectUri = single(source, 'redirect_uri');
  if (redirectUri === undefined || redirectUri === REPEATED) {
    return { kind: 'page-error', message: 'The request names no redirect URI (redirect_uri).' };
  }
  if (!client.redirectUris.includes(redirectUri)) {
    return {
      kind: 'page-error',
      message: 'The redirect URI is not one registered for this client.',
    };
  }
  const params: Partial<Record<AuthorizationParam, string>> = {};
  const repeated: string[] = [];
  for (const name of AUTHORIZATION_PARAMS) {
    const value = single(source, name);
    if (value === REPEATED) repeated.push(name);
    else if (value !== undefined) params[name] = value;
  }
  const state = params.state;
  const refuse = (
    error: AuthorizationErrorResponse['error'],
    description: string,
  ): ParsedAuthorizationRequest => ({
    kind: 'redirect-error',
    response: { redirectUri, error, description, state },
  });
  if (repeated.length > 0) {
    return refuse('invalid_request', `Parameters given more than once: ${repeated.join(', ')}.`);
  }
  if (params.response_type === undefined) {
    return refuse('invalid_request', 'response_type is required.');
  }
  if (params.response_type !== 'code') {
    return refuse('unsupported_response_type', 'Only response_type=code is supported.');
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return refuse('unauthorized_client', 'This client may not use the authorization code grant.');
  }
  if (state === undefined) return refuse('invalid_request', 'state is required.');
  if (params.code_challenge === undefined) {
    return refuse('invalid_request', 'code_challenge is required (PKCE, RFC 7636).');
  }
  // Absent, the method would be `plain` (RFC 7636 4.3), which is refused.
  if (params.code_challenge_method !== 'S256') {
    return refuse('invalid_request', 'code_challenge_method must be S256.');
  }
  if (!isPkceValue(params.code_challenge)) {
    return refuse('invalid_request', 'code_challenge must be 43 to 128 unreserved characters.');
  }
  let scopes: string[] | undefined;
  if (params.scope !== undefined) {
    scopes = parseScope(params.scope);
    if (!scopes.every((s) => SCOPE_TOKEN.test(s))) {
      return refuse('invalid_scope', 'scope is not a list of scope tokens.');
    }
    const refused = scopesNotAllowed(scopes, client.allowedScopes);
    if (refused.length > 0) {
      return refuse('invalid_scope', `This client may not request: ${refused.join(' ')}.`);
    }
  }
  return {
    kind: 'valid',
    request: {
      client,
      redirectUri,
      scopes,
      state,
      codeChallenge: params.code_challenge,
      params,
    },
  };
}

/**
 * The redirect URI with response parameters added to its query (RFC 6749 4.1.2): the registered
 * URI's own query is kept; `iss` (RFC 9207) is always added.
 */
export function redirectTo(
  redirectUri: string,
  fields: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  return url.toString();
}

/** The redirect of an authorization error. */
export function errorRedirect(response: AuthorizationErrorResponse, issuer: string): string {
  return redirectTo(response.redirectUri, {
    error: response.error,
    error_description: response.description,
    state: response.state,
    iss: issuer,
  });
}
