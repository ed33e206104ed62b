import { describe, expect, it } from '@jest/globals';
import type { OAuthClient } from '../config/auth-config.js';
import {
  errorRedirect,
  isPkceValue,
  parseAuthorizationRequest,
  s256Challenge,
  type ParsedAuthorizationRequest,
} from './authorization-request.js';

const SHOP: OAuthClient = {
  clientId: 'shop',
  secretSha256: undefined,
  allowedScopes: ['profile', 'orders:read'],
  introspectAudiences: [],
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://shop.example/cb', 'com.example.app:/cb'],
  allowedOrigins: [],
  name: 'Shop',
};
const NO_CODES: OAuthClient = {
  ...SHOP,
  clientId: 'no-codes',
  grantTypes: ['refresh_token'],
};
const CLIENTS = new Map([SHOP, NO_CODES].map((c) => [c.clientId, c]));
const find = (id: string): OAuthClient | undefined => CLIENTS.get(id);

// RFC 7636 appendix B.
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const VALID = {
  response_type: 'code',
  client_id: 'shop',
  redirect_uri: 'https://shop.example/cb',
  scope: 'profile orders:read',
  state: 'xyz',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
};

const parse = (params: Record<string, unknown>): ParsedAuthorizationRequest =>
  parseAuthorizationRequest(params, find);

/** The `error` of a redirect error, or the kind when it is not one. */
function errorOf(parsed: ParsedAuthorizationRequest): string {
  return parsed.kind === 'redirect-error' ? parsed.response.error : parsed.kind;
}

describe('parseAuthorizationRequest', () => {
  it('reads a valid request', () => {
    const parsed = parse(VALID);
    expect(parsed.kind).toBe('valid');
    if (parsed.kind !== 'valid') return;
    expect(parsed.request).toMatchObject({
      client: { clientId: 'shop' },
      redirectUri: 'https://shop.example/cb',
      scopes: ['profile', 'orders:read'],
      state: 'xyz',
      codeChallenge: CHALLENGE,
    });
    // No scope: all the client may have.
    const withoutScope: Record<string, string> = { ...VALID };
    delete withoutScope.scope;
    const bare = parse(withoutScope);
    expect(bare.kind === 'valid' && bare.request.scopes).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['client_id missing', { client_id: undefined }],
    ['client_id empty', { client_id: '' }],
    ['client_id repeated', { client_id: ['shop', 'shop'] }],
    ['client_id unknown', { client_id: 'nobody' }],
    ['redirect_uri missing', { redirect_uri: undefined }],
    ['redirect_uri repeated', { redirect_uri: ['https://shop.example/cb'] }],
    ['redirect_uri not registered', { redirect_uri: 'https://evil.example/cb' }],
    ['redirect_uri with a trailing slash', { redirect_uri: 'https://shop.example/cb/' }],
    ['redirect_uri with another case', { redirect_uri: 'https://SHOP.example/cb' }],
    ['redirect_uri with a query added', { redirect_uri: 'https://shop.example/cb?x=1' }],
  ])('%s: an error page, never a redirect', (_, change) => {
    const parsed = parse({ ...VALID, ...change });
    expect(parsed.kind).toBe('page-error');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['response_type missing', { response_type: undefined }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    [
      'response_type code id_token',
      { response_type: 'code id_token' },
      'unsupported_response_type',
    ],
    ['state missing', { state: undefined }, 'invalid_request'],
    ['state empty', { state: '' }, 'invalid_request'],
    ['code_challenge missing', { code_challenge: undefined }, 'invalid_request'],
    [
      'code_challenge_method missing (plain)',
      { code_challenge_method: undefined },
      'invalid_request',
    ],
    ['code_challenge_method plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['code_challenge_method s256', { code_challenge_method: 's256' }, 'invalid_request'],
    ['code_challenge too short', { code_challenge: 'a'.repeat(42) }, 'invalid_request'],
    ['code_challenge too long', { code_challenge: 'a'.repeat(129) }, 'invalid_request'],
    ['code_challenge with +', { code_challenge: `${'a'.repeat(42)}+` }, 'invalid_request'],
    ['scope repeated', { scope: ['profile', 'profile'] }, 'invalid_request'],
    ['state repeated', { state: ['a', 'b'] }, 'invalid_request'],
    ['response_type repeated', { response_type: ['code', 'code'] }, 'invalid_request'],
    ['code_challenge repeated', { code_challenge: [CHALLENGE, CHALLENGE] }, 'invalid_request'],
    ['a scope the client may not have', { scope: 'profile admin' }, 'invalid_scope'],
    ['a malformed scope', { scope: 'profile "x"' }, 'invalid_scope'],
    ['a client without the code grant', { client_id: 'no-codes' }, 'unauthorized_client'],
  ])('%s: redirected with error=%s', (_, change, error) => {
    const parsed = parse({ ...VALID, ...change });
    expect(errorOf(parsed)).toBe(error);
  });

  it('sends an error back to the redirect URI with state and iss, and only then', () => {
    const parsed = parse({ ...VALID, code_challenge_method: 'plain' });
    if (parsed.kind !== 'redirect-error') throw new Error(`not a redirect: ${parsed.kind}`);
    const url = new URL(errorRedirect(parsed.response, 'https://auth.example'));
    expect(`${url.origin}${url.pathname}`).toBe('https://shop.example/cb');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: expect.any(String),
      state: 'xyz',
      iss: 'https://auth.example',
    });
    // Without a state, none is sent back; iss always is.
    const stateless = parse({ ...VALID, state: undefined });
    if (stateless.kind !== 'redirect-error') throw new Error('not a redirect');
    const params = new URL(errorRedirect(stateless.response, 'https://auth.example')).searchParams;
    expect([params.has('state'), params.get('iss'), params.get('error')]).toEqual([
      false,
      'https://auth.example',
      'invalid_request',
    ]);
  });

  it('ignores parameters it does not know (the form fields among them)', () => {
    expect(parse({ ...VALID, username: ['a', 'b'], nonce: 'n' }).kind).toBe('valid');
  });
});

describe('PKCE S256', () => {
  it('computes the challenge of RFC 7636 appendix B', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(CHALLENGE);
  });

  it('takes 43 to 128 unreserved characters only', () => {
    expect(isPkceValue('a'.repeat(43))).toBe(true);
    expect(isPkceValue('-._~'.repeat(32))).toBe(true);
    expect(isPkceValue('a'.repeat(42))).toBe(false);
    expect(isPkceValue('a'.repeat(129))).toBe(false);
    expect(isPkceValue(`${'a'.repeat(42)}/`)).toBe(false);
  });
});
