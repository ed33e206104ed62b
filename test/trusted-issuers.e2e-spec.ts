import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { bearer, call } from './support/http.js';
import type { RunningService } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { loggedIn } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const KID = 'W0ECx_36SHN6Shv9CYgj4XwteDW87OQdhzOFpguYyJA';

/** A Keycloak realm's certs endpoint on loopback, and tokens shaped as Keycloak 26 signs them. */
async function fakeKeycloak() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/realms/acme/protocol/openid-connect/certs') {
      res.statusCode = 404;
      res.end();
      return;
    }
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/realms/acme`;
  return {
    issuer,
    jwksUrl: `${issuer}/protocol/openid-connect/certs`,
    fetches: () => fetches,
    token: (claims: JWTPayload = {}, key: CryptoKey = privateKey): Promise<string> => {
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: 'orders', // an audience mapper's
        sub: 'alice',
        typ: 'Bearer',
        azp: 'app',
        sid: 'fud9ATSyHuB8b3sDMZiM4n-P',
        jti: `onrtro:${randomUUID()}`,
        scope: 'openid orders:read',
        iat,
        exp: iat + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
        .sign(key);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('orders-service trusting a second issuer (TRUSTED_ISSUERS), against the real auth service and topic', () => {
  const system = useSystem({ database: 'embedded' });
  let keycloak: Awaited<ReturnType<typeof fakeKeycloak>>;
  let orders: RunningService;

  beforeAll(async () => {
    keycloak = await fakeKeycloak();
    orders = await system.startDownstream('orders', {
      TRUSTED_ISSUERS: JSON.stringify([
        {
          issuer: keycloak.issuer,
          jwksUrl: keycloak.jwksUrl,
          audience: 'orders',
          profile: 'jwt',
          algorithms: ['RS256'],
          claims: { clientId: 'azp' },
          maxTokenLifetimeSeconds: 3600,
        },
      ]),
    });
    await system.waitReady(orders);
  }, 60_000);
  afterAll(async () => {
    await orders?.close();
    await keycloak?.close();
  });

  const me = (token: string) => call(`${orders.url}/me`, { headers: bearer(token) });

  it("accepts the auth service's tokens and the realm's access tokens, and refuses its ID tokens", async () => {
    const ours = await loggedIn(system.auth.url, 'issuers');
    expect((await me(ours.access_token)).status).toBe(200);
    const fromKeycloak = await me(await keycloak.token());
    expect({ status: fromKeycloak.status, body: fromKeycloak.body }).toEqual({
      status: 200,
      body: {
        sub: 'alice',
        sid: 'fud9ATSyHuB8b3sDMZiM4n-P',
        jti: expect.stringMatching(/^onrtro:/) as unknown,
        scope: 'openid orders:read',
      },
    });
    expect(keycloak.fetches()).toBe(1);
    const idToken = await me(await keycloak.token({ typ: 'ID' }));
    expect({ status: idToken.status, code: idToken.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_CLAIMS_INVALID',
    });
  });

  it('refuses a token of a provider it is not configured for with 401 TOKEN_SIGNATURE_INVALID', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const stranger = await me(
      await keycloak.token({ iss: 'http://127.0.0.1:9/realms/x' }, privateKey),
    );
    expect({ status: stranger.status, code: stranger.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_SIGNATURE_INVALID',
    });
  });

  it("applies the auth service's revocations to its own tokens only: the same sub and sid elsewhere stay", async () => {
    const ours = await loggedIn(system.auth.url, 'issuers');
    const { sub, sid } = decodeJwt(ours.access_token);
    const sameUser = await keycloak.token({ sub, sid });
    expect((await me(sameUser)).status).toBe(200);

    const answer = await call(`${system.auth.url}/auth/logout-all`, {
      method: 'POST',
      headers: bearer(ours.access_token),
    });
    expect(answer.status).toBe(204);
    const refused = await waitFor('the logout-all to reach orders-service', async () => {
      const answer = await me(ours.access_token);
      return answer.status === 401 ? answer : undefined;
    });
    expect(refused.body.code).toBe('TOKEN_REVOKED');
    const other = await me(sameUser);
    expect({ status: other.status, sub: other.body.sub }).toEqual({ status: 200, sub });
  });

  it('reports both JWKS caches in its metrics', async () => {
    const metrics = await fetch(`${orders.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain(`tokenfence_jwks_age_seconds{source="${keycloak.jwksUrl}"}`);
    expect(metrics).toContain(
      `tokenfence_jwks_age_seconds{source="${system.auth.url}/.well-known/jwks.json"}`,
    );
    expect(metrics).toMatch(/^tokenfence_events_untrusted_issuer_total 0$/m);
  });
});
