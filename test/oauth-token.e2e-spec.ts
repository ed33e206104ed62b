import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import { basicAuth, form, FORM } from './support/clients.js';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call, type HttpAnswer } from './support/http.js';
import { useSystem } from './support/use-system.js';
import { signInThroughLoginPage } from './support/login-page.js';
import { logout, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';

const ADMIN = { username: 'token-admin', password: 'an admin password for tests' };
const sha256 = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** A service that calls others as itself (client credentials). */
const WORKER = {
  id: 'billing-worker',
  secret: 'e2e-only-secret-worker-41c7a2',
  scopes: ['orders:read', 'game:play'],
};
/** A confidential client that signs users in but has no client-credentials grant. */
const WEB = { id: 'web-app', secret: 'e2e-only-secret-web-77d0e1', scopes: ['profile'] };
/** A browser app: public, with an origin of its own. */
const SPA = {
  id: 'spa-app',
  origin: 'https://spa.example.test',
  redirectUri: 'https://spa.example.test/callback',
  scopes: ['profile', 'orders:read'],
};
/** An app configured without the refresh_token grant: its refresh tokens are refused. */
const NO_REFRESH = { id: 'no-refresh-app' };
/** Another browser app, on another origin. */
const OTHER_SPA = { id: 'other-spa', origin: 'https://other.example.test' };

const OAUTH_CLIENTS = JSON.stringify([
  {
    client_id: WORKER.id,
    client_secret_sha256: sha256(WORKER.secret),
    allowed_scopes: WORKER.scopes,
    grant_types: ['client_credentials'],
  },
  { client_id: WEB.id, client_secret_sha256: sha256(WEB.secret), allowed_scopes: WEB.scopes },
  {
    client_id: SPA.id,
    allowed_scopes: SPA.scopes,
    redirect_uris: [`${SPA.origin}/callback`],
    allowed_origins: [SPA.origin],
  },
  {
    client_id: NO_REFRESH.id,
    allowed_scopes: ['profile'],
    redirect_uris: ['https://no-refresh.example.test/cb'],
    grant_types: ['authorization_code'],
  },
  {
    client_id: OTHER_SPA.id,
    allowed_scopes: ['profile'],
    redirect_uris: [`${OTHER_SPA.origin}/callback`],
    allowed_origins: [OTHER_SPA.origin],
  },
]);

interface OAuthErrorBody {
  error?: string;
  code?: string;
}

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;

describe.each(['embedded', 'postgres'] as const)('POST /oauth/token (%s database)', (database) => {
  const system = useSystem({
    database,
    authEnv: {
      OAUTH_CLIENTS,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      // A spent refresh token is reuse at once.
      REFRESH_GRACE_SECONDS: '0',
    },
  });

  const token = (
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<OAuthErrorBody & Record<string, unknown>>> =>
    call(`${system.auth.url}/oauth/token`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: form(fields),
    });
  const workerAuth = basicAuth(WORKER.id, WORKER.secret);
  const discover = async (): Promise<oauth.AuthorizationServer> => {
    const issuer = new URL(system.auth.url);
    return oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, {
        algorithm: 'oauth2',
        [oauth.allowInsecureRequests]: true,
      }),
    );
  };
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const workerToken = async (): Promise<string> => {
    const as = await discover();
    const client = { client_id: WORKER.id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(WORKER.secret),
      {},
      insecure,
    );
    return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
  };
  const adminToken = async (): Promise<string> => {
    const admin = await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN });
    expect(admin.status).toBe(200);
    return admin.body.access_token;
  };
  const loginAs = async (clientId: string, extra: Record<string, string> = {}) => {
    const username = uniqueName('grant');
    await register(system.auth.url, username);
    const answer = await call<TokenPair & { scope: string }>(`${system.auth.url}/auth/login`, {
      json: { username, password: PASSWORD, client_id: clientId, ...extra },
    });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  /** A user signed in to SPA through the code flow (oauth4webapi), with the user's id. */
  const codeFlow = async (): Promise<{ userId: string; tokens: oauth.TokenEndpointResponse }> => {
    const as = await discover();
    const client = { client_id: SPA.id };
    const username = uniqueName('code');
    const userId = await register(system.auth.url, username);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(String(as.authorization_endpoint));
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: SPA.id,
      redirect_uri: SPA.redirectUri,
      scope: 'profile orders:read',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const back = await signInThroughLoginPage(url, { username, password: PASSWORD });
    if (!back) throw new Error('the authorization ended on a page, not at the client');
    const callback = oauth.validateAuthResponse(as, client, back, state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      callback,
      SPA.redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    await expectAccepted(system.orders, tokens.access_token);
    await expectAccepted(system.game, tokens.access_token);
    return { userId, tokens };
  };

  it('code-flow tokens (oauth4webapi) are refused on both services after each kind of revocation', async () => {
    const as = await discover();
    const client = { client_id: SPA.id };
    const rfc7009 = (token: string) =>
      oauth
        .revocationRequest(as, client, oauth.None(), token, insecure)
        .then(oauth.processRevocationResponse);
    const admin = await adminToken();
    const kinds: [string, (signedIn: Awaited<ReturnType<typeof codeFlow>>) => Promise<unknown>][] =
      [
        ['token: RFC 7009 on the access token', ({ tokens }) => rfc7009(tokens.access_token)],
        [
          'session: RFC 7009 on the refresh token',
          ({ tokens }) => rfc7009(String(tokens.refresh_token)),
        ],
        ['session: logout', ({ tokens }) => logout(system.auth.url, tokens as TokenPair)],
        [
          'user: logout everywhere',
          ({ tokens }) =>
            call(`${system.auth.url}/auth/logout-all`, {
              method: 'POST',
              headers: bearer(tokens.access_token),
            }),
        ],
        [
          'user: an admin disables the account',
          ({ userId }) =>
            call(`${system.auth.url}/admin/users/${userId}/disable`, {
              method: 'POST',
              headers: bearer(admin),
            }),
        ],
      ];
    for (const [kind, revoke] of kinds) {
      const signedIn = await codeFlow();
      await revoke(signedIn);
      const since = Date.now();
      for (const service of [system.orders, system.game]) {
        await waitRejected(service, signedIn.tokens.access_token, since).catch((err: Error) => {
          throw new Error(`${kind} at ${service.url}: ${err.message}`);
        });
      }
    }
  });

  it('client credentials (oauth4webapi): a token for the client itself, accepted by both services', async () => {
    const as = await discover();
    expect(as.token_endpoint).toBe(`${system.auth.url}/oauth/token`);
    expect(as.grant_types_supported).toContain('client_credentials');
    const client = { client_id: WORKER.id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(WORKER.secret),
      { scope: 'orders:read' },
      insecure,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    const answer = await oauth.processClientCredentialsResponse(as, client, response);
    expect(answer).toMatchObject({ token_type: 'bearer', scope: 'orders:read' });
    expect(answer.refresh_token).toBeUndefined();
    const claims = claimsOf(answer.access_token);
    expect(claims).toMatchObject({ sub: WORKER.id, client_id: WORKER.id, scope: 'orders:read' });
    expect(claims.sid).toBeUndefined();
    expect(claims.auth_time).toBeUndefined();

    const all = await workerToken();
    expect(claimsOf(all).scope).toBe(WORKER.scopes.join(' '));
    await expectAccepted(system.orders, all);
    await expectAccepted(system.game, all);
    const me = await call(`${system.game.url}/me`, { headers: bearer(all) });
    expect(me.body).toMatchObject({ sub: WORKER.id, scope: 'orders:read game:play' });

    // Introspection by the client itself: active, a client token.
    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(
        as,
        client,
        oauth.ClientSecretBasic(WORKER.secret),
        all,
        insecure,
      ),
    );
    expect(introspection).toMatchObject({ active: true, sub: WORKER.id, client_id: WORKER.id });
    expect(introspection.sid).toBeUndefined();
  });

  it('client credentials: refused to public clients, to clients without the grant, beyond the allowed scopes', async () => {
    const cases: [string, Record<string, string>, Record<string, string>, number, string][] = [
      ['public client', { client_id: SPA.id }, {}, 400, 'unauthorized_client'],
      ['client without the grant', {}, basicAuth(WEB.id, WEB.secret), 400, 'unauthorized_client'],
      ['no client', {}, {}, 401, 'invalid_client'],
      ['wrong secret', {}, basicAuth(WORKER.id, 'not-the-secret'), 401, 'invalid_client'],
      ['scope not allowed', { scope: 'orders:write' }, workerAuth, 400, 'invalid_scope'],
    ];
    for (const [name, fields, headers, status, error] of cases) {
      const answer = await token({ grant_type: 'client_credentials', ...fields }, headers);
      expect([name, answer.status, answer.body.error]).toEqual([name, status, error]);
      expect(answer.body.access_token).toBeUndefined();
    }
  });

  it('a client token is revoked by RFC 7009, by a client cutoff, and the client gets new ones', async () => {
    const as = await discover();
    const client = { client_id: WORKER.id };
    const byRevocation = await workerToken();
    await expectAccepted(system.orders, byRevocation);
    const revocation = await oauth.revocationRequest(
      as,
      client,
      oauth.ClientSecretBasic(WORKER.secret),
      byRevocation,
      insecure,
    );
    await oauth.processRevocationResponse(revocation);
    const revokedAt = Date.now();
    await waitRejected(system.orders, byRevocation, revokedAt);
    await waitRejected(system.game, byRevocation, revokedAt);

    // A client cutoff: every token of the client issued so far, on every instance.
    const first = await workerToken();
    const second = await workerToken();
    await expectAccepted(system.game, first);
    const cutoff = await call(`${system.auth.url}/admin/clients/${WORKER.id}/revoke-tokens`, {
      method: 'POST',
      headers: bearer(await adminToken()),
    });
    expect(cutoff.status).toBe(204);
    const cutAt = Date.now();
    for (const service of [system.orders, system.game]) {
      await waitRejected(service, first, cutAt);
      await waitRejected(service, second, cutAt);
    }
    // Not a user of ours, nor a user's token: their sessions are untouched.
    const after = await workerToken();
    await expectAccepted(system.orders, after);
    await expectAccepted(system.game, after);
    const introspection = await call(`${system.auth.url}/oauth/introspect`, {
      method: 'POST',
      headers: { ...FORM, ...workerAuth },
      body: form({ token: first }),
    });
    expect(introspection.body).toEqual({ active: false });

    const unknown = await call<OAuthErrorBody>(
      `${system.auth.url}/admin/clients/${WEB.id}/revoke-tokens`,
      { method: 'POST', headers: bearer(await adminToken()) },
    );
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('refresh_token (oauth4webapi): the rotation of /auth/refresh, reuse revokes the session', async () => {
    const as = await discover();
    const client = { client_id: SPA.id };
    const pair = await loginAs(SPA.id);
    expect(pair.scope).toBe('profile orders:read');
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      pair.refresh_token,
      insecure,
    );
    const rotated = await oauth.processRefreshTokenResponse(as, client, response);
    expect(rotated.refresh_token).toMatch(/^rt_/);
    expect(rotated.refresh_token).not.toBe(pair.refresh_token);
    expect(claimsOf(rotated.access_token)).toMatchObject({ client_id: SPA.id });
    await expectAccepted(system.orders, rotated.access_token);
    await expectAccepted(system.game, rotated.access_token);

    // The spent token again: reuse, the whole session is revoked everywhere.
    const reuse = await token({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token,
      client_id: SPA.id,
    });
    expect([reuse.status, reuse.body.error, reuse.body.code]).toEqual([
      400,
      'invalid_grant',
      'REFRESH_TOKEN_REUSED',
    ]);
    const reusedAt = Date.now();
    await waitRejected(system.orders, rotated.access_token, reusedAt);
    await waitRejected(system.game, rotated.access_token, reusedAt);
    const dead = await token({
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token ?? '',
      client_id: SPA.id,
    });
    expect([dead.status, dead.body.error, dead.body.code]).toEqual([
      400,
      'invalid_grant',
      'INVALID_REFRESH_TOKEN',
    ]);
  });

  it('refresh_token: a confidential client authenticates, another client is refused, scope only narrows', async () => {
    const pair = await loginAs(WEB.id, { client_secret: WEB.secret });
    const refresh = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token, ...fields }, headers);

    const unauthenticated = await refresh({});
    expect([unauthenticated.status, unauthenticated.body.error]).toEqual([401, 'invalid_client']);
    const foreign = await refresh({ client_id: SPA.id });
    expect([foreign.status, foreign.body.error]).toEqual([400, 'invalid_grant']);
    const wider = await refresh({ scope: 'profile orders:read' }, basicAuth(WEB.id, WEB.secret));
    expect([wider.status, wider.body.error]).toEqual([400, 'invalid_scope']);
    // None of the refusals spent it.
    const narrowed = await refresh({ scope: 'profile' }, basicAuth(WEB.id, WEB.secret));
    expect(narrowed.status).toBe(200);
    expect(narrowed.body).toMatchObject({ scope: 'profile', token_type: 'Bearer' });
  });

  it('a client without the refresh_token grant cannot refresh, naming itself or not', async () => {
    const pair = await loginAs(NO_REFRESH.id);
    const named = await token({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token,
      client_id: NO_REFRESH.id,
    });
    expect([named.status, named.body.error]).toEqual([400, 'unauthorized_client']);
    const anonymous = await token({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token,
    });
    expect([anonymous.status, anonymous.body.error, anonymous.body.code]).toEqual([
      400,
      'invalid_grant',
      'INVALID_REFRESH_TOKEN',
    ]);
    const legacy = await call(`${system.auth.url}/auth/refresh`, {
      json: { refresh_token: pair.refresh_token },
    });
    expect([legacy.status, legacy.body.code]).toEqual([401, 'INVALID_REFRESH_TOKEN']);
  });

  it('RFC 6749 section 5.2 errors: unknown grant, missing parameters, not a form; unknown parameters ignored', async () => {
    const cases: [string, Record<string, string>, string][] = [
      [
        'password grant',
        { grant_type: 'password', username: 'a', password: 'b' },
        'unsupported_grant_type',
      ],
      ['no grant_type', {}, 'invalid_request'],
      ['refresh without the token', { grant_type: 'refresh_token' }, 'invalid_request'],
    ];
    for (const [name, fields, error] of cases) {
      const answer = await token(fields);
      expect([name, answer.status, answer.body.error]).toEqual([name, 400, error]);
    }
    const twice = await call<OAuthErrorBody>(`${system.auth.url}/oauth/token`, {
      method: 'POST',
      headers: { ...FORM, ...workerAuth },
      body: 'grant_type=client_credentials&scope=orders:read&scope=game:play',
    });
    expect([twice.status, twice.body.error]).toEqual([400, 'invalid_request']);
    const json = await call<OAuthErrorBody>(`${system.auth.url}/oauth/token`, {
      json: { grant_type: 'client_credentials' },
      headers: workerAuth,
    });
    expect([json.status, json.body.error]).toEqual([400, 'invalid_request']);
    const extra = await token(
      { grant_type: 'client_credentials', resource: 'https://x.example', unknown: '1' },
      workerAuth,
    );
    expect(extra.status).toBe(200);
  });

  it("CORS: a public client's origin only, on the token and revocation endpoints", async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${system.auth.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    for (const path of ['/oauth/token', '/oauth/revoke']) {
      const allowed = await preflight(path, SPA.origin);
      expect([path, allowed.status]).toEqual([path, 204]);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(SPA.origin);
      expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

      const unlisted = await preflight(path, 'http://evil.example.test');
      expect([path, unlisted.status]).toEqual([path, 403]);
      expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
      expect(((await unlisted.json()) as OAuthErrorBody).code).toBe('ORIGIN_NOT_ALLOWED');
    }
    // Not on other endpoints, whatever the origin.
    const introspect = await preflight('/oauth/introspect', SPA.origin);
    expect(introspect.headers.get('access-control-allow-origin')).toBeNull();

    // The real request: the answer names the origin, for the client that lists it only.
    const pair = await loginAs(SPA.id);
    const fromSpa = await token(
      { grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: SPA.id },
      { origin: SPA.origin },
    );
    expect(fromSpa.status).toBe(200);
    expect(fromSpa.headers.get('access-control-allow-origin')).toBe(SPA.origin);
    const other = await loginAs(OTHER_SPA.id);
    const crossed = await token(
      { grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: OTHER_SPA.id },
      { origin: SPA.origin },
    );
    expect([crossed.status, crossed.body.code]).toEqual([400, 'ORIGIN_NOT_ALLOWED']);
    const revoke = await call<OAuthErrorBody>(`${system.auth.url}/oauth/revoke`, {
      method: 'POST',
      headers: { ...FORM, origin: 'http://evil.example.test' },
      body: form({ token: other.refresh_token, client_id: OTHER_SPA.id }),
    });
    expect([revoke.status, revoke.body.code]).toEqual([400, 'ORIGIN_NOT_ALLOWED']);
    // Neither refusal spent the token.
    const still = await token(
      { grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: OTHER_SPA.id },
      { origin: OTHER_SPA.origin },
    );
    expect(still.status).toBe(200);
  });

  it('a client token and a code-flow token are refused after the global cutoff', async () => {
    const { tokens: user } = await codeFlow();
    const byGlobal = await workerToken();
    await expectAccepted(system.orders, byGlobal);
    await expectAccepted(system.game, byGlobal);
    const stop = await call(`${system.auth.url}/admin/revoke-all`, {
      method: 'POST',
      headers: bearer(await adminToken()),
    });
    expect(stop.status).toBe(204);
    const stoppedAt = Date.now();
    for (const service of [system.orders, system.game]) {
      await waitRejected(service, byGlobal, stoppedAt);
      await waitRejected(service, user.access_token, stoppedAt);
    }
    // The client's next token is dated after the cutoff.
    const next = await workerToken();
    await expectAccepted(system.orders, next);
    await expectAccepted(system.game, next);
  });

  // Last: the key that signs every token of the suite is revoked.
  it('a client token and a code-flow token are refused after their signing key is revoked', async () => {
    const { tokens: user } = await codeFlow();
    const byKey = await workerToken();
    await expectAccepted(system.orders, byKey);
    await expectAccepted(system.game, byKey);
    const { kid } = JSON.parse(Buffer.from(byKey.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
    };
    const keyRevocation = await call(`${system.auth.url}/admin/keys/${kid}/revoke`, {
      method: 'POST',
      headers: bearer(await adminToken()),
    });
    expect(keyRevocation.status).toBe(204);
    const keyRevokedAt = Date.now();
    for (const service of [system.orders, system.game]) {
      await waitRejected(service, byKey, keyRevokedAt);
      await waitRejected(service, user.access_token, keyRevokedAt);
    }
  });
});
