// Upstream signals: from the moment an identity provider POSTs a logout token (OIDC Back-Channel
// Logout 1.0) to the auth service, to the moment every one of N guard instances refuses that
// provider's access token of the session with TOKEN_REVOKED.
//
// Alone: node bench/signals-upstream.mjs [--rounds 50] [--instances 10] [--write]
// (--write puts the figures into bench/results/latest.json, replacing earlier ones of the same id).
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { setImmediate } from 'node:timers';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createRevocationGuard } from '@tokenfence/revocation-guard/node';
import { startLocalKafka } from '../tools/kafka/local-kafka.mjs';
import { percentile, startBenchAuth } from './support.mjs';

const silent = { log() {}, warn() {}, error() {} };
const PROVIDER_ID = 'bench-idp';
const LOGOUT_CLIENT = 'bench-app'; // the client its logout tokens are addressed to
const API_AUDIENCE = 'bench-api'; // what its access tokens are for (an audience mapper's)
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const ROUND_TIMEOUT_MS = 10_000;

/**
 * A stand-in identity provider: an RS256 key whose JWKS it serves on 127.0.0.1 at a Keycloak
 * realm's certs path, and access and logout tokens shaped as Keycloak 26 signs them.
 */
async function startStandInProvider() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = `bench-${randomUUID()}`;
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }],
  });
  const server = createServer((req, res) => {
    if (req.url === '/realms/bench/protocol/openid-connect/certs') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}/realms/bench`;
  const now = () => Math.floor(Date.now() / 1000);
  return {
    issuer,
    jwksUri: `${issuer}/protocol/openid-connect/certs`,
    /** An access token of session `sid` of user `sub` (header typ JWT, payload typ Bearer). */
    accessToken: ({ sub, sid }) =>
      new SignJWT({
        iss: issuer,
        aud: API_AUDIENCE,
        sub,
        typ: 'Bearer',
        azp: LOGOUT_CLIENT,
        sid,
        jti: `onrtro:${randomUUID()}`,
        scope: 'openid profile',
        iat: now(),
        exp: now() + 300,
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .sign(privateKey),
    /** The logout token of that session, as Keycloak posts it to a client's back-channel URL. */
    logoutToken: ({ sub, sid }) =>
      new SignJWT({
        iss: issuer,
        aud: LOGOUT_CLIENT,
        iat: now(),
        exp: now() + 120,
        jti: randomUUID(),
        typ: 'Logout',
        sub,
        sid,
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The guard's refusal code for `authorization`, or undefined when it accepts it. */
async function refusalOf(guard, authorization) {
  try {
    await guard.authorize(authorization);
    return undefined;
  } catch (err) {
    if (typeof err?.code !== 'string') throw err;
    return err.code;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

export async function signalsUpstream({ instances = 10, rounds = 50, warmup = 3 } = {}) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const topic = `bench.signals.${Date.now()}`;
  const provider = await startStandInProvider();
  let auth;
  const guards = [];
  try {
    auth = await startBenchAuth(kafka.brokers, topic, {
      IDENTITY_PROVIDERS: JSON.stringify([
        {
          id: PROVIDER_ID,
          issuer: provider.issuer,
          jwks_uri: provider.jwksUri,
          backchannel_logout: { audiences: [LOGOUT_CLIENT] },
          max_token_lifetime_seconds: 300,
        },
      ]),
      RATE_LIMIT_SIGNALS_PER_IP: '1000000',
    });
    const ownJwks = `${auth.issuer}/.well-known/jwks.json`;
    // Each instance as a service would configure it: the auth service's tokens and the
    // provider's, revocation events from the auth service; its own consumer group.
    for (let i = 0; i < instances; i++) {
      guards.push(
        createRevocationGuard({
          issuers: [
            { issuer: auth.issuer, audience: 'tokenfence-services', jwksUrl: ownJwks },
            {
              issuer: provider.issuer,
              jwksUrl: provider.jwksUri,
              audience: API_AUDIENCE,
              profile: 'jwt',
              algorithms: ['RS256'],
              claims: { clientId: 'azp' },
              maxTokenLifetimeSeconds: 300,
            },
          ],
          events: { issuer: auth.issuer, jwksUrl: ownJwks },
          kafka: {
            brokers: [kafka.brokers],
            topic,
            clientId: `bench-upstream-${i}`,
            groupIdPrefix: `bench-upstream-${i}`,
          },
          logger: silent,
        }),
      );
    }
    await Promise.all(guards.map((g) => g.start()));
    const readyBy = Date.now() + 60_000;
    while (!guards.every((g) => g.readiness().status === 'ready')) {
      if (Date.now() > readyBy) throw new Error('the guard instances did not become ready');
      await new Promise((r) => setTimeout(r, 20));
    }

    const latencies = [];
    const answers = []; // t0 → the auth service's 200
    for (let round = 0; round < warmup + rounds; round++) {
      const session = { sub: randomUUID(), sid: randomUUID() };
      const authorization = `Bearer ${await provider.accessToken(session)}`;
      // Every instance accepts it first (a client that has been calling: its verification cached).
      for (const guard of guards) {
        const code = await refusalOf(guard, authorization);
        if (code !== undefined) throw new Error(`a live provider token was refused: ${code}`);
      }
      const body = new URLSearchParams({
        logout_token: await provider.logoutToken(session),
      }).toString();

      const t0 = performance.now();
      let answeredAt;
      const posted = fetch(`${auth.issuer}/signals/${PROVIDER_ID}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }).then(async (answer) => {
        answeredAt = performance.now();
        if (answer.status !== 200) {
          throw new Error(`backchannel-logout answered ${answer.status}: ${await answer.text()}`);
        }
      });
      let failed;
      posted.catch((err) => (failed = err));
      // The same check the HTTP adapters make, on every instance still accepting it, after every
      // turn of the event loop (the Kafka consumers and the auth service run in this process).
      const accepting = new Set(guards);
      while (accepting.size > 0) {
        if (failed) throw failed;
        if (performance.now() - t0 > ROUND_TIMEOUT_MS) {
          throw new Error(`${accepting.size} of ${instances} instances still accept after 10 s`);
        }
        for (const guard of accepting) {
          const code = await refusalOf(guard, authorization);
          if (code === 'TOKEN_REVOKED') accepting.delete(guard);
          else if (code !== undefined) throw new Error(`refused with ${code}, not TOKEN_REVOKED`);
        }
        if (accepting.size > 0) await nextTurn();
      }
      const t1 = performance.now();
      await posted;
      if (round >= warmup) {
        latencies.push(t1 - t0);
        answers.push(answeredAt - t0);
      }
    }
    latencies.sort((a, b) => a - b);
    answers.sort((a, b) => a - b);
    return {
      n: instances,
      count: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1),
      answerP50: percentile(answers, 50),
      latencies,
    };
  } finally {
    await Promise.all(guards.map((g) => g.close()));
    await auth?.close();
    await provider.close();
    await kafka.stop();
  }
}

