import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadAuthConfig } from '../../apps/auth-service/src/config/auth-config.js';
import { loadGameConfig } from '../../apps/game-service/src/game.config.js';
import { loadOrdersConfig } from '../../apps/orders-service/src/orders.config.js';

// The images and the compose file are reviewed, not built (no Docker engine in CI): this checks
// the invariants a review would.

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type Env = Record<string, string | undefined>;
const APPS = {
  'auth-service': (env: Env) => loadAuthConfig(env),
  'orders-service': (env: Env) => loadOrdersConfig(env),
  'game-service': (env: Env) => loadGameConfig(env),
} as const;
type App = keyof typeof APPS;
const APP_NAMES = Object.keys(APPS) as App[];

/** Runs the app's config loader on `env` and returns the names it read. */
function namesRead(app: App, env: Env): Set<string> {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  APPS[app](watched);
  return read;
}

/** Variables for node and npm themselves, not for the service. */
const RUNTIME_ENV = new Set(['NODE_ENV', 'SCARF_ANALYTICS', 'NPM_CONFIG_AUDIT', 'NPM_CONFIG_FUND']);

interface Stage {
  from: string;
  lines: string[];
}

/** A Dockerfile's stages, continuation lines joined. */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map(
    lines
      .filter((l) => l.startsWith('ARG ') && l.includes('='))
      .map((l) => l.slice(4).split('=') as [string, string]),
  );
  const result: Stage[] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) {
      const from = line.slice(5).replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
      result.push({ from, lines: [] });
    } else {
      result.at(-1)?.lines.push(line);
    }
  }
  return result;
}

/** `ENV A=1 B=2` of a stage, as a map. */
function envOf(stage: Stage): Map<string, string> {
  return new Map(
    stage.lines
      .filter((l) => l.startsWith('ENV '))
      .flatMap((l) => [...l.slice(4).matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]] as const)),
  );
}

/** The libraries an app's tsconfig references. */
function libsOf(app: App): string[] {
  const tsconfig = JSON.parse(read(`apps/${app}/tsconfig.json`)) as {
    references: { path: string }[];
  };
  return tsconfig.references.map((r) => r.path.replace('../../libs/', ''));
}

const compose = () =>
  parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { context: string; dockerfile: string };
        environment?: Record<string, string | number>;
        volumes?: string[];
        healthcheck?: { test: string[] };
        restart?: string;
        stop_grace_period?: string;
      }
    >;
    volumes: Record<string, unknown>;
  };

describe.each(APP_NAMES)('apps/%s/Dockerfile', (app) => {
  const dockerfile = read(`apps/${app}/Dockerfile`);
  const [build, runtime, ...more] = stages(dockerfile);

  it('builds in one stage and runs in a second, on a pinned Node 22 LTS slim image', () => {
    expect(more).toEqual([]);
    for (const stage of [build, runtime]) {
      expect(stage.from).toMatch(/^node:22\.\d+\.\d+-\w+-slim(@sha256:[0-9a-f]{64})?( AS \w+)?$/);
    }
  });

  it('installs with npm ci, and only production dependencies at run time', () => {
    const runs = (stage: Stage) => stage.lines.filter((l) => l.startsWith('RUN '));
    expect(dockerfile).not.toMatch(/npm (install|i) /);
    expect(runs(build).some((l) => /\bnpm ci\b/.test(l))).toBe(true);
    const installs = runs(runtime).filter((l) => /\bnpm\b/.test(l));
    expect(installs).toEqual([expect.stringMatching(/\bnpm ci --omit=dev\b/)]);
    expect(runs(runtime).join()).not.toMatch(/tsc|npm run build/);
  });

  it("copies only the app's dist and the dist of the libraries it references", () => {
    const copied = runtime.lines
      .filter((l) => l.startsWith('COPY --from='))
      .map((l) => l.split(/\s+/).at(-1));
    expect(copied.sort()).toEqual(
      [`apps/${app}/dist`, ...libsOf(app).map((lib) => `libs/${lib}/dist`)].sort(),
    );
    // Besides the compiled code: the manifests npm ci needs, nothing else.
    for (const line of runtime.lines.filter((l) => /^COPY (?!--from)/.test(l))) {
      expect(line).toMatch(/^COPY (\S*package(-lock)?\.json )+\S+\/$/);
    }
  });

  it('runs as a non-root user, with telemetry off, a port, a health check and its main', () => {
    const users = runtime.lines.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
    expect(runtime.lines.indexOf(users.at(-1)!)).toBeGreaterThan(
      Math.max(...runtime.lines.map((l, i) => (l.startsWith('RUN ') ? i : -1))),
    );
    expect(envOf(build).get('SCARF_ANALYTICS')).toBe('false');
    expect(envOf(runtime).get('SCARF_ANALYTICS')).toBe('false');
    expect(envOf(runtime).get('NODE_ENV')).toBe('production');
    const port = envOf(runtime).get('PORT');
    expect(runtime.lines).toContain(`EXPOSE ${port}`);
    expect(
      runtime.lines.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/health/ready')),
    ).toBe(true);
    expect(runtime.lines.at(-1)).toBe(`CMD ["node", "apps/${app}/dist/main.js"]`);
  });

  it('sets only variables its config loader reads', () => {
    const env = Object.fromEntries([...envOf(runtime)].filter(([name]) => !RUNTIME_ENV.has(name)));
    const read = namesRead(app, { KAFKA_BROKERS: 'kafka:9092', ...env });
    expect(Object.keys(env).filter((name) => !read.has(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  const { services, volumes } = compose();

  it('runs the Kafka version tools/kafka runs, with its log in a named volume', () => {
    const version = /<kafka\.version>([\d.]+)<\/kafka\.version>/.exec(
      read('tools/kafka/pom.xml'),
    )?.[1];
    expect(services.kafka.image).toBe(`apache/kafka:${version}`);
    const logDir = String(services.kafka.environment?.KAFKA_LOG_DIRS);
    const mount = services.kafka.volumes?.find((v) => v.endsWith(`:${logDir}`));
    expect(mount).toBeDefined();
    expect(Object.keys(volumes)).toContain(mount!.split(':')[0]);
    // A fixed cluster id: the formatted log in the volume must match it on every start.
    expect(services.kafka.environment?.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it.each(APP_NAMES)('builds %s from its Dockerfile, with a health check and restarts', (app) => {
    const service = services[app];
    expect(service.build).toEqual({ context: '.', dockerfile: `apps/${app}/Dockerfile` });
    expect(service.healthcheck?.test.join(' ')).toContain('/health/ready');
    expect(service.restart).toBe('unless-stopped');
    expect(service.stop_grace_period).toMatch(/^\d+s$/);
    expect(parseInt(service.stop_grace_period!, 10)).toBeGreaterThan(10);
  });

  it.each(APP_NAMES)('gives %s only variables its config loader reads, and valid ones', (app) => {
    const env = Object.fromEntries(
      Object.entries(services[app].environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
    // Throws (naming the variable) if a value is invalid.
    const read = namesRead(app, env);
    expect(Object.keys(env).filter((name) => !read.has(name))).toEqual([]);
  });

  it('restarts Kafka and PostgreSQL too', () => {
    expect(services.kafka.restart).toBe('unless-stopped');
    expect(services.postgres.restart).toBe('unless-stopped');
  });
});
