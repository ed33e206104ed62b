import fc from 'fast-check';
import { ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN } from './request.js';
import type { FieldSpec } from './bodies.js';

/** Who may call an endpoint: anyone, a bearer token, an admin token, or an OAuth client. */
export type Access = 'public' | 'bearer' | 'admin' | 'client';

/** Values the suite set up, so that generated requests also reach the paths behind validation. */
export interface KnownValues {
  readonly usernames: readonly string[];
  readonly password: string;
  /** A user the admin endpoints may act on (never one whose token the suite uses). */
  readonly targetUserId: string;
  /** A signing key that is not (and will not become) active during the run. */
  readonly pendingKid: string;
  readonly clientId: string;
  /** The id of the identity provider the service is configured with (IDENTITY_PROVIDERS). */
  readonly providerId: string;
  /** Logout tokens of that provider: valid ones, and forged ones. */
  readonly logoutTokens: readonly string[];
}

export interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As in the OpenAPI document, e.g. `/auth/sessions/{sid}`. */
  readonly path: string;
  readonly access: Access;
  /**
   * `oauth`: RFC 6749 error bodies (`error`, `error_description`); `code`: `{code, message}`;
   * `html`: a hosted page, whose errors are HTML pages with the pages' security headers (or, for
   * what never reaches it, such as another method or a body the parser refuses, `code` bodies).
   */
  readonly errors: 'code' | 'oauth' | 'html';
  readonly fields?: (known: KnownValues) => FieldSpec;
  readonly form?: boolean;
  /** Known values for path parameters, besides generated ones (`holderSid`: the holder's session). */
  readonly params?: (known: KnownValues, holderSid: string) => Record<string, readonly string[]>;
  /** A success spends the caller's token or session: holder modes get a user of their own. */
  readonly spendsHolder?: boolean;
  /** Revokes every token there is: run after everything else. */
  readonly revokesEverything?: boolean;
}

const username = (k: KnownValues) =>
  fc.oneof(fc.constantFrom(...k.usernames), fc.stringMatching(/^[A-Za-z0-9._@-]{3,64}$/));
const password = (k: KnownValues) =>
  fc.oneof(fc.constant(k.password), fc.string({ minLength: 8, maxLength: 256 }));
const token = fc.constantFrom(ACCESS_TOKEN, REFRESH_TOKEN, 'rt_unknown', 'a.b.c');
const scope = fc.stringMatching(/^[a-z:]{1,12}( [a-z:]{1,12}){0,3}$/);

const oauthFields = (k: KnownValues): FieldSpec => ({
  token,
  token_type_hint: fc.constantFrom('access_token', 'refresh_token', 'id_token'),
  client_id: fc.constantFrom(k.clientId, 'tokenfence-first-party', 'nobody'),
  client_secret: fc.constantFrom(CLIENT_SECRET, 'wrong'),
});

