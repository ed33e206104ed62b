// Socket disconnect propagation: from a logout's HTTP 204 to the moment the game-service's
// socket.io client sees its connection closed by the server (after the `auth:revoked` event).
import { io } from 'socket.io-client';
import { createAuthApp } from '../apps/auth-service/dist/bootstrap.js';
import { loadAuthConfig } from '../apps/auth-service/dist/config/auth-config.js';
import { createGameApp } from '../apps/game-service/dist/bootstrap.js';
import { loadGameConfig } from '../apps/game-service/dist/game.config.js';
import { findFreePort, startLocalKafka } from '../tools/kafka/local-kafka.mjs';

const J = { 'content-type': 'application/json' };
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function waitReady(url) {
  const deadline = Date.now() + 60_000;
  while (
    (await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function socketPropagation({ revocations }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const port = await findFreePort();
  const issuer = `http://127.0.0.1:${port}`;
  const topic = `bench.sockets.${Date.now()}`;
  const auth = await createAuthApp(
    loadAuthConfig({
      PORT: String(port),
      KAFKA_BROKERS: kafka.brokers,
      REVOCATION_TOPIC: topic,
      DATA_DIR: 'memory://',
      RATE_LIMIT_LOGIN_PER_IP: '1000000',
      RATE_LIMIT_LOGIN_PER_USERNAME: '1000000',
    }),
    { logger: ['error'] },
  );
  await auth.listen(port, '127.0.0.1');
  const game = await createGameApp(
    loadGameConfig({
      PORT: '0',
      KAFKA_BROKERS: kafka.brokers,
      REVOCATION_TOPIC: topic,
      AUTH_ISSUER: issuer,
    }),
    false,
  );
  await game.listen(0, '127.0.0.1');
  const gameUrl = (await game.getUrl()).replace('[::1]', '127.0.0.1');
  const user = { username: `bench-${Date.now()}`, password: 'benchmark password' };
  await fetch(`${issuer}/auth/register`, {
    method: 'POST',
    headers: J,
    body: JSON.stringify(user),
  });
  const latencies = [];
  try {
    await waitReady(gameUrl);
    for (let i = 0; i < revocations; i++) {
      const login = await fetch(`${issuer}/auth/login`, {
        method: 'POST',
        headers: J,
        body: JSON.stringify(user),
      });
      const token = (await login.json()).access_token;
      const socket = io(gameUrl, {
        transports: ['websocket'],
        reconnection: false,
        auth: { token },
      });
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const closed = new Promise((resolve) =>
        socket.once('disconnect', (reason) => resolve({ at: performance.now(), reason })),
      );
      const logout = await fetch(`${issuer}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      const t0 = performance.now();
      if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
      const { at, reason } = await closed;
      if (reason !== 'io server disconnect') throw new Error(`socket closed by ${reason}`);
      latencies.push(Math.max(0, at - t0));
    }
  } finally {
    await game.close();
    await auth.close();
    await kafka.stop();
  }
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    latencies,
  };
}
