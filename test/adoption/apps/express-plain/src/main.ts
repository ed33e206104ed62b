import express from 'express';
import {
  createRevocationGuard,
  expressGuard,
  principalOf,
} from '@tokenfence/revocation-guard/express';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

const guard = createRevocationGuard({
  issuer,
  audience: 'tokenfence-services',
  jwksUrl: `${issuer}/.well-known/jwks.json`,
  kafka: {
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'adoption-express-plain',
    groupIdPrefix: 'adoption-express-plain',
  },
});
await guard.start(); // requests get 503 REVOCATION_STATE_NOT_READY until caught up

const app = express();
app.get('/me', expressGuard(guard), (req, res) => res.json({ sub: principalOf(req).sub }));
app.get('/orders', expressGuard(guard, { scopes: ['orders:read'] }), (req, res) =>
  res.json({ owner: principalOf(req).sub, orders: [] }),
);
app.get('/admin', expressGuard(guard, { scopes: ['admin'] }), (_req, res) =>
  res.json({ admin: true }),
);
app.get('/health/ready', (_req, res) => {
  const state = guard.readiness();
  res.status(state.status === 'unavailable' ? 503 : 200).json(state);
});
const server = app.listen(Number(process.env.PORT ?? 3001));

process.once('SIGTERM', async () => {
  server.close();
  await guard.close();
  console.log('closed on SIGTERM');
});
