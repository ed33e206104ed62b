import type { Request } from 'express';
import { oauthError } from './oauth-error.js';
import { parseScope, SCOPE_TOKEN } from './client-scopes.js';
import type { ClientCredentialFields } from './client-authenticator.js';

/** A token-endpoint request (RFC 6749 sections 4.1.3, 4.4.2, 6), its client fields apart. */
export type TokenRequest = ClientCredentialFields &
  (
    | {
        readonly grant_type: 'authorization_code';
        readonly code: string;
        readonly redirect_uri: string;
        readonly code_verifier: string;
      }
    | {
        readonly grant_type: 'refresh_token';
        readonly refresh_token: string;
        /** A narrower scope for this access token; undefined: what the session was granted. */
        readonly scope: readonly string[] | undefined;
      }
    | { readonly grant_type: 'client_credentials'; readonly scope: readonly string[] | undefined }
  );

/** The longest value each parameter may have; longer is invalid_request. */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  grant_type: 64,
  code: 256,
  redirect_uri: 2000,
  code_verifier: 128,
  refresh_token: 512,
  scope: 1024,
  client_id: 128,
  client_secret: 512,
};

const invalid = (description: string) => oauthError(400, 'invalid_request', description);

/** The token request of an HTTP request, which must be form-encoded (see parseTokenRequest). */
export function formTokenRequest(req: Request, body: unknown): TokenRequest {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw oauthError(
      400,
      'invalid_request',
      'Send the request as application/x-www-form-urlencoded.',
    );
  }
  return parseTokenRequest(body);
}

/**
 * Reads a form-encoded token request. Unknown parameters are ignored and an empty one counts as
 * absent (RFC 6749 section 3.2); a parameter sent twice, a missing one or one too long is
 * 400 invalid_request; an unknown grant type, 400 unsupported_grant_type.
 */
export function parseTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The request must be a form (application/x-www-form-urlencoded).');
  }
  const fields = body as Record<string, unknown>;
  const param = (name: string): string | undefined => {
    const value = fields[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(`The parameter ${name} must be sent once.`);
    if (value.length > (MAX_LENGTH[name] ?? 0)) throw invalid(`The parameter ${name} is too long.`);
    return value;
  };
  const required = (name: string): string => {
    const value = param(name);
    if (value === undefined) throw invalid(`The parameter ${name} is required.`);
    return value;
  };
  const scope = (): readonly string[] | undefined => {
    const raw = param('scope');
    if (raw === undefined) return undefined;
    const scopes = parseScope(raw);
    if (!scopes.every((s) => SCOPE_TOKEN.test(s))) throw invalid('The scope is malformed.');
    return scopes;
  };
  const client = { client_id: param('client_id'), client_secret: param('client_secret') };
  const grantType = required('grant_type');
  switch (grantType) {
    case 'authorization_code':
      return {
        ...client,
        grant_type: grantType,
        code: required('code'),
        redirect_uri: required('redirect_uri'),
        code_verifier: required('code_verifier'),
      };
    case 'refresh_token':
      return {
        ...client,
        grant_type: grantType,
        refresh_token: required('refresh_token'),
        scope: scope(),
      };
    case 'client_credentials':
      return { ...client, grant_type: grantType, scope: scope() };
    default:
      throw oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.');
  }
}
