// Auth service: login latency with the chosen argon2 cost, client-credentials token latency at
// /oauth/token, and revocations per second committed (logout 204s) and published (acknowledged
// by Kafka), on the embedded database and PostgreSQL.
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createAuthApp } from '../apps/auth-service/dist/bootstrap.js';
import { loadAuthConfig } from '../apps/auth-service/dist/config/auth-config.js';
import { OutboxRelay } from '../apps/auth-service/dist/revocation/outbox.relay.js';
import { findFreePort, startLocalKafka } from '../tools/kafka/local-kafka.mjs';
import { percentile } from './support.mjs';

const ADMIN_URL = process.env.E2E_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const J = { 'content-type': 'application/json' };
const WORKER = { id: 'bench-worker', secret: 'bench-only-worker-secret-6c1d' };
const WORKER_BASIC = `Basic ${Buffer.from(`${WORKER.id}:${WORKER.secret}`).toString('base64')}`;

async function withDatabase(kind, work) {
  if (kind === 'embedded') return work(undefined);
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

export async function authThroughput({ sessions }) {
  const kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const rows = [];
  try {
    for (const kind of ['embedded', 'postgres']) {
      rows.push(
        await withDatabase(kind, async (databaseUrl) => {
          const port = await findFreePort();
          const base = `http://127.0.0.1:${port}`;
          const app = await createAuthApp(
            loadAuthConfig({
              PORT: String(port),
              KAFKA_BROKERS: kafka.brokers,
              REVOCATION_TOPIC: `bench.auth.${kind}.${Date.now()}`,
              DATA_DIR: 'memory://',
              DATABASE_URL: databaseUrl,
              RATE_LIMIT_LOGIN_PER_IP: '1000000',
              RATE_LIMIT_LOGIN_PER_USERNAME: '1000000',
              RATE_LIMIT_TOKEN_PER_IP: '1000000',
              OAUTH_CLIENTS: JSON.stringify([
                {
                  client_id: WORKER.id,
                  client_secret_sha256: createHash('sha256')
                    .update(WORKER.secret)
                    .digest('base64url'),
                  allowed_scopes: ['orders:read'],
                  grant_types: ['client_credentials'],
                },
              ]),
            }),
            { logger: ['error'] },
          );
          await app.listen(port, '127.0.0.1');
          try {
            const user = { username: `bench-${kind}`, password: 'benchmark password' };
            await fetch(`${base}/auth/register`, {
              method: 'POST',
              headers: J,
              body: JSON.stringify(user),
            });
            const logins = [];
            const tokens = [];
            for (let i = 0; i < sessions; i++) {
              const t = performance.now();
              const answer = await (
                await fetch(`${base}/auth/login`, {
                  method: 'POST',
                  headers: J,
                  body: JSON.stringify(user),
                })
              ).json();
              logins.push(performance.now() - t);
              tokens.push(answer.access_token);
            }
            logins.sort((a, b) => a - b);
            // Client credentials: a secret check (SHA-256), a row lock and a signature.
            const grants = [];
            for (let i = 0; i < sessions; i++) {
              const t = performance.now();
              const r = await fetch(`${base}/oauth/token`, {
                method: 'POST',
                headers: {
                  authorization: WORKER_BASIC,
                  'content-type': 'application/x-www-form-urlencoded',
                },
                body: 'grant_type=client_credentials',
              });
              if (r.status !== 200) throw new Error(`client credentials answered ${r.status}`);
              await r.json();
              grants.push(performance.now() - t);
            }
            grants.sort((a, b) => a - b);
            const relay = app.get(OutboxRelay);
            const publishedBefore = relay.publishedCount();
            const t0 = performance.now();
            let next = 0;
            await Promise.all(
              Array.from({ length: 16 }, async () => {
                while (next < tokens.length) {
                  const token = tokens[next++];
                  const r = await fetch(`${base}/auth/logout`, {
                    method: 'POST',
                    headers: { authorization: `Bearer ${token}` },
                  });
                  if (r.status !== 204) throw new Error(`logout answered ${r.status}`);
                }
              }),
            );
            const committedMs = performance.now() - t0;
            while (relay.publishedCount() - publishedBefore < sessions)
              await new Promise((r) => setTimeout(r, 2));
            const publishedMs = performance.now() - t0;
            return {
              kind,
              loginP50Ms: percentile(logins, 50),
              loginP99Ms: percentile(logins, 99),
              clientCredentialsP50Ms: percentile(grants, 50),
              clientCredentialsP99Ms: percentile(grants, 99),
              committedPerSec: (sessions / committedMs) * 1000,
              publishedPerSec: (sessions / publishedMs) * 1000,
            };
          } finally {
            await app.close();
          }
        }),
      );
    }
  } finally {
    await kafka.stop();
  }
  return rows;
}
