import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import { basicAuth, form, FORM } from './support/clients.js';
import { call } from './support/http.js';
import { signInThroughLoginPage } from './support/login-page.js';
import { useSystem } from './support/use-system.js';
import { PASSWORD, register, uniqueName } from './support/users.js';

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('base64url');

const WORKER = { id: 'metadata-worker', secret: 'e2e-only-secret-metadata-3b9e' };
const APP = { id: 'metadata-app', redirectUri: 'https://app.example.test/callback' };
const SERVER = { id: 'metadata-server', secret: 'e2e-only-secret-metadata-rs-71f0' };

const OAUTH_CLIENTS = JSON.stringify([
  {
    client_id: WORKER.id,
    client_secret_sha256: sha256(WORKER.secret),
    allowed_scopes: ['orders:read'],
    grant_types: ['client_credentials'],
  },
  { client_id: APP.id, allowed_scopes: ['profile'], redirect_uris: [APP.redirectUri] },
  {
    client_id: SERVER.id,
    client_secret_sha256: sha256(SERVER.secret),
    allowed_scopes: ['profile'],
    redirect_uris: [APP.redirectUri],
    introspect_audiences: ['tokenfence-services'],
  },
]);

type Metadata = Record<string, unknown>;

/** One capability: proves it works against the running server (true) or is refused (false). */
type Exercise = () => Promise<boolean>;

/**
 * RFC 8414, both directions: every value of every list the metadata advertises is exercised
 * here and works, every capability exercised here is advertised, and the capabilities a server
 * could advertise but this one does not have are refused when tried.
 */
