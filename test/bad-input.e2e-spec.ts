import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';

describe('bad input gets a clear 4xx, never a 500', () => {
  const system = new TestSystem({ database: 'embedded' });
  let validToken: string;

  beforeAll(async () => {
    await system.start();
    const username = uniqueName('frank');
    await register(system.auth.url, username);
    validToken = (await login(system.auth.url, username)).access_token;
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);

  const json = { 'content-type': 'application/json' };

  it.each([
    ['malformed JSON', '/auth/login', '{"username": "x",', 400, 'MALFORMED_JSON'],
    ['an empty body', '/auth/login', '', 400, 'VALIDATION_FAILED'],
    ['a JSON array', '/auth/register', '[1, 2]', 400, 'VALIDATION_FAILED'],
    ['a JSON string', '/auth/register', '"hello"', 400, 'MALFORMED_JSON'],
    ['missing fields', '/auth/register', '{}', 400, 'VALIDATION_FAILED'],
    [
      'wrongly typed fields',
      '/auth/login',
      '{"username": 42, "password": ["x"]}',
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an unknown field',
      '/auth/login',
      '{"username":"a","password":"b","admin":true}',
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a too short password',
      '/auth/register',
      '{"username":"abc","password":"short"}',
      400,
      'VALIDATION_FAILED',
    ],
    [
      // Found by the REST fuzzer: PostgreSQL refused the query, answered as a 500.
      'a NUL character in the username',
      '/auth/login',
      '{"username": "a\\u0000b", "password": "x"}',
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a refresh token of the wrong type',
      '/auth/refresh',
      '{"refresh_token": 1}',
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an unknown refresh token',
      '/auth/refresh',
      '{"refresh_token": "rt_nope"}',
      401,
      'INVALID_REFRESH_TOKEN',
    ],
    [
      'an oversized body',
      '/auth/register',
      JSON.stringify({ username: 'x'.repeat(100_000), password: 'y' }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ])('auth-service: %s', async (_name, path, body, status, code) => {
    const answer = await call(`${system.auth.url}${path}`, { method: 'POST', body, headers: json });
    expect({ status: answer.status, code: answer.body.code }).toEqual({ status, code });
    expect(typeof answer.body.message).toBe('string');
  });

  // Found by the REST fuzzer: only invalid_client answers carried RFC 6749 fields.
  it.each([
    ['an empty form', '/oauth/revoke', '', 'application/x-www-form-urlencoded', 400],
    [
      'an unknown field',
      '/oauth/introspect',
      'token=a&x=1',
      'application/x-www-form-urlencoded',
      400,
    ],
    ['malformed JSON', '/oauth/revoke', '{"token":', 'application/json', 400],
    [
      'an oversized form',
      '/oauth/introspect',
      `token=${'a'.repeat(100_000)}`,
      'application/x-www-form-urlencoded',
      413,
    ],
  ])(
    'auth-service OAuth endpoints: %s is an RFC 6749 invalid_request',
    async (_name, path, body, type, status) => {
      const answer = await call(`${system.auth.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': type },
      });
      expect({ status: answer.status, error: answer.body.error }).toEqual({
        status,
        error: 'invalid_request',
      });
      expect(typeof answer.body.error_description).toBe('string');
      expect(typeof answer.body.code).toBe('string');
    },
  );

  it('auth-service: a validation error names the offending fields', async () => {
    const answer = await call<{ fields: { field: string }[] }>(`${system.auth.url}/auth/register`, {
      json: { username: 'ok-name', password: 7 },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.fields.map((f) => f.field)).toEqual(['password', 'password']);
  });

  it('auth-service: a taken username is 409, wrong credentials 401 whether or not the user exists', async () => {
    const username = uniqueName('gina');
    await register(system.auth.url, username);
    const again = await call(`${system.auth.url}/auth/register`, {
      json: { username, password: 'another password' },
    });
    expect({ status: again.status, code: again.body.code }).toEqual({
      status: 409,
      code: 'USERNAME_TAKEN',
    });

    const wrongPassword = await call(`${system.auth.url}/auth/login`, {
      json: { username, password: 'wrong password' },
    });
    const noSuchUser = await call(`${system.auth.url}/auth/login`, {
      json: { username: uniqueName('ghost'), password: 'wrong password' },
    });
    expect(wrongPassword.status).toBe(401);
    expect(noSuchUser.body).toEqual(wrongPassword.body);
  });

  const garbage: [string, Record<string, string>, string][] = [
    ['no header', {}, 'TOKEN_MISSING'],
    ['an empty header', { authorization: '' }, 'TOKEN_MISSING'],
    // Another scheme carries no bearer token (RFC 6750 section 3.1): the request lacks one.
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }, 'TOKEN_MISSING'],
    ['Bearer without token', { authorization: 'Bearer' }, 'TOKEN_MALFORMED'],
    ['two tokens', { authorization: 'Bearer a.b.c d.e.f' }, 'TOKEN_MALFORMED'],
    ['not a JWS', { authorization: 'Bearer not-a-token' }, 'TOKEN_MALFORMED'],
    ['base64 noise', { authorization: 'Bearer eyJ.eyJ.c2ln' }, 'TOKEN_MALFORMED'],
    ['alg none', { authorization: `Bearer ${unsigned()}` }, 'TOKEN_MALFORMED'],
    ['a non-ASCII token', { authorization: 'Bearer é.é.é' }, 'TOKEN_MALFORMED'],
    ['a huge token', { authorization: `Bearer ${'a'.repeat(9000)}.b.c` }, 'TOKEN_MALFORMED'],
  ];

  it.each(garbage)(
    'downstream /me and auth /auth/logout refuse %s with 401',
    async (_name, headers, code) => {
      for (const service of [system.orders, system.game]) {
        const me = await call(`${service.url}/me`, { headers });
        expect({ status: me.status, code: me.body.code }).toEqual({ status: 401, code });
        expect(me.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const logout = await call(`${system.auth.url}/auth/logout`, { method: 'POST', headers });
      expect(logout.status).toBe(401);
      expect(logout.body.code).toBe(code);
    },
  );

  it('a token with a tampered payload is refused with TOKEN_SIGNATURE_INVALID', async () => {
    const [header, payload, signature] = validToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
    for (const service of [system.orders, system.game]) {
      const me = await call(`${service.url}/me`, {
        headers: { authorization: `Bearer ${forged}` },
      });
      expect({ status: me.status, code: me.body.code }).toEqual({
        status: 401,
        code: 'TOKEN_SIGNATURE_INVALID',
      });
    }
  });

  it('scopes: a route needing a scope the token lacks answers 403 INSUFFICIENT_SCOPE', async () => {
    const list = await call(`${system.orders.url}/orders`, { headers: bearer(validToken) });
    expect(list.status).toBe(200);
    const checkout = await call(`${system.orders.url}/orders/checkout`, {
      method: 'POST',
      headers: bearer(validToken),
    });
    expect({ status: checkout.status, code: checkout.body.code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
    expect(checkout.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('exposes Prometheus metrics with the outcomes it has seen', async () => {
    const response = await fetch(`${system.orders.url}/metrics`);
    const text = await response.text();
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('tokenfence_ready 1');
    expect(text).toMatch(/tokenfence_verifications_total\{result="TOKEN_MALFORMED"\} [1-9]/);
    expect(text).toMatch(/tokenfence_heartbeats_total [1-9]/);
    expect(text).toContain('tokenfence_propagation_seconds_count');
  });

  it('serves an OpenAPI document covering every endpoint and its error codes', async () => {
    const doc = await call<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>(`${system.auth.url}/docs-json`);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/auth/register',
        '/auth/login',
        '/auth/refresh',
        '/auth/logout',
        '/auth/logout-all',
        '/auth/password',
        '/auth/sessions',
        '/auth/sessions/{sid}',
        '/oauth/revoke',
        '/oauth/introspect',
        '/.well-known/oauth-authorization-server',
        '/.well-known/jwks.json',
        '/admin/revoke-all',
        '/admin/keys/rotate',
        '/admin/keys/{kid}/revoke',
        '/admin/audit',
        '/health/ready',
      ]),
    );
    const register = JSON.stringify(doc.body.paths['/auth/register']);
    expect(register).toContain('USERNAME_TAKEN');
    expect(register).toContain('VALIDATION_FAILED');
    const ui = await fetch(`${system.auth.url}/docs`);
    expect(ui.status).toBe(200);
  });

  it('public routes answer without a token', async () => {
    for (const service of [system.orders, system.game]) {
      const answer = await call(`${service.url}/public`);
      expect(answer.status).toBe(200);
    }
  });
});

function unsigned(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ sub: 'x', exp: 9_999_999_999 })}.`;
}
