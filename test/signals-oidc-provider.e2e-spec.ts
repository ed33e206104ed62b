import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { io, type Socket } from 'socket.io-client';
import { bearer, call, metricValue } from './support/http.js';
import type { RunningService } from './support/system.js';
import { waitForTopicRevocation } from './support/topic-revocations.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

/**
 * oidc-provider (npm, a certified OpenID provider) as a second identity provider, run in this
 * process: its users sign in with the authorization code flow, driven over HTTP as a browser
 * would (no browser), and get RFC 9068 JWT access tokens for the samples. Its RP-initiated logout
 * sends a real Back-Channel Logout token to the auth service, which revokes the user's tokens of
 * that issuer at every orders and game instance that trusts it.
 */

const CLIENT_ID = 'app';
const CLIENT_SECRET = randomBytes(32).toString('base64url');
/** Where the code would go; never served: the flow stops at the redirect. */
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const RESOURCE = 'urn:tokenfence:orders';
const AUDIENCE = 'orders';
const ACCESS_TOKEN_TTL_SECONDS = 300;

/** A browser's cookies for one origin, enough for oidc-provider's session and interaction cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, val = ''] = attribute.trim().split('=');
        if (/^max-age$/i.test(key)) return Number(val) <= 0;
        if (/^expires$/i.test(key)) return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** One user agent at the provider: requests with its cookies, redirects never followed. */
class Browser {
  readonly jar = new CookieJar();

  async request(
    url: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; location: string | undefined; text: string }> {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.jar.store(response);
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      location: location === undefined ? undefined : new URL(location, url).href,
      text: await response.text(),
    };
  }
}

/** The value of a form's hidden input in oidc-provider's HTML. */
function hiddenInput(html: string, name: string): string {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden input "${name}" in the page`);
  return match[1];
}

interface SignedIn {
  readonly browser: Browser;
  readonly accessToken: string;
  readonly idToken: string;
}

/**
 * The authorization code flow with PKCE at the provider, as `login` (oidc-provider's development
 * interactions: any login, then the consent form), and the code exchanged at its token endpoint.
 */
async function signIn(issuer: string, login: string): Promise<SignedIn> {
  const browser = new Browser();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomUUID();
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid orders:read',
    resource: RESOURCE,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  let answer = await browser.request(authorize.href);
  for (let step = 0; step < 10; step++) {
    const location = answer.location;
    if (!location) throw new Error(`the provider stopped the flow with ${answer.status}`);
    if (location.startsWith(REDIRECT_URI)) {
      const params = new URL(location).searchParams;
      expect({
        state: params.get('state'),
        iss: params.get('iss'),
        error: params.get('error'),
      }).toEqual({ state, iss: issuer, error: null });
      const code = params.get('code');
      if (!code) throw new Error('the redirect carries no code');
      return { browser, ...(await exchange(issuer, code, verifier)) };
    }
    if (new URL(location).pathname.startsWith('/interaction/')) {
      const page = await browser.request(location);
      expect(page.status).toBe(200);
      const prompt = hiddenInput(page.text, 'prompt');
      answer = await browser.request(
        location,
        prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
      );
    } else {
      answer = await browser.request(location);
    }
  }
  throw new Error('the authorization flow did not end at the redirect URI');
}

async function exchange(
  issuer: string,
  code: string,
  verifier: string,
): Promise<{ accessToken: string; idToken: string }> {
  const answer = await call<{ access_token?: string; id_token?: string; token_type?: string }>(
    `${issuer}/token`,
    {
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        resource: RESOURCE,
      }).toString(),
    },
  );
  const { access_token: accessToken, id_token: idToken } = answer.body;
  if (answer.status !== 200 || !accessToken || !idToken) {
    throw new Error(`the token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return { accessToken, idToken };
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { token } });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

