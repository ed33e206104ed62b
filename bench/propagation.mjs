// Propagation: from a logout's HTTP 204 to the moment every one of N guard instances (in this
// process, each with its own Kafka consumer group) has the revocation in its denylist.
import { createRemoteJWKSet } from 'jose';
import {
  Denylist,
  EventVerifier,
  KafkaEventSource,
  RevocationFeed,
} from '@tokenfence/revocation-guard';
import { startLocalKafka } from '../tools/kafka/local-kafka.mjs';
import { percentile, startBenchAuth } from './support.mjs';

const silent = { log() {}, warn() {}, error() {} };

export async function propagation({ consumerCounts, revocations }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const topic = `bench.propagation.${Date.now()}`;
  const auth = await startBenchAuth(kafka.brokers, topic);
  const issuer = auth.issuer;

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
        const tokens = await auth.login();
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
