// An Express app guarded by the plain Node guard, as its own process, from the built package
// (@tokenfence/revocation-guard/express, dist): no NestJS. Prints {"port":N} once listening;
// on a "close" line on stdin it closes the server and the guard, and must then exit by itself:
// a timer or socket left open by close() would keep it alive.
import { createInterface } from 'node:readline';
import express from 'express';
import { createRevocationGuard, expressGuard } from '@tokenfence/revocation-guard/express';

const env = process.env;
const guard = createRevocationGuard({
  issuer: env.AUTH_ISSUER,
  audience: 'tokenfence-services',
  jwksUrl: `${env.AUTH_ISSUER}/.well-known/jwks.json`,
  kafka: {
    brokers: env.KAFKA_BROKERS.split(','),
    topic: env.REVOCATION_TOPIC,
    clientId: 'plain-node-app',
    groupIdPrefix: 'plain-node-app',
  },
  logger: { log: () => {}, warn: () => {}, error: (message) => console.error(message) },
});
await guard.start();
const app = express();
app.get('/health/ready', (_req, res) => {
  const state = guard.readiness();
  res.status(state.status === 'unavailable' ? 503 : 200).json(state);
});
app.get('/me', expressGuard(guard), (req, res) => {
  res.json({ sub: req.user.sub });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'close') return;
  lines.close();
  server.closeAllConnections();
  server.close();
  guard.close().then(
    () => console.log(JSON.stringify({ closed: true })),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
});
