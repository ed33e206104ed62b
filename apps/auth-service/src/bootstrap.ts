import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { requestLogging, ServiceLogger } from '@tokenfence/service-kit';
import express from 'express';
import { AuthAppModule } from './app.module.js';
import type { AuthConfig } from './config/auth-config.js';
import { openDatabase } from './database/open-database.js';
import { bodyErrorHandler } from './http/body-errors.js';
import { answerClientErrorsWithJson } from './http/client-errors.js';
import { serveOpenApi } from './http/openapi.js';
import { oauthCors } from './oauth/cors.js';
import { StrictValidationPipe } from './http/validation.pipe.js';
import { AuthTracing } from './tracing/auth-tracing.js';
import { TraceContextInterceptor } from './tracing/trace-context.interceptor.js';

/** Builds the auth service (database opened and migrated) without listening yet. */
export async function createAuthApp(
  config: AuthConfig,
  options: { logger?: false | ('log' | 'error' | 'warn' | 'debug')[] } = {},
): Promise<INestApplication> {
  const database = await openDatabase(config);
  const app = await NestFactory.create<NestExpressApplication>(
    AuthAppModule.forRoot(config, database),
    { bodyParser: false, logger: options.logger ?? new ServiceLogger(config.log) },
  );
  configureAuthApp(app, config);
  return app;
}

/** What the service adds to a Nest app: middleware, pipes, error answers and the API docs. */
export function configureAuthApp(app: NestExpressApplication, config: AuthConfig): void {
  app.disable('x-powered-by');
  // Validated at start-up: off, a hop count or the proxies' addresses, never `true`.
  app.set('trust proxy', config.trustProxy);
  app.use(
    requestLogging(),
    oauthCors(config),
    express.json({ limit: config.bodyLimitBytes, strict: true }),
    express.urlencoded({ extended: false, limit: config.bodyLimitBytes }),
    // RFC 8935: a pushed security event token is the body itself.
    express.text({ type: 'application/secevent+jwt', limit: config.bodyLimitBytes }),
    bodyErrorHandler(config),
  );
  app.useGlobalPipes(new StrictValidationPipe());
  if (config.tracing) app.useGlobalInterceptors(new TraceContextInterceptor(app.get(AuthTracing)));
  answerClientErrorsWithJson(app.getHttpServer());
  if (config.openApiDocs) serveOpenApi(app, config);
}

/** Starts listening and logs where. */
export async function listen(app: INestApplication, config: AuthConfig): Promise<void> {
  await app.listen(config.port, config.host);
  new Logger('AuthService').log(`listening on ${await app.getUrl()} (issuer ${config.issuer})`);
}
