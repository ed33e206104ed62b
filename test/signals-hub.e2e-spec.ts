import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from './support/free-port.js';
import { bearer, call, type HttpAnswer } from './support/http.js';
import type { RunningService } from './support/system.js';
import { postLogoutToken, SSF_EVENTS, TestProvider } from './support/test-provider.js';
import { waitForTopicRevocation } from './support/topic-revocations.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

const OPS_SECRET = 'an-operators-long-client-secret';
const READER_SECRET = 'a-readers-long-client-secret';
/** Our receiver client at the provider's Shared Signals transmitter. */
const RECEIVER = { clientId: 'tokenfence-receiver', clientSecret: randomUUID() };
const sha256 = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/**
 * Every endpoint a full auth service has for local users or for tokens issued to them, with a
 * request shaped as a real caller's: a hub answers each as a path that does not exist.
 */
const LOCAL_USER_ENDPOINTS: readonly {
  method: string;
  path: string;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: true;
}[] = [
  { method: 'POST', path: '/auth/register', json: { username: 'alice', password: 'a-password' } },
  { method: 'POST', path: '/auth/login', json: { username: 'alice', password: 'a-password' } },
  { method: 'POST', path: '/auth/refresh', json: { refresh_token: 'x'.repeat(43) } },
  {
    method: 'POST',
    path: '/auth/password',
    json: { current_password: 'a', new_password: 'b' },
    bearer: true,
  },
  { method: 'POST', path: '/auth/logout', bearer: true },
  { method: 'POST', path: '/auth/logout-all', bearer: true },
  { method: 'GET', path: '/auth/sessions', bearer: true },
  { method: 'DELETE', path: `/auth/sessions/${randomUUID()}`, bearer: true },
  {
    method: 'GET',
    path: '/oauth/authorize?response_type=code&client_id=tokenfence-first-party&state=s',
  },
  { method: 'POST', path: '/oauth/authorize', form: { username: 'alice', password: 'p' } },
  { method: 'POST', path: '/oauth/revoke', form: { token: 'x', client_id: 'ops' } },
  { method: 'POST', path: '/oauth/introspect', form: { token: 'x', client_id: 'ops' } },
  { method: 'POST', path: `/admin/users/${randomUUID()}/disable`, bearer: true },
  { method: 'POST', path: `/admin/users/${randomUUID()}/enable`, bearer: true },
  { method: 'POST', path: `/admin/users/${randomUUID()}/revoke-sessions`, bearer: true },
  {
    method: 'PUT',
    path: `/admin/users/${randomUUID()}/scopes`,
    json: { scope: 'profile' },
    bearer: true,
  },
];