/** The entries of bench/results/latest.json for one run. */
export const signalsUpstreamResults = (r) => [
  { id: `signals.upstream.n${r.n}.p50Ms`, value: r.p50, unit: 'ms', better: 'lower' },
  { id: `signals.upstream.n${r.n}.p99Ms`, value: r.p99, unit: 'ms', better: 'lower' },
  { id: `signals.upstream.n${r.n}.maxMs`, value: r.max, unit: 'ms', better: 'lower' },
  { id: `signals.upstream.n${r.n}.rounds`, value: r.count, unit: 'rounds', better: 'higher' },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  const r = await signalsUpstream({ rounds: arg('rounds', 50), instances: arg('instances', 10) });
  const entries = signalsUpstreamResults(r).map((e) => ({
    ...e,
    value: Math.round(e.value * 1000) / 1000,
  }));
  console.log(
    `[bench] signals.upstream: provider logout POST → all ${r.n} instances refuse, ${r.count} rounds: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms (the 200 itself: p50 ${r.answerP50.toFixed(1)} ms)`,
  );
  if (process.argv.includes('--write')) {
    const file = new URL('./results/latest.json', import.meta.url);
    const report = JSON.parse(await readFile(file, 'utf8'));
    const ids = new Set(entries.map((e) => e.id));
    const kept = report.results.filter((e) => !ids.has(e.id));
    // After the propagation figures, where `npm run bench` writes them.
    const after = kept.findLastIndex((e) => e.id.startsWith('propagation.'));
    kept.splice(after + 1, 0, ...entries);
    report.results = kept;
    // The rest of the file is from the run named by `when`; say where these came from.
    report.updated = [
      ...(report.updated ?? []).filter((u) => u.ids !== 'signals.upstream.*'),
      {
        ids: 'signals.upstream.*',
        when: new Date().toISOString(),
        by: 'node bench/signals-upstream.mjs --write',
      },
    ];
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`[bench] wrote ${entries.length} entries to bench/results/latest.json`);
  }
}
