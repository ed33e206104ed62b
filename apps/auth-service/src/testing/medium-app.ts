import { Test, type TestingModule } from '@nestjs/testing';
import type { Clock } from '@tokenfence/revocation-guard';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthAppModule } from '../app.module.js';
import { configureAuthApp } from '../bootstrap.js';
import { loadAuthConfig, type AuthConfig } from '../config/auth-config.js';
import { EmbeddedDatabase } from '../database/embedded.database.js';
import { migrate } from '../database/migrations.js';
import { REVOCATION_PUBLISHER, type RevocationPublisher } from '../kafka/revocation-publisher.js';

/** A clock the test moves by hand (the guard's, so one clock serves both). */
export { ManualClock } from '@tokenfence/revocation-guard/testing';

/** Acknowledges everything and keeps nothing: the medium tier has no broker. */
const nullPublisher: RevocationPublisher = {
  ensureTopic: () => Promise.resolve({ partitions: [0], created: false }),
  partitionFor: () => 0,
  publish: () => Promise.resolve(new Map()),
  close: () => Promise.resolve(),
};

export interface MediumApp {
  readonly db: EmbeddedDatabase;
  readonly config: AuthConfig;
  readonly module: TestingModule;
  close(): Promise<void>;
}

/**
 * The whole auth service without HTTP or Kafka, on an in-memory embedded database, with the
 * given clock and environment: services are taken with `module.get(...)`.
 */
export async function openMediumApp(
  clock: Clock,
  env: Record<string, string> = {},
  /** A directory to restart the service on the same data; in memory by default. */
  dataDir = 'memory://',
): Promise<MediumApp> {
  const db = await EmbeddedDatabase.open(dataDir);
  await migrate(db);
  const config = loadAuthConfig({ KAFKA_BROKERS: 'unused:9092', ...env });
  const module = await Test.createTestingModule({
    imports: [AuthAppModule.forRoot(config, db, clock)],
  })
    .overrideProvider(REVOCATION_PUBLISHER)
    .useValue(nullPublisher)
    .compile();
  module.useLogger(false);
  await module.init();
  return { db, config, module, close: () => module.close() };
}

export interface MediumHttpApp {
  readonly db: EmbeddedDatabase;
  readonly config: AuthConfig;
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The whole auth service over HTTP on a free loopback port, configured as in production, on an
 * in-memory embedded database; `publisher` stands in for Kafka (acknowledging everything by
 * default).
 */
export async function openMediumHttpApp(
  env: Record<string, string> = {},
  publisher: RevocationPublisher = nullPublisher,
): Promise<MediumHttpApp> {
  const db = await EmbeddedDatabase.open('memory://');
  await migrate(db);
  const config = loadAuthConfig({ KAFKA_BROKERS: 'unused:9092', ...env });
  const module = await Test.createTestingModule({ imports: [AuthAppModule.forRoot(config, db)] })
    .overrideProvider(REVOCATION_PUBLISHER)
    .useValue(publisher)
    .compile();
  const app = module.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: false,
  });
  configureAuthApp(app, config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    db,
    config,
    app,
    url: `http://127.0.0.1:${address.port}`,
    close: () => app.close(),
  };
}
