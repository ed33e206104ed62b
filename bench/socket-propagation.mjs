// Socket disconnect propagation: from a logout's HTTP 204 to the moment the game-service's
// socket.io client sees its connection closed by the server (after the `auth:revoked` event).
import { io } from 'socket.io-client';
import { createGameApp } from '../apps/game-service/dist/bootstrap.js';
import { loadGameConfig } from '../apps/game-service/dist/game.config.js';
import { startLocalKafka } from '../tools/kafka/local-kafka.mjs';
import { percentile, startBenchAuth, waitReady } from './support.mjs';

export async function socketPropagation({ revocations }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const topic = `bench.sockets.${Date.now()}`;
  const auth = await startBenchAuth(kafka.brokers, topic);
  const issuer = auth.issuer;
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
  const latencies = [];
  try {
    await waitReady(gameUrl);
    for (let i = 0; i < revocations; i++) {
      const token = (await auth.login()).access_token;
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
