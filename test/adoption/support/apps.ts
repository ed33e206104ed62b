/**
 * The apps of the adoption suite, each a small TypeScript project under `test/adoption/apps/<dir>`
 * written the way a user writes it (its own package.json and tsconfig), built with the installed
 * `tsc` and run as a real process. To add one for another context: add its folder, list it here with the checks that prove it, and, when none of the checks in ./checks.ts
 * fits, add one there. Its package.json dependencies join the suite's one shared install.
 */
export type ServerCheck = 'http' | 'socket.io' | 'graphql' | 'microservices';

/** An app that serves: started with `node dist/main.js`, ready once `/health/ready` answers 200. */
export interface ServerApp {
  readonly kind: 'server';
  readonly dir: string;
  readonly what: string;
  readonly checks: readonly ServerCheck[];
  /** The module format its build emits: a CommonJS app must really `require()` the guard. */
  readonly format: 'esm' | 'cjs';
  /**
   * Plain Node, no Nest: the guard entry point its `dist/main.js` imports. It closes its server
   * and the guard on SIGTERM itself, and must then exit by itself (code 0).
   */
  readonly plainEntry?:
    '@tokenfence/revocation-guard/express' | '@tokenfence/revocation-guard/fastify';
  /** Also run on the other Node versions (./node-binaries.ts). */
  readonly otherNodes: boolean;
  /** The entry point, relative to the app's folder. */
  readonly main?: string;
  /** Kafka topics it serves, created before it starts (named after `KAFKA_TOPIC_PREFIX`). */
  readonly topics?: readonly string[];
}

/** An app whose own test suite is the check: run with `node <args>`, every test must pass. */
export interface TestSuiteApp {
  readonly kind: 'tests';
  readonly dir: string;
  readonly what: string;
  readonly args: readonly string[];
  /** How many tests pass: fewer means a test was lost. */
  readonly tests: number;
  readonly otherNodes: boolean;
}

export type AdoptionApp = ServerApp | TestSuiteApp;

export const APPS: readonly AdoptionApp[] = [
  {
    kind: 'server',
    dir: 'esm-express',
    what: 'ESM (nest new 12), Express, Terminus health, @RequireScopes',
    checks: ['http'],
    format: 'esm',
    otherNodes: true,
  },
  {
    kind: 'server',
    dir: 'cjs-nodenext',
    what: 'CommonJS, Nest 11 tsconfig (module nodenext), RevocationReadiness health',
    checks: ['http'],
    format: 'cjs',
    otherNodes: true,
  },
  {
    kind: 'server',
    dir: 'cjs-commonjs',
    what: 'CommonJS, Nest 10 tsconfig (module commonjs), Terminus from /terminus',
    checks: ['http'],
    format: 'cjs',
    otherNodes: false,
  },
  {
    kind: 'server',
    dir: 'socketio-gateway',
    what: 'ESM, socket.io gateway with RevocationSocketAuth, beside HTTP routes',
    checks: ['http', 'socket.io'],
    format: 'esm',
    otherNodes: false,
  },
  {
    kind: 'server',
    dir: 'fastify-nest',
    what: 'ESM, Nest on Fastify (@nestjs/platform-fastify), RevocationReadiness health',
    checks: ['http'],
    format: 'esm',
    otherNodes: false,
  },
  {
    kind: 'server',
    dir: 'graphql-apollo',
    what: 'ESM, GraphQL with the Apollo driver (code first), a guarded @ResolveField',
    checks: ['graphql'],
    format: 'esm',
    otherNodes: false,
  },
  {
    kind: 'server',
    dir: 'express-plain',
    what: 'Express 5 without Nest: createRevocationGuard, expressGuard',
    checks: ['http'],
    format: 'esm',
    plainEntry: '@tokenfence/revocation-guard/express',
    otherNodes: true,
  },
  {
    kind: 'server',
    dir: 'fastify-plain',
    what: 'Fastify 5 without Nest: fastifyGuardPlugin, the fastifyGuard hook',
    checks: ['http'],
    format: 'esm',
    plainEntry: '@tokenfence/revocation-guard/fastify',
    otherNodes: false,
  },
  {
    kind: 'tests',
    dir: 'testing-module',
    what: 'its own node:test suite with @nestjs/testing and /testing (no broker)',
    args: ['--test', '--test-reporter=tap', 'dist/me.controller.spec.js'],
    tests: 3,
    otherNodes: true,
  },
  {
    kind: 'server',
    dir: 'microservices',
    what: 'ESM, hybrid app: HTTP plus guarded Kafka and TCP microservice handlers',
    checks: ['microservices'],
    format: 'esm',
    otherNodes: false,
    topics: ['orders.get', 'orders.get.reply', 'orders.audit', 'orders.created'],
  },
];
