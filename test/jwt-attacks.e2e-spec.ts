import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';

const b64 = (value: string | Buffer | object): string =>
  Buffer.from(
    typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value),
  ).toString('base64url');
const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Every known JWT trick against the real services: each must get 401 (never 2xx, never 5xx),
 * on both downstream services and on the auth service's own bearer route.
 */
describe('JWT attacks are refused with 401', () => {
  const system = new TestSystem({ database: 'embedded' });
  const attacks: [string, string][] = [];

  beforeAll(async () => {
    await system.start();
    const username = uniqueName('target');
    await register(system.auth.url, username);
    const valid = (await login(system.auth.url, username)).access_token;
    const [h, p, s] = valid.split('.') as [string, string, string];
    const header = decode(h);
    const claims = decode(p);
    const jwks = (await call<{ keys: JWK[] }>(`${system.auth.url}/.well-known/jwks.json`)).body
      .keys;
    const tokenJwk = jwks.find((k) => k.kid === header.kid) as JWK;
    const eventJwk = jwks.find((k) => String(k.kid).startsWith('events-')) as JWK;
    const attacker = await generateKeyPair('ES256');
    const attackerJwk = await exportJWK(attacker.publicKey);
    const signAs = (hdr: Record<string, unknown>, body = claims) =>
      new SignJWT(body).setProtectedHeader(hdr as { alg: string }).sign(attacker.privateKey);
    const hmac = async (secret: string, hdr: Record<string, unknown>) => {
      const { createHmac } = await import('node:crypto');
      const input = `${b64(hdr)}.${p}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };

    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      attacks.push([`alg ${alg}, no signature`, `${b64({ ...header, alg })}.${p}.`]);
      attacks.push([`alg ${alg}, original signature`, `${b64({ ...header, alg })}.${p}.${s}`]);
    }
    attacks.push([
      'HS256 keyed with the public JWK',
      await hmac(JSON.stringify(tokenJwk), { ...header, alg: 'HS256' }),
    ]);
    attacks.push([
      'HS256 keyed with the public x coordinate',
      await hmac(String(tokenJwk.x), { ...header, alg: 'HS256' }),
    ]);
    attacks.push(['stripped signature', `${h}.${p}.`]);
    attacks.push(['truncated signature', `${h}.${p}.${s.slice(0, 20)}`]);
    attacks.push([
      'signature spliced from another token',
      `${h}.${b64({ ...claims, sub: 'admin' })}.${s}`,
    ]);
    attacks.push(['tampered payload (scope)', `${h}.${b64({ ...claims, scope: 'admin' })}.${s}`]);
    attacks.push(['ECDSA r = s = 0', `${h}.${p}.${b64(Buffer.alloc(64))}`]);
    attacks.push(['unknown kid', await signAs({ alg: 'ES256', typ: 'at+jwt', kid: 'unknown' })]);
    attacks.push([
      'path traversal kid',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: '../../../etc/passwd' }),
    ]);
    attacks.push(['SQL kid', await signAs({ alg: 'ES256', typ: 'at+jwt', kid: "' OR '1'='1" })]);
    attacks.push([
      'real kid, attacker key',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: header.kid }),
    ]);
    attacks.push([
      'event key kid, attacker key',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: eventJwk.kid }),
    ]);
    attacks.push([
      'embedded jwk',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: header.kid, jwk: attackerJwk }),
    ]);
    attacks.push([
      'jku to an attacker',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: 'x', jku: 'http://127.0.0.1:9/jwks' }),
    ]);
    attacks.push([
      'x5u to an attacker',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: 'x', x5u: 'http://127.0.0.1:9/cert' }),
    ]);
    attacks.push(['wrong typ (JWT)', `${b64({ ...header, typ: 'JWT' })}.${p}.${s}`]);
    attacks.push([
      'unknown crit header',
      `${b64({ ...header, crit: ['exp2'], exp2: 1 })}.${p}.${s}`,
    ]);
    attacks.push([
      'duplicate alg keys',
      `${b64(`{"alg":"ES256","kid":"${String(header.kid)}","typ":"at+jwt","alg":"none"}`)}.${p}.`,
    ]);
    attacks.push([
      'duplicate sub keys',
      `${h}.${b64(JSON.stringify(claims).replace('{', '{"sub":"admin",'))}.${s}`,
    ]);
    attacks.push([
      'wrong issuer (self-signed)',
      await signAs(
        { alg: 'ES256', typ: 'at+jwt', kid: 'x' },
        { ...claims, iss: 'https://evil.test' },
      ),
    ]);
    attacks.push([
      'expired (self-signed)',
      await signAs({ alg: 'ES256', typ: 'at+jwt', kid: 'x' }, { ...claims, exp: 1 }),
    ]);
    // Over our 8 KiB token limit, under Node's 16 KiB header limit (beyond it Node answers 431).
    attacks.push(['oversized', `${h}.${b64({ ...claims, pad: 'x'.repeat(8_000) })}.${s}`]);
    attacks.push(['not base64url', `${h}.${p}!.${s}`]);
    attacks.push(['JSON instead of JWS', JSON.stringify(claims)]);
    attacks.push(['four segments', `${h}.${p}.${s}.${s}`]);
    attacks.push(['JWE-shaped (five segments)', `${h}..${p}.${p}.${s}`]);
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('refuses every attack on every service, with a 401 and a code, never a 5xx', async () => {
    expect(attacks.length).toBeGreaterThanOrEqual(30);
    const outcomes: string[] = [];
    for (const [name, token] of attacks) {
      for (const [where, url, method] of [
        ['orders', `${system.orders.url}/me`, 'GET'],
        ['game', `${system.game.url}/me`, 'GET'],
        ['auth', `${system.auth.url}/auth/logout`, 'POST'],
      ] as const) {
        const answer = await call(url, { method, headers: { authorization: `Bearer ${token}` } });
        if (answer.status !== 401 || typeof answer.body.code !== 'string') {
          outcomes.push(`${name} @ ${where}: ${answer.status} ${JSON.stringify(answer.body)}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
    console.log(`JWT attacks: ${attacks.length} tokens x 3 services, all refused with 401`);
  });

  it('answers a header beyond the HTTP limit with a 4xx, not a 5xx', async () => {
    const answer = await call(`${system.orders.url}/me`, {
      headers: { authorization: `Bearer ${'a'.repeat(20_000)}.b.c` },
    });
    expect(answer.status).toBe(431);
    // The auth service also answers these (and a URL over 16 KiB) with its JSON error body.
    for (const [path, headers] of [
      ['/auth/sessions', { authorization: `Bearer ${'a'.repeat(20_000)}.b.c` }],
      [`/auth/sessions?${'q'.repeat(20_000)}`, {}],
    ] as const) {
      const auth = await call(`${system.auth.url}${path}`, { headers });
      expect({ status: auth.status, body: auth.body }).toEqual({
        status: 431,
        body: { code: 'HEADERS_TOO_LARGE', message: expect.any(String) },
      });
    }
  });

  it('does not read tokens from the query string or cookies', async () => {
    const username = uniqueName('query');
    await register(system.auth.url, username);
    const token = (await login(system.auth.url, username)).access_token;
    for (const url of [
      `${system.orders.url}/me?access_token=${token}`,
      `${system.game.url}/me?token=${token}`,
    ]) {
      const answer = await call(url, { headers: { cookie: `access_token=${token}` } });
      expect({ status: answer.status, code: answer.body.code }).toEqual({
        status: 401,
        code: 'TOKEN_MISSING',
      });
    }
  });
});
