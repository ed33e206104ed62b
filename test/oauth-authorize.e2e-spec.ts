import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import { FORM } from './support/clients.js';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { call } from './support/http.js';
import { Browser, formAction, hiddenFields } from './support/login-page.js';
import { useSystem } from './support/use-system.js';
import { logout, PASSWORD, register, uniqueName } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** A public app signing users in through the hosted page (PKCE, no secret). */
const PUBLIC_APP = {
  id: 'authz-public',
  name: "Shop & Co's app",
  redirectUri: 'https://app.example.test/callback',
  scopes: ['profile', 'orders:read', 'game:play'],
};
/** A confidential web app: it authenticates at the token endpoint. */
const CONF_APP = {
  id: 'authz-conf',
  secret: 'e2e-only-secret-authz-c0nf',
  redirectUri: 'https://conf.example.test/cb',
  scopes: ['profile', 'orders:read'],
};

/**
 * A native app: public, with a loopback redirect URI any local process could listen on
 * (RFC 8252 section 8.6): a signed-in browser is never sent there without the user acting.
 */
const NATIVE_APP = {
  id: 'authz-native',
  redirectUri: 'http://127.0.0.1:8765/callback',
  scopes: ['profile'],
};

const OAUTH_CLIENTS = JSON.stringify([
  {
    client_id: NATIVE_APP.id,
    allowed_scopes: NATIVE_APP.scopes,
    redirect_uris: [NATIVE_APP.redirectUri],
  },
  {
    client_id: PUBLIC_APP.id,
    client_name: PUBLIC_APP.name,
    allowed_scopes: PUBLIC_APP.scopes,
    redirect_uris: [PUBLIC_APP.redirectUri],
  },
  {
    client_id: CONF_APP.id,
    client_secret_sha256: sha256(CONF_APP.secret),
    allowed_scopes: CONF_APP.scopes,
    redirect_uris: [CONF_APP.redirectUri],
  },
]);

const authTimeOf = (token: string): number =>
  (
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      auth_time: number;
    }
  ).auth_time;

const ADMIN = { username: 'authz-admin', password: 'an admin password for tests' };

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