describe('RFC 8414 metadata lists exactly what exists', () => {
  const system = useSystem({ database: 'embedded', authEnv: { OAUTH_CLIENTS } });
  const used = new Set<string>();

  const post = async (path: string, fields: Record<string, string>, headers = {}) => {
    const answer = await call<Record<string, unknown>>(`${system.auth.url}${path}`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: form(fields),
    });
    if (answer.status === 200) used.add(path);
    return answer;
  };
  const issued = (answer: { status: number; body: Record<string, unknown> }) =>
    answer.status === 200 && typeof answer.body.access_token === 'string';

  /**
   * Through the hosted login page: the parameters of the redirect the authorization ends with
   * (a code, or an error), or undefined when it ends on a page.
   */
  const authorize = async (params: Record<string, string>) => {
    const username = uniqueName('metadata');
    await register(system.auth.url, username);
    const url = new URL(`${system.auth.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: APP.id,
      redirect_uri: APP.redirectUri,
      state: oauth.generateRandomState(),
      ...params,
    }).toString();
    const redirect = await signInThroughLoginPage(url, { username, password: PASSWORD });
    return redirect?.searchParams;
  };
  /** A code for APP (or `clientId`) with PKCE `method`; undefined when refused. */
  const code = async (method = 'S256', clientId = APP.id) => {
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge =
      method === 'S256' ? await oauth.calculatePKCECodeChallenge(verifier) : verifier;
    const answer = await authorize({
      client_id: clientId,
      code_challenge: challenge,
      code_challenge_method: method,
    });
    const got = answer?.get('code');
    if (!got) return undefined;
    used.add('/oauth/authorize');
    return { code: got, verifier };
  };
  /** Whether an authorization with `response_type` yields a code or a token. */
  const responseType = async (type: string) => {
    const verifier = oauth.generateRandomCodeVerifier();
    const answer = await authorize({
      response_type: type,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return answer?.has('code') === true || answer?.has('access_token') === true;
  };
  const exchange = async (clientId: string, headers: Record<string, string> = {}) => {
    const granted = await code('S256', clientId);
    if (!granted) return undefined;
    const answer = await post(
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        code: granted.code,
        redirect_uri: APP.redirectUri,
        code_verifier: granted.verifier,
        ...(Object.keys(headers).length === 0 ? { client_id: clientId } : {}),
      },
      headers,
    );
    return issued(answer) ? answer.body : undefined;
  };
  const clientCredentials = (fields: Record<string, string>, headers = {}) =>
    post('/oauth/token', { grant_type: 'client_credentials', ...fields }, headers).then(issued);
  /** A token of SERVER's, for the revocation and introspection methods. */
  const serverToken = async () => {
    const body = await exchange(SERVER.id, basicAuth(SERVER.id, SERVER.secret));
    return String(body?.access_token);
  };
  const onEndpoint = async (path: string, token: string, fields = {}, headers = {}) =>
    (await post(path, { token, ...fields }, headers)).status === 200;

  const SUPPORTED: Record<string, Record<string, Exercise>> = {
    response_types_supported: { code: () => responseType('code') },
    code_challenge_methods_supported: { S256: async () => (await code('S256')) !== undefined },
    grant_types_supported: {
      authorization_code: async () => (await exchange(APP.id)) !== undefined,
      refresh_token: async () => {
        const pair = await exchange(APP.id);
        const answer = await post('/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: String(pair?.refresh_token),
          client_id: APP.id,
        });
        return issued(answer);
      },
      client_credentials: () => clientCredentials({}, basicAuth(WORKER.id, WORKER.secret)),
    },
    token_endpoint_auth_methods_supported: {
      client_secret_basic: () => clientCredentials({}, basicAuth(WORKER.id, WORKER.secret)),
      client_secret_post: () =>
        clientCredentials({ client_id: WORKER.id, client_secret: WORKER.secret }),
      none: async () => (await exchange(APP.id)) !== undefined,
    },
    revocation_endpoint_auth_methods_supported: {
      client_secret_basic: async () =>
        onEndpoint('/oauth/revoke', await serverToken(), {}, basicAuth(SERVER.id, SERVER.secret)),
      client_secret_post: async () =>
        onEndpoint('/oauth/revoke', await serverToken(), {
          client_id: SERVER.id,
          client_secret: SERVER.secret,
        }),
      none: async () => {
        const pair = await exchange(APP.id);
        return onEndpoint('/oauth/revoke', String(pair?.refresh_token), { client_id: APP.id });
      },
    },
    introspection_endpoint_auth_methods_supported: {
      client_secret_basic: async () =>
        onEndpoint(
          '/oauth/introspect',
          await serverToken(),
          {},
          basicAuth(SERVER.id, SERVER.secret),
        ),
      client_secret_post: async () =>
        onEndpoint('/oauth/introspect', await serverToken(), {
          client_id: SERVER.id,
          client_secret: SERVER.secret,
        }),
    },
  };

  /** What other servers advertise and this one has not: each must be refused. */
  const NOT_SUPPORTED: Record<string, Record<string, Exercise>> = {
    response_types_supported: {
      token: () => responseType('token'),
      'code id_token': () => responseType('code id_token'),
    },
    code_challenge_methods_supported: { plain: async () => (await code('plain')) !== undefined },
    grant_types_supported: {
      password: async () =>
        issued(
          await post('/oauth/token', {
            grant_type: 'password',
            username: 'nobody',
            password: PASSWORD,
            client_id: APP.id,
          }),
        ),
      implicit: async () => issued(await post('/oauth/token', { grant_type: 'implicit' })),
      'urn:ietf:params:oauth:grant-type:device_code': async () =>
        issued(
          await post('/oauth/token', {
            grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
            device_code: 'x',
            client_id: APP.id,
          }),
        ),
      'urn:ietf:params:oauth:grant-type:token-exchange': async () =>
        issued(
          await post('/oauth/token', {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: 'x',
            subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          }),
        ),
    },
    token_endpoint_auth_methods_supported: {
      private_key_jwt: async () =>
        clientCredentials({
          client_id: WORKER.id,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: 'a.b.c',
        }),
    },
    introspection_endpoint_auth_methods_supported: {
      none: async () => onEndpoint('/oauth/introspect', await serverToken(), { client_id: APP.id }),
    },
  };

  it('advertises each capability it has, and it works; each it lacks is absent and refused', async () => {
    const metadata = (
      await call<Metadata>(`${system.auth.url}/.well-known/oauth-authorization-server`)
    ).body;
    const results: Record<string, Record<string, boolean>> = {};
    for (const [list, exercises] of Object.entries(SUPPORTED)) {
      expect([list, metadata[list]]).toEqual([list, Object.keys(exercises)]);
      results[list] = {};
      for (const [value, exercise] of Object.entries(exercises)) {
        results[list][value] = await exercise();
      }
    }
    for (const [list, exercises] of Object.entries(NOT_SUPPORTED)) {
      for (const [value, exercise] of Object.entries(exercises)) {
        expect([list, value, (metadata[list] as string[]).includes(value)]).toEqual([
          list,
          value,
          false,
        ]);
        results[list] = { ...results[list], [value]: await exercise() };
      }
    }
    const expected = Object.fromEntries(
      Object.keys({ ...SUPPORTED, ...NOT_SUPPORTED }).map((list) => [
        list,
        {
          ...Object.fromEntries(Object.keys(SUPPORTED[list] ?? {}).map((v) => [v, true])),
          ...Object.fromEntries(Object.keys(NOT_SUPPORTED[list] ?? {}).map((v) => [v, false])),
        },
      ]),
    );
    expect(results).toEqual(expected);

    // Endpoints: each advertised one was used successfully above, and each used one is advertised.
    const advertised = Object.entries(metadata)
      .filter(([key]) => key.endsWith('_endpoint'))
      .map(([, url]) => new URL(String(url)).pathname);
    expect(new Set(advertised)).toEqual(used);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  }, 120_000);
});
