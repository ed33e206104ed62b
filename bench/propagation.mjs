// Propagation: from a logout's HTTP 204 to the moment every one of N guard instances (in this
// process, each with its own Kafka consumer group) has the revocation in its denylist.
import { createRemoteJWKSet } from 'jose';
import {
  Denylist,
  EventVerifier,
  KafkaEventSource,
  RevocationFeed,
} from '@tokenfence/revocation-guard';
import { createAuthApp } from '../apps/auth-service/dist/bootstrap.js';
import { loadAuthConfig } from '../apps/auth-service/dist/config/auth-config.js';
import { startLocalKafka, findFreePort } from '../tools/kafka/local-kafka.mjs';

const silent = { log() {}, warn() {}, error() {} };
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function json(url, init) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function propagation({ consumerCounts, revocations }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const port = await findFreePort();
  const issuer = `http://127.0.0.1:${port}`;
  const topic = `bench.propagation.${Date.now()}`;
  const config = loadAuthConfig({
    PORT: String(port),
    KAFKA_BROKERS: kafka.brokers,
    REVOCATION_TOPIC: topic,
    DATA_DIR: 'memory://',
    RATE_LIMIT_LOGIN_PER_IP: '1000000',
    RATE_LIMIT_LOGIN_PER_USERNAME: '1000000',
  });
  const auth = await createAuthApp(config, { logger: ['error'] });
  await auth.listen(port, '127.0.0.1');
  const J = { 'content-type': 'application/json' };
  const user = { username: `bench-${Date.now()}`, password: 'benchmark password' };
  await json(`${issuer}/auth/register`, { method: 'POST', headers: J, body: JSON.stringify(user) });

  const rows = [];
  try {
    for (const n of consumerCounts) {
      const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
      const waiting = new Map(); // sid -> { remaining, resolve }
      const feeds = [];
      for (let i = 0; i < n; i++) {
        const feed = new RevocationFeed(
          new Denylist(5),
          new KafkaEventSource({
            brokers: [kafka.brokers],
            topic,
            clientId: `bench-${i}`,
            groupIdPrefix: `bench-${n}-${i}`,
            logger: silent,
          }),
          new EventVerifier(issuer, jwks),
          silent,
          { nowMs: () => Date.now() },
        );
        feed.onRevocation((event) => {
          if (event.scope !== 'session') return;
          const wait = waiting.get(event.sid);
          if (wait && --wait.remaining === 0) wait.resolve(performance.now());
        });
        feeds.push(feed);
      }
      await Promise.all(feeds.map((f) => f.start()));
      while (!feeds.every((f) => f.isReady())) await new Promise((r) => setTimeout(r, 20));

      const latencies = [];
      for (let i = 0; i < revocations; i++) {
        const tokens = (
          await json(`${issuer}/auth/login`, {
            method: 'POST',
            headers: J,
            body: JSON.stringify(user),
          })
        ).body;
        const sid = JSON.parse(
          Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString(),
        ).sid;
        let resolve;
        const done = new Promise((r) => (resolve = r));
        waiting.set(sid, { remaining: n, resolve });
        const logout = await fetch(`${issuer}/auth/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        const t0 = performance.now();
        if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
        const t1 = await done;
        latencies.push(Math.max(0, t1 - t0));
        waiting.delete(sid);
      }
      await Promise.all(feeds.map((f) => f.stop()));
      latencies.sort((a, b) => a - b);
      rows.push({
        n,
        count: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1),
        latencies,
      });
    }
  } finally {
    await auth.close();
    await kafka.stop();
  }
  return rows;
}
