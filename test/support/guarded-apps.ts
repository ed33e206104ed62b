import {
  Controller,
  Get,
  HttpCode,
  Module,
  Post,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  CurrentPrincipal,
  Public,
  RequireScopes,
  RevocationGuardModule,
  RevocationReadiness,
  type Principal,
  type ReadinessReport,
  type RevocationGuardModuleOptions,
} from '@tokenfence/revocation-guard';
import { loadSampleConfig } from '@tokenfence/service-kit';
import { runningService, type RunningService, type TestSystem } from './system.js';

/** Logs kept for assertions: a refusal must never be logged as an error. */
export class CapturingLogger implements LoggerService {
  readonly errors: string[] = [];
  log(): void {}
  warn(): void {}
  error(message: unknown): void {
    this.errors.push(message instanceof Error ? message.message : String(message));
  }
}

/**
 * The guard's options for an app of the suite against the system, built by the samples' own
 * loader (issuer, audience, JWKS URL, the system's brokers and topic), plus `extra`.
 */
export function guardOptionsFor(
  system: TestSystem,
  name: string,
  extra: Partial<RevocationGuardModuleOptions> = {},
): RevocationGuardModuleOptions {
  const { guard } = loadSampleConfig(
    {
      KAFKA_BROKERS: system.brokers,
      REVOCATION_TOPIC: system.topic,
      AUTH_ISSUER: system.auth.url,
    },
    { name, defaultPort: 0, metrics: false },
  );
  return { ...guard, ...extra };
}

@Public()
@Controller('health')
class ReadyController {
  constructor(private readonly readiness: RevocationReadiness) {}
  /** 200 once caught up, 503 `REVOCATION_STATE_NOT_READY` before. */
  @Get('ready') ready(): ReadinessReport {
    return this.readiness.check();
  }
}

@Controller()
class ShopController {
  @Get('me') me(@CurrentPrincipal() principal: Principal): { sub: string; scopes: string[] } {
    return { sub: principal.sub, scopes: [...principal.scopes] };
  }
  /** The auth service's default scopes include `orders:read`, not `orders:write`. */
  @Get('orders') @RequireScopes('orders:read') orders(): { orders: unknown[] } {
    return { orders: [] };
  }
  @Post('checkout') @HttpCode(201) @RequireScopes('orders:write') checkout(): { ok: true } {
    return { ok: true };
  }
  @Get('catalogue') @Public() catalogue(): { items: string[] } {
    return { items: ['book'] };
  }
}

export type HttpPlatform = 'express' | 'fastify';

/** A guarded REST app, as users write it, on Express or on Fastify. */
export async function startHttpApp(
  system: TestSystem,
  platform: HttpPlatform,
  extra: Partial<RevocationGuardModuleOptions> = {},
  logger: LoggerService = new CapturingLogger(),
): Promise<RunningService> {
  @Module({
    imports: [RevocationGuardModule.forRoot(guardOptionsFor(system, `${platform}-e2e`, extra))],
    controllers: [ShopController, ReadyController],
  })
  class ShopModule {}
  const app =
    platform === 'fastify'
      ? await NestFactory.create(ShopModule, new FastifyAdapter(), { logger })
      : await NestFactory.create(ShopModule, { logger });
  return listen(app);
}

@ObjectType()
class Viewer {
  @Field(() => String) sub!: string;
  @Field(() => [String]) scopes!: string[];
}

@Resolver()
class ShopResolver {
  @Query(() => Viewer) me(@CurrentPrincipal() principal: Principal): Viewer {
    return { sub: principal.sub, scopes: [...principal.scopes] };
  }
  @Query(() => [String]) @RequireScopes('orders:read') orders(): string[] {
    return [];
  }
  @Query(() => Boolean) @RequireScopes('orders:write') checkout(): boolean {
    return true;
  }
  @Query(() => [String]) @Public() catalogue(): string[] {
    return ['book'];
  }
}

/** A guarded GraphQL app (Apollo driver, code first, on Express) at `<url>/graphql`. */
export async function startGraphQLApp(
  system: TestSystem,
  logger: LoggerService = new CapturingLogger(),
): Promise<RunningService> {
  @Module({
    imports: [
      RevocationGuardModule.forRoot(guardOptionsFor(system, 'graphql-e2e')),
      GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true }),
    ],
    controllers: [ReadyController],
    providers: [ShopResolver],
  })
  class GraphQLShopModule {}
  return listen(await NestFactory.create(GraphQLShopModule, { logger }));
}

async function listen(app: INestApplication): Promise<RunningService> {
  await app.listen(0, '127.0.0.1');
  return runningService(app);
}

export interface GraphQLAnswer {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly {
    readonly message: string;
    readonly path?: readonly string[];
    readonly extensions?: Record<string, unknown>;
  }[];
}

/** POSTs a GraphQL query to `<service>/graphql`, with the token when given. */
export async function graphql(
  service: RunningService,
  query: string,
  token?: string,
): Promise<{ status: number; body: GraphQLAnswer }> {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLAnswer };
}
