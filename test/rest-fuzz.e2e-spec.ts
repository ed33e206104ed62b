import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OAUTH_CLIENTS_ENV, SERVICE_CLIENT } from './support/clients.js';
import { brokenRules } from './support/fuzz/answer-rules.js';
import {
  ENDPOINTS,
  endpointName,
  type Endpoint,
  type KnownValues,
} from './support/fuzz/endpoints.js';
import {
  ACCESS_TOKEN,
  CLIENT_BASIC,
  CLIENT_SECRET,
  describeRequest,
  REFRESH_TOKEN,
  send,
  type Secrets,
} from './support/fuzz/request.js';
import { callersOf, requestsTo, type Caller } from './support/fuzz/requests.js';
import { FuzzTally } from './support/fuzz/tally.js';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { TestProvider } from './support/test-provider.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';

/** FUZZ_RUNS cases per endpoint and caller (44 pairs: 50 runs is about 2,200 requests). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const SEED = Number(process.env.FUZZ_SEED ?? 61_122);
const ADMIN = { username: 'fuzz-admin', password: 'an admin password for the fuzzer' };

interface Holder {
  readonly tokens: TokenPair;
  readonly sid: string;
}

const sidOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string })
    .sid;

describe('REST fuzzing of every auth-service endpoint', () => {
  let provider: TestProvider;
  // IDENTITY_PROVIDERS is added once the provider is up: the system reads this when it starts.
  const authEnv: Record<string, string> = {
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    OAUTH_CLIENTS: OAUTH_CLIENTS_ENV,
    // Keys rotated by the fuzzer never become the signing key during the run.
    KEY_ACTIVATION_DELAY_SECONDS: '86400',
    // Low enough that refresh cases meet the limit, so 429 answers are checked too.
    RATE_LIMIT_REFRESH_PER_IP: String(Math.max(1, Math.floor(RUNS / 2))),
  };
  const system = new TestSystem({ database: 'embedded', authEnv });
  const tally = new FuzzTally();
  let known: KnownValues;
  let shared: Holder;
  let admin: Holder;

  const holderOf = (tokens: TokenPair): Holder => ({ tokens, sid: sidOf(tokens.access_token) });
  const freshHolder = async (): Promise<Holder> => {
    const username = uniqueName('fuzz');
    await register(system.auth.url, username);
    return holderOf(await login(system.auth.url, username));
  };

  beforeAll(async () => {
    provider = await TestProvider.start();
    authEnv.IDENTITY_PROVIDERS = JSON.stringify([
      provider.entry('fuzz-idp', {
        // A push stream it cannot set up (the stand-in has no transmitter): pushes are refused.
        ssf: { delivery: 'push', client_id: 'fuzz', client_secret: 'fuzz' },
      }),
    ]);
    await system.start();
    const adminLogin = await call<TokenPair>(`${system.auth.url}/auth/login`, { json: ADMIN });
    expect(adminLogin.status).toBe(200);
    admin = holderOf(adminLogin.body);
    const sharedName = uniqueName('fuzz-shared');
    await register(system.auth.url, sharedName);
    shared = holderOf(await login(system.auth.url, sharedName));
    const targetName = uniqueName('fuzz-target');
    const targetUserId = await register(system.auth.url, targetName);
    const rotated = await call<{ kid: string }>(`${system.auth.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: bearer(admin.tokens.access_token),
    });
    expect(rotated.status).toBe(200);
    known = {
      usernames: [sharedName, targetName, ADMIN.username],
      password: PASSWORD,
      targetUserId,
      pendingKid: rotated.body.kid,
      clientId: SERVICE_CLIENT.id,
      providerId: 'fuzz-idp',
      logoutTokens: await Promise.all([
        provider.logoutToken({ sub: 'fuzz-idp-user', sid: 'fuzz-idp-session' }),
        provider.logoutToken({ sub: 'fuzz-idp-user' }),
        provider.logoutToken({ sub: 'fuzz-idp-user', aud: 'elsewhere' }),
        provider.logoutToken({ sub: 'fuzz-idp-user' }, { header: { typ: 'JWT' } }),
      ]),
    };
    console.log(
      `REST fuzz: seed ${SEED}, ${RUNS} runs per endpoint and caller (set FUZZ_SEED, FUZZ_RUNS)`,
    );
  }, 120_000);
  afterAll(async () => {
    await system.stop();
    await provider.close();
  }, 60_000);

  it('knows every route the OpenAPI document lists, and no other', async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(
      `${system.auth.url}/docs-json`,
    );
    const documented = Object.entries(doc.body.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ENDPOINTS.map(endpointName).sort());
  });

  async function fuzz(endpoint: Endpoint, caller: Caller, seed: number): Promise<void> {
    const holder = endpoint.spendsHolder
      ? await freshHolder()
      : caller === 'admin'
        ? admin
        : shared;
    const secrets: Secrets = {
      [ACCESS_TOKEN]: holder.tokens.access_token,
      [REFRESH_TOKEN]: holder.tokens.refresh_token,
      [CLIENT_SECRET]: SERVICE_CLIENT.secret,
      [CLIENT_BASIC]: Buffer.from(`${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}`).toString(
        'base64',
      ),
    };
    const name = endpointName(endpoint);
    await fc.assert(
      fc.asyncProperty(requestsTo(endpoint, caller, known, holder.sid), async (request) => {
        const answer = await send(system.auth.url, request, secrets);
        const code = (answer.json as { code?: unknown } | undefined)?.code;
        const broken = brokenRules(endpoint, answer);
        const unstable = tally.record(name, answer.status, code);
        if (unstable) broken.push(unstable);
        if (broken.length > 0) {
          // Error answers carry no tokens; success bodies may, and are never printed.
          const shown = answer.status >= 400 ? answer.text.slice(0, 300) : '(success body)';
          throw new Error(
            `${broken.join('; ')}\nrequest (${caller}): ${describeRequest(request)}\nanswer: ${answer.status} ${shown}`,
          );
        }
      }),
      { numRuns: RUNS, seed },
    );
    // The service still answers after the batch.
    const health = await call(`${system.auth.url}/health/ready`);
    expect(health.status).toBe(200);
  }

  // Revoke-all ends every session there is: it runs last.
  const ordered = [...ENDPOINTS].sort(
    (a, b) => Number(a.revokesEverything ?? false) - Number(b.revokesEverything ?? false),
  );
  ordered.forEach((endpoint, index) => {
    const callers = callersOf(endpoint);
    it(`${endpointName(endpoint)} as ${callers.join(', ')}: never a 5xx, every 4xx well-formed`, async () => {
      for (const [i, caller] of callers.entries()) {
        await fuzz(endpoint, caller, SEED + index * 10 + i);
      }
    });
  });

  it('covered every endpoint, and prints the figures', () => {
    console.log(tally.summary());
    for (const endpoint of ENDPOINTS) {
      expect({
        endpoint: endpointName(endpoint),
        cases: tally.casesOf(endpointName(endpoint)),
      }).toEqual({ endpoint: endpointName(endpoint), cases: RUNS * callersOf(endpoint).length });
    }
  });
});