describe('back-channel logout from oidc-provider, through both samples', () => {
  let server: Server;
  let issuer: string;
  let handle: ReturnType<Provider['callback']> | undefined;
  const backchannel: { outcome: 'success' | 'error'; sub: string; error?: string }[] = [];
  /** The auth service's answers to the provider's back-channel logout requests. */
  const receiverStatuses: number[] = [];
  const authEnv: Record<string, string> = {};

  // Listening first: the issuer is known before the auth service starts, the provider is made
  // once the auth service's URL (its back-channel logout URI) is.
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (handle) {
        void handle(req, res);
      } else {
        res.writeHead(503).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    authEnv.IDENTITY_PROVIDERS = JSON.stringify([
      {
        id: 'oidcp',
        issuer,
        jwks_uri: `${issuer}/jwks`,
        algorithms: ['RS256'],
        max_token_lifetime_seconds: 2 * ACCESS_TOKEN_TTL_SECONDS,
        // oidc-provider's JWT access tokens carry no sid (iss, sub, aud, jti, iat, exp, scope,
        // client_id): a logout of a session revokes the user's tokens of this issuer.
        access_tokens_carry_sid: false,
        backchannel_logout: { audiences: [CLIENT_ID] },
      },
    ]);
  });
  const system = useSystem({ database: 'embedded', authEnv });

  let orders: RunningService;
  let game: RunningService;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const signingKey = {
      ...(await exportJWK(privateKey)),
      kid: `oidcp-${randomUUID()}`,
      alg: 'RS256',
      use: 'sig',
    };
    const configuration: Configuration = {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_basic',
          backchannel_logout_uri: `${system.auth.url}/signals/oidcp/backchannel-logout`,
          backchannel_logout_session_required: true,
        },
      ],
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: true },
        backchannelLogout: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resourceIndicator) => {
            if (resourceIndicator !== RESOURCE) throw new Error('unknown resource');
            return {
              scope: 'orders:read',
              audience: AUDIENCE,
              accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      },
      // Outside Jest's VM its outgoing requests refuse special-use addresses (SSRF protection),
      // loopback among them; the auth service here is on 127.0.0.1, so that dispatcher is left out.
      fetch: async (url, options) => {
        const init: RequestInit & { dispatcher?: unknown } = { ...options };
        delete init.dispatcher;
        const response = await fetch(url, init);
        const href = url instanceof Request ? url.url : url.toString();
        if (href.endsWith('/signals/oidcp/backchannel-logout')) {
          receiverStatuses.push(response.status);
        }
        return response;
      },
      // Its defaults, set so that it does not warn about them.
      ttl: {
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
        AccessToken: ACCESS_TOKEN_TTL_SECONDS,
        IdToken: ACCESS_TOKEN_TTL_SECONDS,
      },
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    };
    const provider = new Provider(issuer, configuration);
    handle = provider.callback();
    provider.on('backchannel.success', (_ctx, _client, sub: string) => {
      backchannel.push({ outcome: 'success', sub });
    });
    provider.on('backchannel.error', (_ctx, err: Error, _client, sub: string) => {
      backchannel.push({ outcome: 'error', sub, error: err.message });
    });

    const trusted = {
      TRUSTED_ISSUERS: JSON.stringify([
        {
          issuer,
          jwksUrl: `${issuer}/jwks`,
          audience: AUDIENCE,
          profile: 'rfc9068',
          algorithms: ['RS256'],
          maxTokenLifetimeSeconds: 2 * ACCESS_TOKEN_TTL_SECONDS,
        },
      ]),
    };
    orders = await system.startDownstream('orders', trusted);
    game = await system.startDownstream('game', trusted);
    await Promise.all([system.waitReady(orders), system.waitReady(game)]);
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await orders?.close();
    await game?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }, 30_000);

  const me = (service: RunningService, token: string) =>
    call(`${service.url}/me`, { headers: bearer(token) });

  let alice: SignedIn;
  let bob: SignedIn;
  let aliceSocket: Socket;
  let bobSocket: Socket;

  it("gets oidc-provider's RFC 9068 access tokens of two users accepted at orders and game", async () => {
    alice = await signIn(issuer, 'alice');
    bob = await signIn(issuer, 'bob');

    // The provider's own JWT access token, as the guard's default profile (rfc9068) takes it.
    expect(decodeProtectedHeader(alice.accessToken)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const claims = decodeJwt(alice.accessToken);
    expect(claims).toMatchObject({
      iss: issuer,
      sub: 'alice',
      aud: AUDIENCE,
      client_id: CLIENT_ID,
      scope: 'orders:read',
    });
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TOKEN_TTL_SECONDS);
    // No sid: hence access_tokens_carry_sid false in IDENTITY_PROVIDERS.
    expect(claims.sid).toBeUndefined();

    for (const service of [orders, game]) {
      for (const [user, token] of [
        ['alice', alice.accessToken],
        ['bob', bob.accessToken],
      ]) {
        const answer = await me(service, token);
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 200,
          body: { sub: user, jti: expect.any(String) as unknown, scope: 'orders:read' },
        });
      }
    }
    aliceSocket = await connect(game.url, alice.accessToken);
    sockets.push(aliceSocket);
    bobSocket = await connect(game.url, bob.accessToken);
    sockets.push(bobSocket);
  });

  it("revokes the user's tokens at every instance, socket included, when they log out at oidc-provider", async () => {
    const revoked = new Promise<{ code: string }>((resolve) =>
      aliceSocket.once('auth:revoked', resolve),
    );
    const disconnected = new Promise<string>((resolve) => aliceSocket.once('disconnect', resolve));
    const applied =
      'tokenfence_auth_signals_total{provider="oidcp",channel="backchannel-logout",outcome="applied"}';
    const appliedBefore = await metricValue(system.auth.url, applied);

    // RP-initiated logout at the provider: its end-session page, then the confirm form.
    const page = await alice.browser.request(`${issuer}/session/end?client_id=${CLIENT_ID}`);
    expect(page.status).toBe(200);
    const xsrf = hiddenInput(page.text, 'xsrf');
    const started = Date.now();
    const confirmed = await alice.browser.request(`${issuer}/session/end/confirm`, {
      xsrf,
      logout: 'yes',
    });
    expect(confirmed.status).toBe(303);
    // The provider awaits its back-channel logout requests before it answers the form.
    expect({ backchannel, receiverStatuses }).toEqual({
      backchannel: [{ outcome: 'success', sub: 'alice' }],
      receiverStatuses: [200],
    });

    const refusals = await Promise.all(
      [orders, game].map((service) =>
        waitFor(`${service.url} to refuse alice's token`, async () => {
          const answer = await me(service, alice.accessToken);
          return answer.status === 401 ? answer.body.code : undefined;
        }),
      ),
    );
    const elapsed = Date.now() - started;
    expect(refusals).toEqual(['TOKEN_REVOKED', 'TOKEN_REVOKED']);
    console.log(`oidc-provider end_session POST to orders and game refusing: ${elapsed} ms`);
    expect(await revoked).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(await disconnected).toBe('io server disconnect');

    expect(await metricValue(system.auth.url, applied)).toBeGreaterThanOrEqual(appliedBefore + 1);
    // Its sid names a session no access token of the provider carries: the user's tokens of
    // this issuer go (a user cutoff), under the provider's iss.
    const revocation = await waitForTopicRevocation(
      system.brokers,
      system.topic,
      "alice's revocation from oidc-provider",
      (r) => r.iss === issuer && r.sub === 'alice',
    );
    expect(revocation).toMatchObject({ iss: issuer, sub: 'alice', scope: 'user' });
  });

  it("keeps another user's tokens and socket of the same provider working", async () => {
    for (const service of [orders, game]) {
      const answer = await me(service, bob.accessToken);
      expect({ status: answer.status, sub: answer.body.sub }).toEqual({ status: 200, sub: 'bob' });
    }
    expect(bobSocket.connected).toBe(true);
    const pong = new Promise<{ sub?: string }>((resolve) => bobSocket.once('game:pong', resolve));
    bobSocket.emit('game:ping', {});
    expect(await pong).toMatchObject({ sub: 'bob' });
  });
});
