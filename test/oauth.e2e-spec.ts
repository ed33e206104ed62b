import { describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import {
  basicAuth,
  CONF_CLIENT,
  form,
  FORM,
  OAUTH_CLIENTS_ENV,
  SERVICE_CLIENT,
  SHOP_CLIENT,
} from './support/clients.js';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { useSystem } from './support/use-system.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';

const ADMIN = { username: 'oauth-admin', password: 'an admin password for tests' };
const claimsOf = (token: string): { scope: string; client_id: string } =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    scope: string;
    client_id: string;
  };

const FIRST_PARTY = 'tokenfence-first-party';

describe.each(['embedded', 'postgres'] as const)('OAuth standards (%s database)', (database) => {
  const system = useSystem({
    database,
    authEnv: {
      OAUTH_CLIENTS: OAUTH_CLIENTS_ENV,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      // A spent refresh token is reuse at once: a refused refresh that spent one would show.
      REFRESH_GRACE_SECONDS: '0',
    },
  });
  const service = basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret);

  const introspect = (token: string, headers: Record<string, string> = service) =>
    call(`${system.auth.url}/oauth/introspect`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: form({ token }),
    });
  const revoke = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(`${system.auth.url}/oauth/revoke`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: form(fields),
    });

  it('RFC 8414 metadata names this issuer exactly and the endpoints', async () => {
    const answer = await call(`${system.auth.url}/.well-known/oauth-authorization-server`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      issuer: system.auth.url,
      jwks_uri: `${system.auth.url}/.well-known/jwks.json`,
      revocation_endpoint: `${system.auth.url}/oauth/revoke`,
      introspection_endpoint: `${system.auth.url}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  });

  it('F17: RFC 8414 metadata advertises only endpoints that exist, with the auth methods they take', async () => {
    const { body } = await call(`${system.auth.url}/.well-known/oauth-authorization-server`);
    const endpointFields = Object.fromEntries(
      Object.entries(body).filter(([key]) => /_endpoint(_auth_methods_supported)?$/.test(key)),
    );
    expect(endpointFields).toEqual({
      authorization_endpoint: `${system.auth.url}/oauth/authorize`,
      revocation_endpoint: `${system.auth.url}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      token_endpoint: `${system.auth.url}/oauth/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: `${system.auth.url}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    // The authorization endpoint answers codes only (no implicit flow), with S256 PKCE and
    // RFC 9207 `iss`.
    expect(body).toMatchObject({
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });

    // Each endpoint takes each method it advertises, and refuses 'none' where it does not.
    const credentials: Record<string, { headers: Record<string, string>; fields: object }> = {
      client_secret_basic: { headers: service, fields: {} },
      client_secret_post: {
        headers: {},
        fields: { client_id: SERVICE_CLIENT.id, client_secret: SERVICE_CLIENT.secret },
      },
      none: { headers: {}, fields: { client_id: FIRST_PARTY } },
    };
    for (const name of ['revocation', 'introspection']) {
      const advertised = body[`${name}_endpoint_auth_methods_supported`] as string[];
      for (const [method, { headers, fields }] of Object.entries(credentials)) {
        const answer = await call(String(body[`${name}_endpoint`]), {
          method: 'POST',
          headers: { ...FORM, ...headers },
          body: form({ token: 'never-issued', ...fields }),
        });
        expect([name, method, answer.status === 200]).toEqual([
          name,
          method,
          advertised.includes(method),
        ]);
      }
    }
  });

  it('a strict third-party validator (oauth4webapi) accepts our metadata and our RFC 9068 access tokens', async () => {
    const issuer = new URL(system.auth.url);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, {
        algorithm: 'oauth2',
        [oauth.allowInsecureRequests]: true,
      }),
    );
    const username = uniqueName('rfc9068');
    const id = await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    const request = new Request(`${system.orders.url}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, 'tokenfence-services', {
      [oauth.allowInsecureRequests]: true,
    });
    expect(claims).toMatchObject({ sub: id, iss: system.auth.url, client_id: FIRST_PARTY });
    await expect(
      oauth.validateJwtAccessToken(as, request, 'another-audience', {
        [oauth.allowInsecureRequests]: true,
      }),
    ).rejects.toThrow();
  });

  it('RFC 7662 introspection: active tokens with claims, {active:false} alone otherwise, clients authenticated', async () => {
    const username = uniqueName('intro');
    const id = await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);

    const access = await introspect(tokens.access_token);
    expect(access.status).toBe(200);
    expect(access.body).toMatchObject({
      active: true,
      token_type: 'access_token',
      sub: id,
      client_id: FIRST_PARTY,
    });
    // A refresh token only to the client it was issued to, never to a resource server (F12).
    expect((await introspect(tokens.refresh_token)).body).toEqual({ active: false });
    const conf = basicAuth(CONF_CLIENT.id, CONF_CLIENT.secret);
    const own = await call<TokenPair>(`${system.auth.url}/auth/login`, {
      json: {
        username,
        password: PASSWORD,
        client_id: CONF_CLIENT.id,
        client_secret: CONF_CLIENT.secret,
      },
    });
    expect((await introspect(own.body.refresh_token, conf)).body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      sub: id,
      client_id: CONF_CLIENT.id,
    });
    // An access token: to its client, and to a resource server for its audience only.
    expect((await introspect(own.body.access_token, conf)).body).toMatchObject({ active: true });
    expect((await introspect(tokens.access_token, conf)).body).toEqual({ active: false });
    const viaPost = await call(`${system.auth.url}/oauth/introspect`, {
      method: 'POST',
      headers: FORM,
      body: form({
        token: tokens.access_token,
        client_id: SERVICE_CLIENT.id,
        client_secret: SERVICE_CLIENT.secret,
      }),
    });
    expect(viaPost.body).toMatchObject({ active: true });

    for (const garbage of ['nope', 'a.b.c', `${tokens.access_token}x`]) {
      expect((await introspect(garbage)).body).toEqual({ active: false });
    }
    const wrongSecret = await introspect(
      tokens.access_token,
      basicAuth(SERVICE_CLIENT.id, 'wrong'),
    );
    expect({ status: wrongSecret.status, error: wrongSecret.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    const publicClient = await call(`${system.auth.url}/oauth/introspect`, {
      method: 'POST',
      headers: FORM,
      body: form({ token: tokens.access_token, client_id: FIRST_PARTY }),
    });
    expect(publicClient.status).toBe(401);
    const anonymous = await introspect(tokens.access_token, {});
    expect(anonymous.status).toBe(401);

    for (const session of [tokens, own.body]) {
      await call(`${system.auth.url}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.access_token}` },
      });
    }
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
    expect((await introspect(own.body.refresh_token, conf)).body).toEqual({ active: false });
  });

  it('RFC 7009 revocation: an access token alone, or a refresh token with its whole session', async () => {
    const username = uniqueName('revoker');
    await register(system.auth.url, username);
    const first = await login(system.auth.url, username);
    const second = await login(system.auth.url, username);

    const unknown = await revoke({ token: 'never-issued', client_id: FIRST_PARTY });
    expect(unknown.status).toBe(200);
    const noClient = await revoke({ token: first.access_token });
    expect({ status: noClient.status, error: noClient.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });

    // An access token: that token only.
    const accessRevoked = await revoke({
      token: first.access_token,
      token_type_hint: 'access_token',
      client_id: FIRST_PARTY,
    });
    expect(accessRevoked.status).toBe(200);
    const at = Date.now();
    await waitRejected(system.orders, first.access_token, at);
    await waitRejected(system.game, first.access_token, at);
    expect((await introspect(first.access_token)).body).toEqual({ active: false });
    // The auth service's own bearer routes refuse it too.
    const sessionsWithRevoked = await call(`${system.auth.url}/auth/sessions`, {
      headers: { authorization: `Bearer ${first.access_token}` },
    });
    expect({ status: sessionsWithRevoked.status, code: sessionsWithRevoked.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
    const stillFine = await call(`${system.auth.url}/auth/refresh`, {
      json: { refresh_token: first.refresh_token },
    });
    expect(stillFine.status).toBe(200);

    // A refresh token: its session ends, every access token of it everywhere.
    const refreshRevoked = await revoke({ token: second.refresh_token, client_id: FIRST_PARTY });
    expect(refreshRevoked.status).toBe(200);
    const at2 = Date.now();
    await waitRejected(system.orders, second.access_token, at2);
    await waitRejected(system.game, second.access_token, at2);
    const again = await revoke({ token: second.refresh_token, client_id: FIRST_PARTY });
    expect(again.status).toBe(200);

    // A confidential client cannot revoke tokens issued to another client.
    const third = await login(system.auth.url, username);
    const foreign = await revoke({ token: third.access_token }, service);
    expect(foreign.status).toBe(200);
    await expectAccepted(system.orders, third.access_token);
  });

  it('F5: a confidential client authenticates to refresh; a refused attempt spends nothing', async () => {
    const username = uniqueName('conf');
    await register(system.auth.url, username);
    const conf = basicAuth(CONF_CLIENT.id, CONF_CLIENT.secret);
    const signedIn = await call<TokenPair>(`${system.auth.url}/auth/login`, {
      json: {
        username,
        password: PASSWORD,
        client_id: CONF_CLIENT.id,
        client_secret: CONF_CLIENT.secret,
      },
    });
    expect(signedIn.status).toBe(200);
    const refresh = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      call<TokenPair & { code?: string }>(`${system.auth.url}/auth/refresh`, {
        headers,
        json: fields,
      });
    const outcome = (answer: { status: number; body: { code?: string } }) => ({
      status: answer.status,
      code: answer.body.code,
    });
    const token = signedIn.body.refresh_token;

    // Without its secret, or with a wrong one (post or Basic), the client is not authenticated.
    const refused = { status: 401, code: 'INVALID_CLIENT' };
    expect(outcome(await refresh({ refresh_token: token }))).toEqual(refused);
    expect(
      outcome(
        await refresh({ refresh_token: token, client_id: CONF_CLIENT.id, client_secret: 'wrong' }),
      ),
    ).toEqual(refused);
    expect(
      outcome(await refresh({ refresh_token: token }, basicAuth(CONF_CLIENT.id, 'wrong'))),
    ).toEqual(refused);
    expect(outcome(await refresh({ refresh_token: token, client_id: CONF_CLIENT.id }))).toEqual(
      refused,
    );
    // Another client, authenticated: the refresh token was not issued to it (RFC 6749 5.2).
    const notItsGrant = { status: 400, code: 'INVALID_GRANT' };
    expect(outcome(await refresh({ refresh_token: token }, service))).toEqual(notItsGrant);
    expect(outcome(await refresh({ refresh_token: token, client_id: SHOP_CLIENT.id }))).toEqual(
      notItsGrant,
    );

    // None of that spent the token (no grace: a spent one would be reuse): Basic works.
    const rotated = await refresh({ refresh_token: token }, conf);
    expect(outcome(rotated)).toEqual({ status: 200, code: undefined });
    expect(claimsOf(rotated.body.access_token).client_id).toBe(CONF_CLIENT.id);
    // The spent token again without the secret: refused before reuse detection, the session lives.
    expect(outcome(await refresh({ refresh_token: token }))).toEqual(refused);
    const viaPost = await refresh({
      refresh_token: rotated.body.refresh_token,
      client_id: CONF_CLIENT.id,
      client_secret: CONF_CLIENT.secret,
    });
    expect(outcome(viaPost)).toEqual({ status: 200, code: undefined });
    // Replayed by its own client, it is reuse as before: the session is revoked.
    expect(outcome(await refresh({ refresh_token: token }, conf))).toEqual({
      status: 401,
      code: 'REFRESH_TOKEN_REUSED',
    });

    // A public client refreshes with the token alone, or naming itself.
    const shop = await call<TokenPair>(`${system.auth.url}/auth/login`, {
      json: { username, password: PASSWORD, client_id: SHOP_CLIENT.id },
    });
    const shopRotated = await refresh({ refresh_token: shop.body.refresh_token });
    expect(outcome(shopRotated)).toEqual({ status: 200, code: undefined });
    const shopAgain = await refresh({
      refresh_token: shopRotated.body.refresh_token,
      client_id: SHOP_CLIENT.id,
    });
    expect(outcome(shopAgain)).toEqual({ status: 200, code: undefined });
  });

  it('F5: login takes the same client authentication as refresh; a Basic failure gets a Basic challenge', async () => {
    const username = uniqueName('basic');
    await register(system.auth.url, username);
    const viaBasic = await call<TokenPair & { code?: string }>(`${system.auth.url}/auth/login`, {
      headers: basicAuth(CONF_CLIENT.id, CONF_CLIENT.secret),
      json: { username, password: PASSWORD },
    });
    expect(viaBasic.status).toBe(200);
    expect(claimsOf(viaBasic.body.access_token).client_id).toBe(CONF_CLIENT.id);

    // RFC 6749 5.2: a client that tried Basic is answered with a Basic challenge.
    for (const [path, json] of [
      ['/auth/login', { username, password: PASSWORD }],
      ['/auth/refresh', { refresh_token: viaBasic.body.refresh_token }],
      ['/oauth/introspect', { token: viaBasic.body.access_token }],
    ] as const) {
      const answer = await call<{ code?: string }>(`${system.auth.url}${path}`, {
        headers: basicAuth(CONF_CLIENT.id, 'wrong'),
        json,
      });
      expect({
        path,
        status: answer.status,
        code: answer.body.code,
        challenge: answer.headers.get('www-authenticate'),
      }).toEqual({
        path,
        status: 401,
        code: 'INVALID_CLIENT',
        challenge: expect.stringMatching(/^Basic /),
      });
    }
  });

  it('a client is issued only its allowed scopes, at login, at refresh and after an admin scope change', async () => {
    const username = uniqueName('shopper');
    const id = await register(system.auth.url, username);
    const loginFor = (fields: Record<string, string>) =>
      call<TokenPair & { code?: string }>(`${system.auth.url}/auth/login`, {
        json: { username, password: PASSWORD, ...fields },
      });

    // The user has profile, orders:read and game:play; the shop may have the first two only.
    const shop = await loginFor({ client_id: SHOP_CLIENT.id });
    expect(shop.status).toBe(200);
    expect(claimsOf(shop.body.access_token)).toMatchObject({
      scope: 'profile orders:read',
      client_id: SHOP_CLIENT.id,
    });
    const narrowed = await loginFor({ client_id: SHOP_CLIENT.id, scope: 'orders:read' });
    expect(claimsOf(narrowed.body.access_token).scope).toBe('orders:read');
    const tooMuch = await loginFor({ client_id: SHOP_CLIENT.id, scope: 'profile game:play' });
    expect({ status: tooMuch.status, code: tooMuch.body.code }).toEqual({
      status: 400,
      code: 'SCOPE_NOT_ALLOWED',
    });
    const firstParty = await loginFor({});
    expect(claimsOf(firstParty.body.access_token)).toMatchObject({
      scope: 'profile orders:read game:play',
      client_id: FIRST_PARTY,
    });
    // A client without allowed_scopes is issued none; a confidential one must authenticate.
    const noSecret = await loginFor({ client_id: SERVICE_CLIENT.id });
    expect({ status: noSecret.status, code: noSecret.body.code }).toEqual({
      status: 401,
      code: 'INVALID_CLIENT',
    });
    const service = await loginFor({
      client_id: SERVICE_CLIENT.id,
      client_secret: SERVICE_CLIENT.secret,
    });
    expect(claimsOf(service.body.access_token)).toMatchObject({ scope: '' });
    const unknownClient = await loginFor({ client_id: 'nobody-configured-me' });
    expect(unknownClient.status).toBe(401);

    // An admin grants orders:write and drops profile: each session's next refresh intersects.
    const admin = await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN });
    const rescope = await call(`${system.auth.url}/admin/users/${id}/scopes`, {
      method: 'PUT',
      headers: bearer(admin.body.access_token),
      json: { scope: 'orders:read orders:write game:play' },
    });
    expect(rescope.status).toBe(204);
    const refreshed = async (tokens: TokenPair) => {
      const answer = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: tokens.refresh_token },
      });
      expect(answer.status).toBe(200);
      return claimsOf(answer.body.access_token);
    };
    expect(await refreshed(shop.body)).toMatchObject({
      scope: 'orders:read',
      client_id: SHOP_CLIENT.id,
    });
    expect((await refreshed(narrowed.body)).scope).toBe('orders:read');
    expect((await refreshed(firstParty.body)).scope).toBe('orders:read orders:write game:play');

    // Refresh tokens are the shop's own to revoke, not another client's.
    const shopSession = await loginFor({ client_id: SHOP_CLIENT.id });
    const byOther = await revoke({ token: shopSession.body.refresh_token, client_id: FIRST_PARTY });
    expect(byOther.status).toBe(200);
    const stillLive = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
      json: { refresh_token: shopSession.body.refresh_token },
    });
    expect(stillLive.status).toBe(200);
    const byShop = await revoke({
      token: stillLive.body.refresh_token,
      client_id: SHOP_CLIENT.id,
    });
    expect(byShop.status).toBe(200);
    const afterRevoke = await call(`${system.auth.url}/auth/refresh`, {
      json: { refresh_token: stillLive.body.refresh_token },
    });
    expect({ status: afterRevoke.status, code: afterRevoke.body.code }).toEqual({
      status: 401,
      code: 'INVALID_REFRESH_TOKEN',
    });
  });
});
