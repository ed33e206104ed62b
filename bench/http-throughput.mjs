// HTTP throughput of `GET /me` under a bounded load from a second process (autocannon, fixed
// connections and duration), for the same NestJS server with: no auth at all (the ceiling), bare
// jose `jwtVerify`, jose plus a Redis lookup per request, and the real orders-service with our
// guard (verified-token cache on, as shipped, and off).
import { spawn } from 'node:child_process';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Redis from 'ioredis';
import { createOrdersApp } from '../apps/orders-service/dist/bootstrap.js';
import { loadOrdersConfig } from '../apps/orders-service/dist/orders.config.js';
import { startLocalKafka } from '../tools/kafka/local-kafka.mjs';
import { startBenchAuth, waitReady } from './support.mjs';

const AUDIENCE = 'tokenfence-services';

/** The same controller as orders-service's `/me`, written without TypeScript decorators. */
function plainApp(guard) {
  class MeController {
    me(request) {
      const p = request.principal ?? { sub: 'anonymous', sid: '', jti: '', scope: '' };
      return { sub: p.sub, sid: p.sid, jti: p.jti, scope: p.scope };
    }
  }
  Controller()(MeController);
  Req()(MeController.prototype, 'me', 0);
  Get('me')(
    MeController.prototype,
    'me',
    Object.getOwnPropertyDescriptor(MeController.prototype, 'me'),
  );
  class BenchModule {}
  Module({
    controllers: [MeController],
    providers: guard ? [{ provide: APP_GUARD, useValue: guard }] : [],
  })(BenchModule);
  return NestFactory.create(BenchModule, { logger: false });
}

/** What a hand-rolled jose guard does; `isRevoked` adds the per-request lookup. */
function joseGuard(issuer, isRevoked) {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  return {
    async canActivate(context) {
      const request = context.switchToHttp().getRequest();
      const header = request.headers.authorization ?? '';
      if (!header.startsWith('Bearer ')) return false;
      const { payload } = await jwtVerify(header.slice(7), jwks, {
        issuer,
        audience: AUDIENCE,
        algorithms: ['ES256', 'EdDSA', 'RS256'],
        typ: 'at+jwt',
      });
      if (isRevoked && (await isRevoked(payload))) return false;
      request.principal = payload;
      return true;
    },
  };
}

function runLoad(url, token, { connections, seconds }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./http-load.mjs', import.meta.url).pathname], {
      env: {
        ...process.env,
        LOAD_URL: url,
        LOAD_TOKEN: token ?? '',
        LOAD_CONNECTIONS: String(connections),
        LOAD_SECONDS: String(seconds),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

async function listen(app) {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

export async function httpThroughput({ seconds, connections = 32 }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const topic = `bench.http.${Date.now()}`;
  const auth = await startBenchAuth(kafka.brokers, topic);
  const issuer = auth.issuer;
  const token = (await auth.login()).access_token;

  let redis;
  try {
    redis = new Redis({
      host: '127.0.0.1',
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
  } catch {
    redis = undefined;
  }

  const variants = [
    { id: 'none', label: 'no auth (ceiling)', make: () => plainApp(undefined) },
    { id: 'jose', label: 'bare jose jwtVerify', make: () => plainApp(joseGuard(issuer)) },
    ...(redis
      ? [
          {
            id: 'redis',
            label: 'jose + Redis EXISTS',
            make: () =>
              plainApp(
                joseGuard(issuer, async (p) => (await redis.exists(`revoked:${p.jti}`)) === 1),
              ),
          },
        ]
      : []),
    { id: 'cache', label: 'tokenfence guard, cache on', guard: 10_000 },
    { id: 'cacheOff', label: 'tokenfence guard, cache off', guard: 0 },
  ];

  // Two rounds, the second in reverse order, averaged: drift over the run and the order of the
  // rows would otherwise show up as differences between them.
  const runs = [];
  try {
    for (const variant of [...variants, ...[...variants].reverse()]) {
      let app;
      if (variant.guard !== undefined) {
        const config = loadOrdersConfig({
          KAFKA_BROKERS: kafka.brokers,
          REVOCATION_TOPIC: topic,
          AUTH_ISSUER: issuer,
        });
        app = await createOrdersApp(
          { ...config, guard: { ...config.guard, verifiedTokenCacheMaxEntries: variant.guard } },
          false,
        );
      } else {
        app = await variant.make();
      }
      const url = await listen(app);
      if (variant.guard !== undefined) await waitReady(url);
      try {
        const bearer = variant.id === 'none' ? undefined : token;
        await runLoad(`${url}/me`, bearer, { connections, seconds: 1 }); // warm-up
        const load = await runLoad(`${url}/me`, bearer, { connections, seconds });
        if (load.non2xx || load.errors) {
          throw new Error(`${variant.id}: ${load.non2xx} non-2xx, ${load.errors} errors`);
        }
        runs.push({ id: variant.id, label: variant.label, connections, seconds, ...load });
      } finally {
        await app.close();
      }
    }
  } finally {
    redis?.disconnect();
    await auth.close();
    await kafka.stop();
  }
  const mean = (list, key) => list.reduce((sum, r) => sum + r[key], 0) / list.length;
  const rows = variants.map((variant) => {
    const mine = runs.filter((r) => r.id === variant.id);
    return {
      ...mine[0],
      rounds: mine.length,
      requestsPerSec: mean(mine, 'requestsPerSec'),
      total: mine.reduce((sum, r) => sum + r.total, 0),
      latencyP50Ms: mean(mine, 'latencyP50Ms'),
      latencyP99Ms: mean(mine, 'latencyP99Ms'),
    };
  });
  const ceiling = rows.find((r) => r.id === 'none').requestsPerSec;
  return rows.map((r) => ({ ...r, ratioToCeiling: r.requestsPerSec / ceiling }));
}
