import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { expressGuard } from '@tokenfence/revocation-guard/express';
import {
  createRevocationGuard,
  fastifyGuard,
  fastifyGuardPlugin,
  principalOf,
  type NodeRevocationGuard,
} from '@tokenfence/revocation-guard/fastify';
import { bearer, call } from './support/http.js';
import { loggedIn, logout } from './support/users.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

const ROOT = new URL('../', import.meta.url).pathname;
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

describe('the plain Node guard (Express 5, Fastify 5) against the real auth service and Kafka', () => {
  const system = useSystem({ database: 'embedded' });
  let guard: NodeRevocationGuard;
  let expressServer: Server;
  let fastify: FastifyInstance;
  const urls: Record<'express' | 'fastify', string> = { express: '', fastify: '' };

  beforeAll(async () => {
    guard = createRevocationGuard({
      issuer: system.auth.url,
      audience: 'tokenfence-services',
      jwksUrl: `${system.auth.url}/.well-known/jwks.json`,
      kafka: {
        brokers: system.brokers.split(','),
        topic: system.topic,
        clientId: 'plain-node-e2e',
        groupIdPrefix: 'plain-node-e2e',
      },
      logger: quiet,
    });
    await guard.start();

    const app = express();
    app.get('/me', expressGuard(guard), (req, res) => {
      res.json({ sub: principalOf(req).sub });
    });
    app.get('/admin', expressGuard(guard, { scopes: ['admin'] }), (_req, res) => {
      res.json({});
    });
    expressServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    urls.express = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;

    fastify = Fastify();
    await fastify.register(fastifyGuardPlugin);
    fastify.get('/me', { onRequest: fastifyGuard(guard) }, (request) => ({
      sub: principalOf(request).sub,
    }));
    fastify.get('/admin', { onRequest: fastifyGuard(guard, { scopes: ['admin'] }) }, () => ({}));
    urls.fastify = await fastify.listen({ port: 0, host: '127.0.0.1' });

    await waitFor('the plain guard to catch up', () =>
      Promise.resolve(guard.readiness().status === 'ready' ? true : undefined),
    );
  }, 60_000);

  afterAll(async () => {
    await fastify?.close();
    await new Promise((resolve) => expressServer?.close(resolve));
    await guard?.close();
  });

  it.each(['express', 'fastify'] as const)(
    '%s: 200 with a live token, 401 TOKEN_REVOKED after logout, 403 without the scope',
    async (framework) => {
      const url = urls[framework];
      const tokens = await loggedIn(system.auth.url, `plain-${framework}`);
      const me = await call(`${url}/me`, { headers: bearer(tokens.access_token) });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ sub: expect.any(String) });

      const admin = await call(`${url}/admin`, { headers: bearer(tokens.access_token) });
      expect(admin.status).toBe(403);
      expect(admin.body).toMatchObject({ statusCode: 403, code: 'INSUFFICIENT_SCOPE' });
      expect(admin.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", error_description="INSUFFICIENT_SCOPE", scope="admin"',
      );

      const missing = await call(`${url}/me`);
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({ code: 'TOKEN_MISSING' });

      await logout(system.auth.url, tokens);
      const revoked = await waitFor(
        'the logout to be enforced',
        async () => {
          const answer = await call(`${url}/me`, { headers: bearer(tokens.access_token) });
          return answer.status === 401 ? answer : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      expect(revoked.body).toEqual({
        statusCode: 401,
        code: 'TOKEN_REVOKED',
        message: 'The access token has been revoked (session).',
        error: 'Unauthorized',
      });
      expect(revoked.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_token", error_description="TOKEN_REVOKED"',
      );
    },
  );

  it("exports its metrics, the JWKS age among them, after the app's traffic", () => {
    const text = guard.metrics.render();
    expect(text).toMatch(/^tokenfence_ready 1$/m);
    expect(text).toMatch(/^tokenfence_verifications_total\{result="TOKEN_REVOKED"\} [1-9]/m);
    const age = /^tokenfence_jwks_age_seconds\{source="([^"]+)"\} (\S+)$/m.exec(text);
    expect(age?.[1]).toBe(`${system.auth.url}/.well-known/jwks.json`);
    expect(Number(age?.[2])).toBeLessThan(600);
  });

  it('in its own process from the built package: serves, and exits by itself after close()', async () => {
    const child = spawn(process.execPath, ['test/support/plain-node-app.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        AUTH_ISSUER: system.auth.url,
        KAFKA_BROKERS: system.brokers,
        REVOCATION_TOPIC: system.topic,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const errors: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null; afterMs: number }>(
      (resolve) => {
        let closeSentAt = 0;
        child.stdin.on('finish', () => (closeSentAt = Date.now()));
        child.once('exit', (code, signal) =>
          resolve({ code, signal, afterMs: Date.now() - closeSentAt }),
        );
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const port = await new Promise<number>((resolve, reject) => {
        lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
        child.once('exit', () => reject(new Error(`the app exited early: ${errors.join('')}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor('the app to be ready', async () =>
        (await call(`${url}/health/ready`)).status === 200 ? true : undefined,
      );
      const tokens = await loggedIn(system.auth.url, 'plain-process');
      expect((await call(`${url}/me`, { headers: bearer(tokens.access_token) })).status).toBe(200);

      child.stdin.end('close\n');
      const timeout = new Promise<'still running'>((resolve) => {
        setTimeout(() => resolve('still running'), 15_000).unref();
      });
      const result = await Promise.race([exited, timeout]);
      expect({ result, stderr: errors.join('') }).toEqual({
        result: { code: 0, signal: null, afterMs: expect.any(Number) },
        stderr: '',
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