describe.each(['embedded', 'postgres'] as const)(
  'the auth service as a signals hub (AUTH_MODE=signals-hub, %s database)',
  (database) => {
    let provider: TestProvider;
    const authEnv: Record<string, string> = { AUTH_MODE: 'signals-hub' };
    beforeAll(async () => {
      provider = await TestProvider.start({ transmitter: RECEIVER });
      authEnv.IDENTITY_PROVIDERS = JSON.stringify([
        provider.entry('acme', {
          ssf: {
            delivery: 'push',
            client_id: RECEIVER.clientId,
            client_secret: RECEIVER.clientSecret,
            scope: 'ssf.read ssf.manage',
          },
        }),
      ]);
      authEnv.OAUTH_CLIENTS = JSON.stringify([
        {
          client_id: 'ops',
          client_secret_sha256: sha256(OPS_SECRET),
          allowed_scopes: ['admin'],
          grant_types: ['client_credentials'],
        },
        {
          client_id: 'reader',
          client_secret_sha256: sha256(READER_SECRET),
          allowed_scopes: ['orders:read'],
          grant_types: ['client_credentials'],
        },
      ]);
    });
    const system = useSystem({ database, authEnv });
    let orders: RunningService;
    beforeAll(async () => {
      // orders-service trusting the provider's tokens, and the hub for their revocations.
      orders = await system.startDownstream('orders', {
        TRUSTED_ISSUERS: JSON.stringify([
          {
            issuer: provider.issuer,
            jwksUrl: provider.jwksUri,
            audience: 'orders',
            profile: 'jwt',
            algorithms: ['RS256'],
            claims: { clientId: 'azp' },
            maxTokenLifetimeSeconds: 300,
          },
        ]),
      });
      await system.waitReady(orders);
    }, 60_000);
    afterAll(async () => {
      await orders?.close();
      await provider?.close();
    });

    const clientToken = async (clientId: string, secret: string): Promise<string> => {
      const answer = await call(`${system.auth.url}/oauth/token`, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(answer.status).toBe(200);
      return answer.body.access_token as string;
    };

    const send = (
      url: string,
      endpoint: (typeof LOCAL_USER_ENDPOINTS)[number],
      token: string,
    ): Promise<HttpAnswer> => {
      const headers: Record<string, string> = endpoint.bearer ? bearer(token) : {};
      if (endpoint.form) headers['content-type'] = 'application/x-www-form-urlencoded';
      return call(`${url}${endpoint.path}`, {
        method: endpoint.method,
        headers,
        json: endpoint.json,
        body: endpoint.form && new URLSearchParams(endpoint.form).toString(),
      });
    };

    /** What the hub answers on a path that never existed, for `method` and `path`. */
    const unknownRoute = async (method: string, path: string) => {
      const answer = await call(`${system.auth.url}${path}`, { method });
      return {
        status: answer.status,
        body: answer.body,
        contentType: answer.headers.get('content-type'),
        wwwAuthenticate: answer.headers.get('www-authenticate'),
      };
    };

    it('answers an unknown route 404 NOT_FOUND, the shape every hidden endpoint must match', async () => {
      expect(await unknownRoute('POST', '/no/such/route')).toEqual({
        status: 404,
        body: { code: 'NOT_FOUND', message: 'Cannot POST /no/such/route' },
        contentType: 'application/json; charset=utf-8',
        wwwAuthenticate: null,
      });
    });

    /** `POST /admin/users/:id/disable`: the endpoint, without the ids and query of the request. */
    const routeOf = (e: (typeof LOCAL_USER_ENDPOINTS)[number]) =>
      `${e.method} ${e.path.split('?')[0]?.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`;

    it.each(LOCAL_USER_ENDPOINTS.map((e) => [routeOf(e), e] as const))(
      'answers %s exactly as a route that does not exist',
      async (_name, endpoint) => {
        const token = await clientToken('ops', OPS_SECRET);
        const answer = await send(system.auth.url, endpoint, token);
        const expected = await unknownRoute(endpoint.method, '/no/such/route');
        expect({
          status: answer.status,
          body: answer.body,
          contentType: answer.headers.get('content-type'),
          wwwAuthenticate: answer.headers.get('www-authenticate'),
        }).toEqual({
          ...expected,
          body: { code: 'NOT_FOUND', message: `Cannot ${endpoint.method} ${endpoint.path}` },
        });
      },
    );

    it('answers a malformed body on a hidden OAuth endpoint as on an unknown route', async () => {
      const malformed = (path: string) =>
        call(`${system.auth.url}${path}`, {
          headers: { 'content-type': 'application/json' },
          body: '{',
        });
      const unknown = await malformed('/no/such/route');
      expect([unknown.status, unknown.body]).toEqual([
        400,
        { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' },
      ]);
      for (const path of ['/oauth/revoke', '/oauth/introspect', '/oauth/authorize']) {
        const answer = await malformed(path);
        expect([path, answer.status, answer.body]).toEqual([path, 400, unknown.body]);
      }
      // The token endpoint it serves answers in RFC 6749's terms, as in full mode.
      expect((await malformed('/oauth/token')).body).toMatchObject({ error: 'invalid_request' });
    });

    it('serves each of those endpoints in full mode on the same database (the list is real)', async () => {
      const full = await system.startAuth(await freePort(), { AUTH_MODE: 'full' });
      try {
        const token = await clientToken('ops', OPS_SECRET);
        for (const endpoint of LOCAL_USER_ENDPOINTS) {
          const answer = await send(full.url, endpoint, token);
          expect([routeOf(endpoint), answer.status]).not.toEqual([routeOf(endpoint), 404]);
        }
      } finally {
        await full.close();
      }
    });

    it('serves no OAuth endpoint at all without a client credentials client', async () => {
      const bare = await system.startAuth(await freePort(), { OAUTH_CLIENTS: '' });
      try {
        for (const [method, path] of [
          ['GET', '/.well-known/oauth-authorization-server'],
          ['POST', '/oauth/token'],
        ] as const) {
          const answer = await call(`${bare.url}${path}`, {
            method,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: method === 'POST' ? 'grant_type=client_credentials' : undefined,
          });
          expect([path, answer.status, answer.body]).toEqual([
            path,
            404,
            { code: 'NOT_FOUND', message: `Cannot ${method} ${path}` },
          ]);
        }
        // The signals are still received.
        const signal = await postLogoutToken(
          bare.url,
          'acme',
          await provider.logoutToken({ sub: 'kc-carol', sid: `acme-session-${randomUUID()}` }),
        );
        expect(signal.status).toBe(200);
      } finally {
        await bare.close();
      }
    });

    it("turns a provider's logout into a revocation on the topic, refused by orders-service", async () => {
      const sid = `acme-session-${randomUUID()}`;
      const now = Math.floor(Date.now() / 1000);
      // An access token of the provider, as Keycloak shapes one (signed with its key).
      const accessToken = await provider.logoutToken(
        {
          typ: 'Bearer',
          aud: 'orders',
          sub: 'kc-alice',
          sid,
          azp: 'app',
          scope: 'openid orders:read',
          exp: now + 300,
          events: undefined,
        },
        { header: { typ: 'JWT' } },
      );
      const me = () => call(`${orders.url}/me`, { headers: bearer(accessToken) });
      expect((await me()).status).toBe(200);

      const answer = await postLogoutToken(
        system.auth.url,
        'acme',
        await provider.logoutToken({ sub: 'kc-alice', sid }),
      );
      expect(answer.status).toBe(200);
      expect(
        await waitForTopicRevocation(
          system.brokers,
          system.topic,
          "the provider's session revocation",
          (r) => r.sid === sid,
        ),
      ).toMatchObject({ iss: provider.issuer, sub: 'kc-alice', scope: 'session' });
      const refused = await waitFor('the logout to reach orders-service', async () => {
        const answer = await me();
        return answer.status === 401 ? answer : undefined;
      });
      expect(refused.body.code).toBe('TOKEN_REVOKED');
    });

    it('documents in its OpenAPI document none of the endpoints it hides', async () => {
      const docs = await call<{ info: { description: string }; paths: Record<string, unknown> }>(
        `${system.auth.url}/docs-json`,
      );
      expect(docs.status).toBe(200);
      expect(docs.body.info.description).toMatch(/^A signals hub: /);
      expect(Object.keys(docs.body.paths).sort()).toEqual([
        '/.well-known/jwks.json',
        '/.well-known/oauth-authorization-server',
        '/admin/audit',
        '/admin/clients/{client_id}/revoke-tokens',
        '/admin/keys/rotate',
        '/admin/keys/{kid}/revoke',
        '/admin/revoke-all',
        '/admin/topic/snapshot',
        '/health/live',
        '/health/ready',
        '/oauth/token',
        '/signals/{provider}/backchannel-logout',
        '/signals/{provider}/ssf',
      ]);
    });

    it('sets up a Shared Signals push stream, and turns a pushed SET into a revocation', async () => {
      await waitFor('the push stream to be verified', () =>
        Promise.resolve(
          provider.verifications.some((v) => 'status' in v.answer && v.answer.status === 202)
            ? true
            : undefined,
        ),
      );
      const sid = `acme-session-${randomUUID()}`;
      const pushed = await provider.push(
        await provider.securityEventToken({
          events: {
            [SSF_EVENTS.sessionRevoked]: {
              event_timestamp: Math.floor(Date.now() / 1000),
              initiating_entity: 'user',
            },
          },
          sub_id: {
            format: 'complex',
            user: { format: 'iss_sub', iss: provider.issuer, sub: 'kc-dave' },
            session: { format: 'opaque', id: sid },
          },
        }),
      );
      expect(pushed.status).toBe(202);
      expect(
        await waitForTopicRevocation(
          system.brokers,
          system.topic,
          "the pushed SET's session revocation",
          (r) => r.sid === sid,
        ),
      ).toMatchObject({ iss: provider.issuer, sub: 'kc-dave', scope: 'session' });
    });

    it('serves the event keys, health and metrics', async () => {
      const jwks = await call<{ keys: { kid: string }[] }>(
        `${system.auth.url}/.well-known/jwks.json`,
      );
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys.some((k) => k.kid.startsWith('events-'))).toBe(true);
      expect((await call(`${system.auth.url}/health/live`)).status).toBe(200);
      expect((await call(`${system.auth.url}/health/ready`)).status).toBe(200);
      const metrics = await call<string>(`${system.auth.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('tokenfence_auth_outbox_pending_rows');
    });

    it('advertises only the client credentials token endpoint, and refuses other grants', async () => {
      const metadata = await call(`${system.auth.url}/.well-known/oauth-authorization-server`);
      expect(metadata.status).toBe(200);
      expect(metadata.body).toEqual({
        issuer: system.auth.url,
        jwks_uri: `${system.auth.url}/.well-known/jwks.json`,
        token_endpoint: `${system.auth.url}/oauth/token`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: [],
        grant_types_supported: ['client_credentials'],
        scopes_supported: ['admin', 'orders:read'],
        access_token_signing_alg_values_supported: ['ES256'],
      });
      for (const grant of ['refresh_token', 'authorization_code', 'password']) {
        const answer = await call(`${system.auth.url}/oauth/token`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=${grant}&refresh_token=x&code=y&redirect_uri=https://a.example/cb&code_verifier=${'v'.repeat(43)}&username=a&password=b`,
        });
        expect([grant, answer.status, answer.body.error]).toEqual([
          grant,
          400,
          'unsupported_grant_type',
        ]);
      }
      // A client credentials token the hub issues is one the samples accept, like any of its own.
      const reader = await clientToken('reader', READER_SECRET);
      expect((await call(`${orders.url}/me`, { headers: bearer(reader) })).status).toBe(200);
    });

    it("serves the admin endpoints without users to an admin client's token", async () => {
      const admin = bearer(await clientToken('ops', OPS_SECRET));
      const rotated = await call(`${system.auth.url}/admin/keys/rotate?purpose=event`, {
        method: 'POST',
        headers: admin,
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body.kid).toMatch(/^events-/);
      const snapshot = await call(`${system.auth.url}/admin/topic/snapshot`, {
        method: 'POST',
        headers: admin,
      });
      expect(snapshot.status).toBe(202);
      const audit = await call<{ entries: { reason: string; initiated_by: string | null }[] }>(
        `${system.auth.url}/admin/audit`,
        { headers: admin },
      );
      expect(audit.status).toBe(200);
      expect(audit.body.entries).toContainEqual(
        expect.objectContaining({ reason: 'key-rotation', initiated_by: 'admin:ops' }),
      );

      // No token, and a client token without the admin scope, are refused as before.
      const anonymous = await call(`${system.auth.url}/admin/audit`);
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'TOKEN_MISSING']);
      const reader = await call(`${system.auth.url}/admin/audit`, {
        headers: bearer(await clientToken('reader', READER_SECRET)),
      });
      expect([reader.status, reader.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);

      // The admin client's own cutoff ends its token at the hub at once.
      const cutoff = await call(`${system.auth.url}/admin/clients/ops/revoke-tokens`, {
        method: 'POST',
        headers: admin,
      });
      expect(cutoff.status).toBe(204);
      const after = await call(`${system.auth.url}/admin/audit`, { headers: admin });
      expect([after.status, after.body.code]).toEqual([401, 'TOKEN_REVOKED']);
    });

    it("ends every token the hub issued on a global cutoff, and none of the provider's", async () => {
      const reader = bearer(await clientToken('reader', READER_SECRET));
      const providerToken = await provider.logoutToken(
        {
          typ: 'Bearer',
          aud: 'orders',
          sub: 'kc-bob',
          sid: `acme-session-${randomUUID()}`,
          azp: 'app',
          scope: 'openid orders:read',
          exp: Math.floor(Date.now() / 1000) + 300,
          events: undefined,
        },
        { header: { typ: 'JWT' } },
      );
      expect((await call(`${orders.url}/me`, { headers: reader })).status).toBe(200);
      const answer = await call(`${system.auth.url}/admin/revoke-all`, {
        method: 'POST',
        headers: bearer(await clientToken('ops', OPS_SECRET)),
      });
      expect(answer.status).toBe(204);
      const refused = await waitFor('the global cutoff to reach orders-service', async () => {
        const answer = await call(`${orders.url}/me`, { headers: reader });
        return answer.status === 401 ? answer : undefined;
      });
      expect(refused.body.code).toBe('TOKEN_REVOKED');
      const kept = await call(`${orders.url}/me`, { headers: bearer(providerToken) });
      expect([kept.status, kept.body.sub]).toEqual([200, 'kc-bob']);
    });
  },
);