describe.each(['embedded', 'postgres'] as const)(
  'OAuth authorization code flow with the hosted login page (%s database)',
  (database) => {
    const system = useSystem({
      database,
      authEnv: {
        OAUTH_CLIENTS,
        REFRESH_GRACE_SECONDS: '0',
        // A lock outlasts the test that provokes it, however slow the machine.
        LOGIN_LOCKOUT_BASE_SECONDS: '120',
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });

    const discover = async (): Promise<oauth.AuthorizationServer> => {
      const issuer = new URL(system.auth.url);
      return oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE }),
      );
    };

    /** A fresh authorization request for a client, with its PKCE verifier and state. */
    async function authorizationRequest(
      as: oauth.AuthorizationServer,
      app: { id: string; redirectUri: string },
      extra: Record<string, string | undefined> = {},
    ): Promise<{ url: string; verifier: string; state: string }> {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(String(as.authorization_endpoint));
      const params: Record<string, string | undefined> = {
        response_type: 'code',
        client_id: app.id,
        redirect_uri: app.redirectUri,
        scope: 'profile orders:read',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      };
      for (const [name, value] of Object.entries(params)) {
        if (value !== undefined) url.searchParams.set(name, value);
      }
      return { url: url.toString(), verifier, state };
    }

    /** Opens the login page and posts the form with the user's credentials; returns the answer. */
    async function signIn(
      browser: Browser,
      authorizeUrl: string,
      username: string,
      change: (fields: Record<string, string>) => Record<string, string> = (f) => f,
      headers: Record<string, string> = {},
    ): Promise<Response> {
      const page = await browser.fetch(authorizeUrl);
      expect(page.status).toBe(200);
      const html = await page.text();
      const fields = change({ ...hiddenFields(html), username, password: PASSWORD });
      return browser.fetch(formAction(html), {
        method: 'POST',
        headers: { ...FORM, origin: new URL(system.auth.url).origin, ...headers },
        body: new URLSearchParams(fields).toString(),
      });
    }

    /** Where a redirect goes: 302 answers a GET, 303 the login form's POST. */
    function locationOf(response: Response, status: 302 | 303 = 302): URL {
      expect(response.status).toBe(status);
      return new URL(response.headers.get('location') ?? '');
    }

    async function exchange(
      as: oauth.AuthorizationServer,
      app: { id: string; redirectUri: string; secret?: string },
      callback: URLSearchParams,
      verifier: string,
    ): Promise<Response> {
      const auth = app.secret ? oauth.ClientSecretBasic(app.secret) : oauth.None();
      return oauth.authorizationCodeGrantRequest(
        as,
        { client_id: app.id },
        auth,
        callback,
        app.redirectUri,
        verifier,
        INSECURE,
      );
    }

    const newUser = async (prefix: string): Promise<string> => {
      const username = uniqueName(prefix);
      await register(system.auth.url, username);
      return username;
    };

    it('signs in on the page, exchanges the code, reuses the sign-in, and a logout ends both', async () => {
      const as = await discover();
      expect(as).toMatchObject({
        authorization_endpoint: `${system.auth.url}/oauth/authorize`,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      const username = await newUser('authz');
      const browser = new Browser();
      const client = { client_id: PUBLIC_APP.id };
      const first = await authorizationRequest(as, PUBLIC_APP);

      const page = await browser.fetch(first.url);
      expect(page.status).toBe(200);
      expect(Object.fromEntries(page.headers)).toMatchObject({
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      });
      expect(page.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; style-src '[^']+'; form-action 'self' https:\/\/app\.example\.test; frame-ancestors 'none'; base-uri 'none'$/,
      );
      const html = await page.text();
      expect(html).toContain('Shop &amp; Co&#39;s app');
      // Issuer http://127.0.0.1: cookies without Secure nor the __Host- prefix.
      expect(browser.lastSet.get('tokenfence-csrf')).toMatch(/HttpOnly/i);
      expect(browser.lastSet.get('tokenfence-csrf')).toMatch(/SameSite=Lax/i);
      expect(browser.lastSet.get('tokenfence-csrf')).not.toMatch(/Secure/i);

      const signedIn = await signIn(browser, first.url, username);
      const back = locationOf(signedIn, 303);
      expect(`${back.origin}${back.pathname}`).toBe(PUBLIC_APP.redirectUri);
      expect(browser.lastSet.get('tokenfence-session')).toMatch(/HttpOnly/i);
      expect(browser.lastSet.get('tokenfence-session')).toMatch(/SameSite=Lax/i);
      expect(browser.lastSet.get('tokenfence-session')).toMatch(/Path=\//i);
      // RFC 9207 iss and the state, checked by a strict client library.
      const callback = oauth.validateAuthResponse(as, client, back, first.state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        client,
        await exchange(as, PUBLIC_APP, callback, first.verifier),
      );
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'profile orders:read' });
      expect(tokens.refresh_token).toEqual(expect.any(String));
      await expectAccepted(system.orders, tokens.access_token);
      await expectAccepted(system.game, tokens.access_token);

      // The browser is signed in: the next request gets a code at once, no form.
      const second = await authorizationRequest(as, PUBLIC_APP);
      const again = locationOf(await browser.fetch(second.url));
      const secondCallback = oauth.validateAuthResponse(as, client, again, second.state);
      const secondTokens = await oauth.processAuthorizationCodeResponse(
        as,
        client,
        await exchange(as, PUBLIC_APP, secondCallback, second.verifier),
      );
      await expectAccepted(system.orders, secondTokens.access_token);

      // A logout refuses the session's tokens everywhere and ends the browser's sign-in.
      const since = await logout(system.auth.url, {
        access_token: tokens.access_token,
        refresh_token: String(tokens.refresh_token),
        token_type: 'Bearer',
        expires_in: 0,
      });
      await waitRejected(system.orders, tokens.access_token, since);
      await waitRejected(system.game, tokens.access_token, since);
      const third = await authorizationRequest(as, PUBLIC_APP);
      const loginAgain = await browser.fetch(third.url);
      expect(loginAgain.status).toBe(200);
      expect(await loginAgain.text()).toContain('name="password"');
    });

    /** Signs a browser in through the page and exchanges its code: the session's tokens. */
    async function signedInTokens(
      as: oauth.AuthorizationServer,
      browser: Browser,
      username: string,
    ): Promise<oauth.TokenEndpointResponse> {
      const client = { client_id: PUBLIC_APP.id };
      const request = await authorizationRequest(as, PUBLIC_APP);
      const callback = oauth.validateAuthResponse(
        as,
        client,
        locationOf(await signIn(browser, request.url, username), 303),
        request.state,
      );
      return oauth.processAuthorizationCodeResponse(
        as,
        client,
        await exchange(as, PUBLIC_APP, callback, request.verifier),
      );
    }

    /** Whether a browser still gets a code without a password (else it sees the login page). */
    async function stillSignedIn(
      as: oauth.AuthorizationServer,
      browser: Browser,
    ): Promise<boolean> {
      const answer = await browser.fetch((await authorizationRequest(as, PUBLIC_APP)).url);
      if (answer.status === 302) return locationOf(answer).searchParams.has('code');
      expect(answer.status).toBe(200);
      return false;
    }

    it('a signed-in browser gets no code for a loopback app without signing in again (RFC 8252 8.6)', async () => {
      const as = await discover();
      const username = await newUser('authz-native');
      const browser = new Browser();
      await signedInTokens(as, browser, username);
      expect(await stillSignedIn(as, browser)).toBe(true);

      // Any local process can listen on the loopback port and start the flow with its own PKCE.
      const request = await authorizationRequest(as, NATIVE_APP, { scope: 'profile' });
      const answer = await browser.fetch(request.url);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('location')).toBeNull();
      expect(await answer.text()).toContain('<form');
      // Signing in on the page is the user's act: then the code is sent.
      const back = locationOf(await signIn(browser, request.url, username), 303);
      expect(`${back.origin}${back.pathname}`).toBe(NATIVE_APP.redirectUri);
      expect(back.searchParams.has('code')).toBe(true);
    });

    it('a username with NUL, or an over-long username or password, is a 400 page, never a 500', async () => {
      const as = await discover();
      const request = await authorizationRequest(as, PUBLIC_APP);
      const cases: [string, Record<string, string>][] = [
        ['NUL in the username', { username: 'ali\u0000ce' }],
        ['a 65-character username', { username: 'a'.repeat(65) }],
        ['a 257-character password', { password: 'p'.repeat(257) }],
      ];
      for (const [why, fields] of cases) {
        const answer = await signIn(new Browser(), request.url, 'someone', (f) => ({
          ...f,
          ...fields,
        }));
        expect([why, answer.status]).toEqual([why, 400]);
        expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      }
    });

    it('log out everywhere ends every browser sign-in; a password change all but the caller’s', async () => {
      const as = await discover();
      const username = await newUser('authz-everywhere');
      const [home, work, phone] = [new Browser(), new Browser(), new Browser()];
      const homeTokens = await signedInTokens(as, home, username);
      await signedInTokens(as, work, username);
      const phoneTokens = await signedInTokens(as, phone, username);

      const changed = await call(`${system.auth.url}/auth/password`, {
        json: { current_password: PASSWORD, new_password: `${PASSWORD} 2` },
        headers: { authorization: `Bearer ${homeTokens.access_token}` },
      });
      expect(changed.status).toBe(204);
      expect(await stillSignedIn(as, home)).toBe(true);
      expect(await stillSignedIn(as, work)).toBe(false);
      expect(await stillSignedIn(as, phone)).toBe(false);
      await waitRejected(system.orders, phoneTokens.access_token, Date.now());

      const everywhere = await call(`${system.auth.url}/auth/logout-all`, {
        method: 'POST',
        headers: { authorization: `Bearer ${homeTokens.access_token}` },
      });
      expect(everywhere.status).toBe(204);
      expect(await stillSignedIn(as, home)).toBe(false);
    });

    it('a code keeps the sign-in time as auth_time, and so does a refresh of its session', async () => {
      const as = await discover();
      const browser = new Browser();
      const first = await signedInTokens(as, browser, await newUser('authz-auth-time'));
      const signedInAt = authTimeOf(first.access_token);
      // A later second, so that "now" and the sign-in time differ.
      await waitFor(
        'the clock to pass the sign-in second',
        () => Promise.resolve(Date.now() / 1000 >= signedInAt + 2 ? true : undefined),
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      const client = { client_id: PUBLIC_APP.id };
      const request = await authorizationRequest(as, PUBLIC_APP);
      const callback = oauth.validateAuthResponse(
        as,
        client,
        locationOf(await browser.fetch(request.url)),
        request.state,
      );
      const later = await oauth.processAuthorizationCodeResponse(
        as,
        client,
        await exchange(as, PUBLIC_APP, callback, request.verifier),
      );
      expect(authTimeOf(later.access_token)).toBe(signedInAt);
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(
          as,
          client,
          oauth.None(),
          String(later.refresh_token),
          INSECURE,
        ),
      );
      expect(authTimeOf(refreshed.access_token)).toBe(signedInAt);
    });

    it('a locked username gets the page with 429 and Retry-After, the right password too', async () => {
      const as = await discover();
      const username = await newUser('authz-locked');
      const request = await authorizationRequest(as, PUBLIC_APP);
      const wrong = (f: Record<string, string>) => ({ ...f, password: 'not the password' });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 10 && !statuses.includes(429); attempt++) {
        statuses.push((await signIn(new Browser(), request.url, username, wrong)).status);
      }
      // The default threshold: five failures, then locked.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      const browser = new Browser();
      const locked = await signIn(browser, request.url, username);
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(locked.headers.get('content-type')).toMatch(/^text\/html/);
      expect(browser.cookies.has('tokenfence-session')).toBe(false);
    });

    it('a confidential client must authenticate; a refused exchange spends nothing', async () => {
      const as = await discover();
      const username = await newUser('authz-conf');
      const browser = new Browser();
      const request = await authorizationRequest(as, CONF_APP);
      const callback = oauth.validateAuthResponse(
        as,
        { client_id: CONF_APP.id },
        locationOf(await signIn(browser, request.url, username), 303),
        request.state,
      );
      const unauthenticated = await exchange(
        as,
        { ...CONF_APP, secret: undefined },
        callback,
        request.verifier,
      );
      expect(unauthenticated.status).toBe(401);
      expect(await unauthenticated.json()).toMatchObject({ error: 'invalid_client' });
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        { client_id: CONF_APP.id },
        await exchange(as, CONF_APP, callback, request.verifier),
      );
      await expectAccepted(system.orders, tokens.access_token);
    });

    it('a wrong verifier is invalid_grant and spends nothing; a reused code revokes its session', async () => {
      const as = await discover();
      const username = await newUser('authz-reuse');
      const browser = new Browser();
      const request = await authorizationRequest(as, PUBLIC_APP);
      const callback = oauth.validateAuthResponse(
        as,
        { client_id: PUBLIC_APP.id },
        locationOf(await signIn(browser, request.url, username), 303),
        request.state,
      );
      const wrong = await exchange(as, PUBLIC_APP, callback, oauth.generateRandomCodeVerifier());
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
      const otherRedirect = await call(`${system.auth.url}/oauth/token`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: PUBLIC_APP.id,
          code: callback.get('code') ?? '',
          redirect_uri: 'https://app.example.test/other',
          code_verifier: request.verifier,
        }).toString(),
      });
      expect([otherRedirect.status, otherRedirect.body.error]).toEqual([400, 'invalid_grant']);

      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        { client_id: PUBLIC_APP.id },
        await exchange(as, PUBLIC_APP, callback, request.verifier),
      );
      await expectAccepted(system.orders, tokens.access_token);

      const since = Date.now();
      const replay = await exchange(as, PUBLIC_APP, callback, request.verifier);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
      await waitRejected(system.orders, tokens.access_token, since);
      // Its refresh token is dead too.
      const refreshed = await call(`${system.auth.url}/oauth/token`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: PUBLIC_APP.id,
          refresh_token: String(tokens.refresh_token),
        }).toString(),
      });
      expect([refreshed.status, refreshed.body.error]).toEqual([400, 'invalid_grant']);
    });

    it('an unregistered redirect URI is an error page, never a redirect', async () => {
      const as = await discover();
      for (const redirectUri of [
        'https://evil.example.test/callback',
        `${PUBLIC_APP.redirectUri}/`,
        `${PUBLIC_APP.redirectUri}?next=1`,
      ]) {
        const request = await authorizationRequest(as, { ...PUBLIC_APP, redirectUri });
        const answer = await new Browser().fetch(request.url);
        expect([redirectUri, answer.status, answer.headers.get('location')]).toEqual([
          redirectUri,
          400,
          null,
        ]);
        expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      }
      const unknownClient = await new Browser().fetch(
        (await authorizationRequest(as, { ...PUBLIC_APP, id: 'nobody' })).url,
      );
      expect([unknownClient.status, unknownClient.headers.get('location')]).toEqual([400, null]);
    });

    it('plain PKCE and a missing state are sent back as invalid_request, with iss', async () => {
      const as = await discover();
      const plain = await authorizationRequest(as, PUBLIC_APP, { code_challenge_method: 'plain' });
      const plainBack = locationOf(await new Browser().fetch(plain.url));
      expect(Object.fromEntries(plainBack.searchParams)).toMatchObject({
        error: 'invalid_request',
        state: plain.state,
        iss: system.auth.url,
      });
      const stateless = await authorizationRequest(as, PUBLIC_APP, { state: undefined });
      const statelessBack = locationOf(await new Browser().fetch(stateless.url));
      expect(statelessBack.searchParams.get('error')).toBe('invalid_request');
      expect(statelessBack.searchParams.get('iss')).toBe(system.auth.url);
      expect(statelessBack.searchParams.has('code')).toBe(false);
    });

    it('a form without the right CSRF token, or from another origin, is refused with no sign-in', async () => {
      const as = await discover();
      const username = await newUser('authz-csrf');
      const request = await authorizationRequest(as, PUBLIC_APP);
      const refusals: [
        string,
        (f: Record<string, string>) => Record<string, string>,
        Record<string, string>,
      ][] = [
        [
          'missing',
          (f) => Object.fromEntries(Object.entries(f).filter(([name]) => name !== 'csrf_token')),
          {},
        ],
        ['wrong', (f) => ({ ...f, csrf_token: `${f.csrf_token ?? ''}x` }), {}],
        ['another origin', (f) => f, { origin: 'https://evil.example.test' }],
      ];
      for (const [why, change, headers] of refusals) {
        const browser = new Browser();
        const answer = await signIn(browser, request.url, username, change, headers);
        expect([why, answer.status, answer.headers.get('location')]).toEqual([why, 403, null]);
        expect([why, browser.cookies.has('tokenfence-session')]).toEqual([why, false]);
      }
      // Another browser's cookie with this browser's token: refused too.
      const victim = new Browser();
      const victimPage = await victim.fetch(request.url);
      const token = hiddenFields(await victimPage.text()).csrf_token ?? '';
      const attacker = new Browser();
      const answer = await signIn(attacker, request.url, username, (f) => ({
        ...f,
        csrf_token: token,
      }));
      expect(answer.status).toBe(403);
      expect(attacker.cookies.has('tokenfence-session')).toBe(false);
    });

    it('a wrong password shows the page again with a generic message, 401', async () => {
      const as = await discover();
      const username = await newUser('authz-wrong');
      const browser = new Browser();
      const request = await authorizationRequest(as, PUBLIC_APP);
      const answer = await signIn(browser, request.url, username, (f) => ({
        ...f,
        password: 'not the password',
      }));
      expect(answer.status).toBe(401);
      expect(answer.headers.get('location')).toBeNull();
      const html = await answer.text();
      expect(html).toContain('The username or password is incorrect.');
      expect(html).toContain('name="csrf_token"');
      expect(browser.cookies.has('tokenfence-session')).toBe(false);
    });

    // Last: it ends every session of every user.
    it('the emergency revoke-all ends every browser sign-in too', async () => {
      const as = await discover();
      const browser = new Browser();
      await signedInTokens(as, browser, await newUser('authz-emergency'));
      expect(await stillSignedIn(as, browser)).toBe(true);
      const admin = await call<{ access_token: string }>(`${system.auth.url}/auth/login`, {
        json: ADMIN,
      });
      expect(admin.status).toBe(200);
      const stopped = await call(`${system.auth.url}/admin/revoke-all`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.body.access_token}` },
      });
      expect(stopped.status).toBe(204);
      expect(await stillSignedIn(as, browser)).toBe(false);
    });
  },
);
