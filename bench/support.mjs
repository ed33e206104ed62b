// Pieces the benchmarks share: an auth service on a fresh topic, a readiness wait, percentiles.
import { createAuthApp } from '../apps/auth-service/dist/bootstrap.js';
import { loadAuthConfig } from '../apps/auth-service/dist/config/auth-config.js';
import { findFreePort } from '../tools/kafka/local-kafka.mjs';

const J = { 'content-type': 'application/json' };

export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Polls `${url}/health/ready` until it answers 200 (60 s at most). */
export async function waitReady(url) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not become ready`);
}

/**
 * The auth service in this process on an in-memory embedded database, publishing to `topic`, with
 * one registered user and no rate limits in the way. `login()` returns a fresh token pair. `env`
 * adds (or overrides) settings, e.g. `IDENTITY_PROVIDERS`.
 */
export async function startBenchAuth(brokers, topic, env = {}) {
  const port = await findFreePort();
  const issuer = `http://127.0.0.1:${port}`;
  const app = await createAuthApp(
    loadAuthConfig({
      PORT: String(port),
      KAFKA_BROKERS: brokers,
      REVOCATION_TOPIC: topic,
      DATA_DIR: 'memory://',
      RATE_LIMIT_LOGIN_PER_IP: '1000000',
      RATE_LIMIT_LOGIN_PER_USERNAME: '1000000',
      ...env,
    }),
    { logger: ['error'] },
  );
  await app.listen(port, '127.0.0.1');
  const user = JSON.stringify({ username: `bench-${Date.now()}`, password: 'benchmark password' });
  const registered = await fetch(`${issuer}/auth/register`, {
    method: 'POST',
    headers: J,
    body: user,
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  return {
    issuer,
    async login() {
      const answer = await fetch(`${issuer}/auth/login`, {
        method: 'POST',
        headers: J,
        body: user,
      });
      if (answer.status !== 200) throw new Error(`login answered ${answer.status}`);
      return answer.json();
    },
    close: () => app.close(),
  };
}
