import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { AuthService } from '../auth/auth.service.js';
import type { IssuedTokens } from '../keys/token-issuer.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthController } from './oauth.controller.js';

const PASSWORD = 'a password for the introspection tests';
const AUDIENCE = 'orders-service';
const secretOf = (id: string): string => `the secret of ${id}`;
const confidential = (id: string, extra: Record<string, unknown> = {}) => ({
  client_id: id,
  client_secret_sha256: createHash('sha256').update(secretOf(id)).digest('base64url'),
  allowed_scopes: ['profile'],
  ...extra,
});
const basic = (id: string): string =>
  `Basic ${Buffer.from(`${id}:${secretOf(id)}`).toString('base64')}`;

/**
 * F12: a client introspects the tokens issued to it; a resource server (`introspect_audiences`)
 * also the access tokens for its audience; nobody another client's refresh tokens.
 */
describe('RFC 7662 introspection: whose tokens a client may ask about (embedded database)', () => {
  let app: MediumApp;
  let confTokens: IssuedTokens;

  /** The answer `/oauth/introspect` gives client `id` (Basic credentials) about `token`. */
  const introspect = (id: string, token: string) =>
    app.module
      .get(OAuthController)
      .introspect({ headers: { authorization: basic(id) } } as unknown as Request, { token });

  beforeAll(async () => {
    app = await openMediumApp(new ManualClock(Date.now()), {
      AUTH_AUDIENCE: AUDIENCE,
      OAUTH_CLIENTS: JSON.stringify([
        confidential('conf'),
        confidential('rs', { introspect_audiences: [AUDIENCE] }),
        confidential('other'),
      ]),
    });
    const auth = app.module.get(AuthService);
    await auth.register('introspected', PASSWORD);
    const client = app.module.get(ClientAuthenticator).authenticate(undefined, {
      client_id: 'conf',
      client_secret: secretOf('conf'),
    });
    confTokens = await auth.login(
      'introspected',
      PASSWORD,
      { userAgent: 't', ip: '127.0.0.1' },
      { client, requestedScopes: undefined },
    );
  }, 30_000);
  afterAll(() => app.close());

  it("is {active: false} for another client's refresh token, even to a resource server", async () => {
    expect(await introspect('rs', confTokens.refresh_token)).toEqual({ active: false });
    expect(await introspect('other', confTokens.refresh_token)).toEqual({ active: false });
  });

  it("is {active: false} for another client's access token to a client that is no resource server", async () => {
    expect(await introspect('other', confTokens.access_token)).toEqual({ active: false });
  });

  it('is active for a resource server asking about an access token for its audience', async () => {
    expect(await introspect('rs', confTokens.access_token)).toMatchObject({
      active: true,
      token_type: 'access_token',
      client_id: 'conf',
      aud: AUDIENCE,
    });
  });

  it('is active for the client the tokens were issued to', async () => {
    expect(await introspect('conf', confTokens.access_token)).toMatchObject({
      active: true,
      client_id: 'conf',
    });
    expect(await introspect('conf', confTokens.refresh_token)).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: 'conf',
    });
  });
});
