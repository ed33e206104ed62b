// `npm start`: the whole system on this machine. A local single-node Kafka broker (unless
// KAFKA_BROKERS is set), the auth service on the embedded database (unless DATABASE_URL is set),
// and both downstream samples. Ctrl-C stops everything it started, the broker included.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort, startLocalKafka } from '../tools/kafka/local-kafka.mjs';

const startedAt = Date.now();
const children = new Map();
let kafka;
let stopping = false;

const say = (line) => process.stdout.write(`${line}\n`);

async function portFree(port) {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function startBroker() {
  if (process.env.KAFKA_BROKERS) {
    say(`[start] using the Kafka broker(s) at ${process.env.KAFKA_BROKERS}`);
    return process.env.KAFKA_BROKERS;
  }
  const port = (await portFree(9092)) ? 9092 : await findFreePort();
  const controllerPort = (await portFree(9093)) ? 9093 : await findFreePort();
  say(
    `[start] starting a local Kafka broker on 127.0.0.1:${port} (first run downloads the jars) ...`,
  );
  const t0 = Date.now();
  kafka = await startLocalKafka({ port, controllerPort, log: (line) => say(`[kafka] ${line}`) });
  say(`[start] Kafka ready at ${kafka.brokers} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return kafka.brokers;
}

function launch(name, script, env) {
  const child = spawn(process.execPath, [script], {
    // Text lines for a person at a terminal (JSON is the services' default).
    env: { LOG_FORMAT: 'text', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => say(`[${name}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      say(`[start] ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void shutdown(1);
    }
  });
}

async function waitReady(name, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${name} was not ready at ${url}/health/ready after ${timeoutMs / 1000} s`);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('[start] stopping ...');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (kafka)
    await kafka.stop().catch((err) => say(`[start] stopping Kafka failed: ${err.message}`));
  say('[start] stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const brokers = await startBroker();
  const issuer = process.env.AUTH_ISSUER || 'http://127.0.0.1:3000';
  const common = { KAFKA_BROKERS: brokers, AUTH_ISSUER: issuer };
  launch('auth', 'apps/auth-service/dist/main.js', { ...common, PORT: '3000' });
  await waitReady('auth-service', 'http://127.0.0.1:3000');
  launch('orders', 'apps/orders-service/dist/main.js', { ...common, PORT: '3001' });
  launch('game', 'apps/game-service/dist/main.js', { ...common, PORT: '3002' });
  await Promise.all([
    waitReady('orders-service', 'http://127.0.0.1:3001'),
    waitReady('game-service', 'http://127.0.0.1:3002'),
  ]);
  // A signals hub (AUTH_MODE=signals-hub) has no local users to walk through.
  const tryIt =
    process.env.AUTH_MODE?.trim() === 'signals-hub'
      ? `The auth service is a signals hub: no local users; your identity providers' signals
go to localhost:3000/signals/<id>/... (README: Signals from your identity provider).
`
      : `Try a logout reaching both services (in another terminal):
  curl -s -X POST localhost:3000/auth/register -H 'content-type: application/json' \\
       -d '{"username":"demo","password":"correct horse battery"}'      # 201 (409 once it exists)
  TOKEN=$(curl -s -X POST localhost:3000/auth/login -H 'content-type: application/json' \\
       -d '{"username":"demo","password":"correct horse battery"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s localhost:3001/me -H "authorization: Bearer $TOKEN"     # 200 {sub, sid, jti, scope}
  curl -s localhost:3002/me -H "authorization: Bearer $TOKEN"     # 200
  curl -s -X POST localhost:3000/auth/logout -H "authorization: Bearer $TOKEN"   # 204
  curl -s localhost:3001/me -H "authorization: Bearer $TOKEN"     # 401 {"code":"TOKEN_REVOKED",...}
  curl -s localhost:3002/me -H "authorization: Bearer $TOKEN"     # 401 {"code":"TOKEN_REVOKED",...}
`;
  say(`
[start] all services ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s
  auth-service    http://127.0.0.1:3000   (JWKS: /.well-known/jwks.json)
  orders-service  http://127.0.0.1:3001
  game-service    http://127.0.0.1:3002
  Kafka           ${brokers}

${tryIt}
Press Ctrl-C to stop everything.`);
} catch (err) {
  say(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
