import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** The event of a logout token (OIDC Back-Channel Logout 1.0). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * A stand-in identity provider for suites that test our side of its signals: an RS256 key whose
 * JWKS it serves on 127.0.0.1 (its issuer is that origin), and logout tokens signed with it, as
 * Keycloak shapes them. The real providers (Keycloak, oidc-provider) are in `test/idp`.
 */
export class TestProvider {
  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private readonly privateKey: PrivateKey,
    readonly kid: string,
  ) {}

  static async start(): Promise<TestProvider> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const kid = `test-${randomUUID()}`;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }],
    });
    const server = createServer((req, res) => {
      if (req.url === '/certs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new TestProvider(`http://127.0.0.1:${port}/realms/test`, server, privateKey, kid);
  }

  get jwksUri(): string {
    return `${new URL(this.issuer).origin}/certs`;
  }

  /** Its entry in the auth service's IDENTITY_PROVIDERS. */
  entry(id: string, more: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id,
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      backchannel_logout: { audiences: ['app'] },
      max_token_lifetime_seconds: 300,
      ...more,
    };
  }

  /** A logout token for `claims` (sub and/or sid), fresh, addressed to client `app`. */
  logoutToken(
    claims: JWTPayload,
    options: { readonly key?: PrivateKey; readonly header?: Record<string, unknown> } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.issuer,
      aud: 'app',
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      typ: 'Logout',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: this.kid, ...options.header })
      .sign(options.key ?? this.privateKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** POSTs a logout token to the auth service's back-channel logout endpoint of `providerId`. */
export async function postLogoutToken(
  authUrl: string,
  providerId: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${authUrl}/signals/${providerId}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: response.headers,
  };
}
