import Fastify from 'fastify';
import {
  createRevocationGuard,
  fastifyGuard,
  fastifyGuardPlugin,
  principalOf,
} from '@tokenfence/revocation-guard/fastify';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

const guard = createRevocationGuard({
  issuer,
  audience: 'tokenfence-services',
  jwksUrl: `${issuer}/.well-known/jwks.json`,
  kafka: {
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'adoption-fastify-plain',
    groupIdPrefix: 'adoption-fastify-plain',
  },
});
await guard.start(); // requests get 503 REVOCATION_STATE_NOT_READY until caught up

const app = Fastify();
await app.register(fastifyGuardPlugin); // decorates request.user
app.addHook('onClose', () => guard.close());
app.get('/me', { onRequest: fastifyGuard(guard) }, (request) => ({
  sub: principalOf(request).sub,
}));
app.get('/orders', { onRequest: fastifyGuard(guard, { scopes: ['orders:read'] }) }, (request) => ({
  owner: principalOf(request).sub,
  orders: [],
}));
app.get('/admin', { onRequest: fastifyGuard(guard, { scopes: ['admin'] }) }, () => ({
  admin: true,
}));
app.get('/health/ready', (_request, reply) => {
  const state = guard.readiness();
  return reply.code(state.status === 'unavailable' ? 503 : 200).send(state);
});
await app.listen({ port: Number(process.env.PORT ?? 3002), host: '0.0.0.0' });

process.once('SIGTERM', async () => {
  await app.close(); // its onClose hook closes the guard
  console.log('closed on SIGTERM');
});
