import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createAuthApp } from '../../apps/auth-service/src/bootstrap.js';
import { loadAuthConfig } from '../../apps/auth-service/src/config/auth-config.js';
import { DATABASE, type Database } from '../../apps/auth-service/src/database/database.js';
import { createGameApp } from '../../apps/game-service/src/bootstrap.js';
import { loadGameConfig } from '../../apps/game-service/src/game.config.js';
import { createOrdersApp } from '../../apps/orders-service/src/bootstrap.js';
import { loadOrdersConfig } from '../../apps/orders-service/src/orders.config.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { freePort } from './free-port.js';
import { call } from './http.js';
import { waitFor } from './wait-for.js';

/** The services log errors only; E2E_LOG=1 shows their warnings and logs too, when debugging a suite. */
const LOG_LEVELS: ('error' | 'warn' | 'log')[] = process.env.E2E_LOG
  ? ['error', 'warn', 'log']
  : ['error'];

/** Suites log in far more often than people do; the rate-limit suite sets its own limits. */
export const GENEROUS_RATE_LIMITS: Record<string, string> = Object.fromEntries([
  ...['LOGIN', 'REGISTER', 'REFRESH', 'TOKEN', 'PASSWORD'].flatMap((action) => [
    [`RATE_LIMIT_${action}_PER_IP`, '1000000'] as const,
    [`RATE_LIMIT_${action}_PER_USERNAME`, '1000000'] as const,
  ]),
  // Limited per client address only.
  ...['REVOKE', 'INTROSPECT'].map((action) => [`RATE_LIMIT_${action}_PER_IP`, '1000000'] as const),
]);

export interface RunningService {
  readonly url: string;
  close(): Promise<void>;
}

export interface SystemOptions {
  readonly database: DatabaseKind;
  readonly brokers?: string;
  /** Extra auth-service environment, e.g. a short SESSION_MAX_AGE_SECONDS or ACCESS_TOKEN_TTL_SECONDS. */
  readonly authEnv?: Record<string, string>;
  /** Extra environment of the orders and game instances, e.g. TRUSTED_ISSUERS. */
  readonly downstreamEnv?: Record<string, string>;
  /** The auth service's port, when a party must know its URL before it starts. Default: free. */
  readonly authPort?: number;
}

/**
 * The whole system for one suite, in this process: the auth service on its own database and a
 * topic of its own, plus one orders and one game instance, each ready before this resolves.
 */
export class TestSystem {
  readonly topic = `e2e.revocations.${randomBytes(5).toString('hex')}`;
  auth!: RunningService;
  orders!: RunningService;
  game!: RunningService;
  private readonly extra: RunningService[] = [];
  private database!: TestDatabase;
  private authApp: INestApplication | undefined;
  private dataDir: string | undefined;
  private authPort = 0;

  constructor(private readonly options: SystemOptions) {}

  /** The auth service's PostgreSQL database, for suites that look at (or lock) rows directly. */
  get databaseUrl(): string {
    if (!this.database?.url) throw new Error('the system has no PostgreSQL database');
    return this.database.url;
  }

  get brokers(): string {
    const brokers = this.options.brokers ?? process.env.KAFKA_BROKERS;
    if (!brokers) throw new Error('KAFKA_BROKERS is not set: the e2e global setup starts a broker');
    return brokers;
  }

  async start(): Promise<this> {
    this.database = await createTestDatabase(this.options.database);
    if (this.options.database === 'embedded') {
      this.dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-e2e-'));
    }
    this.authPort = this.options.authPort ?? (await freePort());
    this.auth = await this.startAuth();
    this.orders = await this.startDownstream('orders');
    this.game = await this.startDownstream('game');
    await Promise.all([this.waitReady(this.orders), this.waitReady(this.game)]);
    return this;
  }

  /**
   * (Re)starts the auth service on its database and topic. Another `port` runs one more instance
   * of the same service (same issuer), as a scaled-out deployment would.
   */
  async startAuth(
    port = this.authPort,
    /** Overrides, e.g. a DATABASE_URL through a proxy. */
    env: Record<string, string> = {},
  ): Promise<RunningService> {
    const config = loadAuthConfig({
      ...GENEROUS_RATE_LIMITS,
      ACCESS_TOKEN_TTL_SECONDS: '300',
      ...this.options.authEnv,
      PORT: String(port),
      AUTH_ISSUER: `http://127.0.0.1:${this.authPort}`,
      KAFKA_BROKERS: this.brokers,
      REVOCATION_TOPIC: this.topic,
      DATABASE_URL: this.database.url,
      DATA_DIR: this.dataDir,
      ...env,
    });
    const app = await createAuthApp(config, { logger: LOG_LEVELS });
    await app.listen(config.port, config.host);
    const service = await runningService(app);
    await this.waitReady(service);
    if (port !== this.authPort) this.extra.push(service);
    else this.authApp = app;
    return service;
  }

  /**
   * Runs SQL on the auth service's own database, through the running service's connection (the
   * embedded database cannot be opened twice): what an attacker who stole the database would read.
   */
  async queryAuthDatabase<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (!this.authApp) throw new Error('the auth service has not started');
    return this.authApp.get<Database>(DATABASE).query<Row>(sql, params);
  }

  /** A new downstream instance; it catches up in the background (see waitReady). */
  async startDownstream(
    kind: 'orders' | 'game',
    extraEnv: Record<string, string> = {},
  ): Promise<RunningService> {
    const env = {
      ...this.options.downstreamEnv,
      ...extraEnv,
      PORT: '0',
      KAFKA_BROKERS: this.brokers,
      REVOCATION_TOPIC: this.topic,
      AUTH_ISSUER: `http://127.0.0.1:${this.authPort}`,
    };
    const app =
      kind === 'orders'
        ? await createOrdersApp(loadOrdersConfig(env), LOG_LEVELS)
        : await createGameApp(loadGameConfig(env), LOG_LEVELS);
    await app.listen(0, '127.0.0.1');
    const service = await runningService(app);
    if (this.orders && this.game) this.extra.push(service);
    return service;
  }

  async waitReady(service: RunningService, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${service.url}/health/ready`,
      async () => ((await call(`${service.url}/health/ready`)).status === 200 ? true : undefined),
      { timeoutMs, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    const services = [...this.extra, this.game, this.orders, this.auth].filter(Boolean);
    await Promise.allSettled(services.map((s) => s.close()));
    await this.database?.drop();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** A listening Nest app as a {@link RunningService}: its URL, and a close that runs once. */
export async function runningService(app: INestApplication): Promise<RunningService> {
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let closed = false;
  return {
    url,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