/** Every route of the auth service, as its controllers declare them. */
export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: '/health/live', access: 'public', errors: 'code' },
  { method: 'GET', path: '/health/ready', access: 'public', errors: 'code' },
  { method: 'GET', path: '/.well-known/jwks.json', access: 'public', errors: 'code' },
  {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    access: 'public',
    errors: 'code',
  },
  {
    method: 'POST',
    path: '/auth/register',
    access: 'public',
    errors: 'code',
    fields: (k) => ({ username: username(k), password: password(k) }),
  },
  {
    method: 'POST',
    path: '/auth/login',
    access: 'public',
    errors: 'code',
    fields: (k) => ({ username: username(k), password: password(k) }),
  },
  {
    method: 'POST',
    path: '/auth/refresh',
    access: 'public',
    errors: 'code',
    fields: (k) => ({
      refresh_token: token,
      client_id: fc.constantFrom(k.clientId, 'tokenfence-first-party', 'nobody'),
      client_secret: fc.constantFrom(CLIENT_SECRET, 'wrong'),
    }),
    spendsHolder: true,
  },
  {
    method: 'POST',
    path: '/auth/password',
    access: 'bearer',
    errors: 'code',
    fields: (k) => ({ current_password: password(k), new_password: password(k) }),
    spendsHolder: true,
  },
  { method: 'POST', path: '/auth/logout', access: 'bearer', errors: 'code', spendsHolder: true },
  {
    method: 'POST',
    path: '/auth/logout-all',
    access: 'bearer',
    errors: 'code',
    spendsHolder: true,
  },
  { method: 'GET', path: '/auth/sessions', access: 'bearer', errors: 'code' },
  {
    method: 'DELETE',
    path: '/auth/sessions/{sid}',
    access: 'bearer',
    errors: 'code',
    params: (_k, holderSid) => ({ sid: [holderSid] }),
    spendsHolder: true,
  },
  { method: 'GET', path: '/oauth/authorize', access: 'public', errors: 'html' },
  {
    method: 'POST',
    path: '/oauth/authorize',
    access: 'public',
    errors: 'html',
    fields: (k) => ({
      response_type: fc.constantFrom('code', 'token'),
      client_id: fc.constantFrom(k.clientId, 'tokenfence-first-party', 'nobody'),
      redirect_uri: fc.constantFrom('https://app.example/cb', 'not a uri'),
      scope,
      state: fc.string({ maxLength: 40 }),
      code_challenge: fc.stringMatching(/^[A-Za-z0-9._~-]{0,130}$/),
      code_challenge_method: fc.constantFrom('S256', 'plain'),
      csrf_token: fc.constantFrom('', 'forged'),
      username: username(k),
      password: password(k),
    }),
    form: true,
  },
  {
    method: 'POST',
    path: '/oauth/revoke',
    access: 'client',
    errors: 'oauth',
    fields: oauthFields,
    form: true,
    spendsHolder: true,
  },
  {
    method: 'POST',
    path: '/oauth/token',
    access: 'client',
    errors: 'oauth',
    fields: (k) => ({
      grant_type: fc.constantFrom(
        'client_credentials',
        'refresh_token',
        'authorization_code',
        'password',
      ),
      refresh_token: token,
      code: fc.constantFrom('unknown-code', ''),
      redirect_uri: fc.constantFrom('https://app.example/cb', 'not a uri'),
      code_verifier: fc.stringMatching(/^[A-Za-z0-9._~-]{0,130}$/),
      scope,
      client_id: fc.constantFrom(k.clientId, 'tokenfence-first-party', 'nobody'),
      client_secret: fc.constantFrom(CLIENT_SECRET, 'wrong'),
    }),
    form: true,
    spendsHolder: true,
  },
  {
    method: 'POST',
    path: '/oauth/introspect',
    access: 'client',
    errors: 'oauth',
    fields: oauthFields,
    form: true,
  },
  ...(['disable', 'enable', 'revoke-sessions'] as const).map((action): Endpoint => ({
    method: 'POST',
    path: `/admin/users/{id}/${action}`,
    access: 'admin',
    errors: 'code',
    params: (k) => ({ id: [k.targetUserId] }),
  })),
  {
    method: 'PUT',
    path: '/admin/users/{id}/scopes',
    access: 'admin',
    errors: 'code',
    fields: () => ({ scope }),
    params: (k) => ({ id: [k.targetUserId] }),
  },
  {
    method: 'POST',
    path: '/admin/clients/{client_id}/revoke-tokens',
    access: 'admin',
    errors: 'code',
    params: (k) => ({ client_id: [k.clientId] }),
  },
  { method: 'POST', path: '/admin/keys/rotate', access: 'admin', errors: 'code' },
  {
    method: 'POST',
    path: '/signals/{provider}/backchannel-logout',
    access: 'public',
    errors: 'code',
    params: (k) => ({ provider: [k.providerId] }),
    fields: (k) => ({ logout_token: fc.oneof(fc.constantFrom(...k.logoutTokens), token) }),
    form: true,
  },
  {
    method: 'POST',
    path: '/signals/{provider}/ssf',
    access: 'public',
    errors: 'code',
    params: (k) => ({ provider: [k.providerId] }),
  },
  {
    method: 'POST',
    path: '/admin/keys/{kid}/revoke',
    access: 'admin',
    errors: 'code',
    params: (k) => ({ kid: [k.pendingKid] }),
  },
  { method: 'GET', path: '/admin/audit', access: 'admin', errors: 'code' },
  { method: 'POST', path: '/admin/topic/snapshot', access: 'admin', errors: 'code' },
  {
    method: 'POST',
    path: '/admin/revoke-all',
    access: 'admin',
    errors: 'code',
    revokesEverything: true,
  },
];

export const endpointName = (e: Endpoint): string => `${e.method} ${e.path}`;
