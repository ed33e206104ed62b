import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Module,
  type ExecutionContext,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { createTestIssuer, InMemoryEventSource, type TestIssuer } from '../testing.js';
import { GuardError } from '../core/guard-error.js';
import type { Principal } from '../core/principal.js';
import { CurrentPrincipal } from './current-principal.decorator.js';
import { GuardGraphQLException } from './guard-http-exception.js';
import { Public } from './public.decorator.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import { RevocationGuard } from './revocation.guard.js';
import { RequireScopes } from './route-requirements.decorators.js';
import { UnsupportedContextWarnings } from './unsupported-context-warnings.js';

@ObjectType()
class Me {
  @Field(() => String) sub!: string;
  @Field(() => [String]) scopes!: string[];
}

@ObjectType()
class Catalogue {
  @Field(() => String) name!: string;
  /** Guarded field of a public query: resolved only with a token. */
  @Field(() => String, { nullable: true }) owner?: string;
}

@Resolver()
class MeResolver {
  @Query(() => Me) me(@CurrentPrincipal() principal: Principal): Me {
    return { sub: principal.sub, scopes: [...principal.scopes] };
  }
  @Query(() => String) @RequireScopes('admin') audit(): string {
    return 'audited';
  }
}

@Resolver(() => Catalogue)
class CatalogueResolver {
  @Query(() => Catalogue) @Public() catalogue(): Catalogue {
    return { name: 'books' };
  }
  @ResolveField(() => String, { nullable: true })
  owner(@CurrentPrincipal() principal: Principal): string {
    return principal.sub;
  }
}

class CapturingLogger implements LoggerService {
  readonly errors: unknown[] = [];
  readonly warnings: string[] = [];
  log(): void {}
  error(message: unknown): void {
    this.errors.push(message);
  }
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

describe('GraphQL resolvers with the Apollo driver', () => {
  const logger = new CapturingLogger();
  let issuer: TestIssuer;
  let events: InMemoryEventSource;
  let app: INestApplication;
  let url: string;

  const query = async (
    text: string,
    token?: string,
  ): Promise<{ status: number; body: GraphQLAnswer }> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query: text }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLAnswer };
  };

  beforeAll(async () => {
    issuer = await createTestIssuer({ audience: 'orders' });
    events = new InMemoryEventSource(issuer);
    @Module({
      imports: [
        RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          fieldResolverEnhancers: ['guards'],
        }),
      ],
      providers: [MeResolver, CatalogueResolver],
    })
    class GraphQLAppModule {}
    app = await NestFactory.create(GraphQLAppModule, { logger });
    await app.listen(0, '127.0.0.1');
    url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers a query with the principal of the HTTP request’s token', async () => {
    const token = await issuer.token({ sub: 'alice', scope: 'orders:read' });
    await expect(query('{ me { sub scopes } }', token)).resolves.toEqual({
      status: 200,
      body: { data: { me: { sub: 'alice', scopes: ['orders:read'] } } },
    });
  });

  it('refuses a revoked token with extensions.code TOKEN_REVOKED and statusCode 401', async () => {
    const token = await issuer.token({ sub: 'bob' });
    await events.revokeSession(token);
    const { status, body } = await query('{ me { sub } }', token);
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('revoked') as unknown,
      path: ['me'],
      extensions: { code: 'TOKEN_REVOKED', statusCode: 401, error: 'Unauthorized' },
    });
  });

  it('refuses a query with no token: TOKEN_MISSING', async () => {
    const { body } = await query('{ me { sub } }');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'TOKEN_MISSING', statusCode: 401 });
  });

  it('gives INSUFFICIENT_SCOPE (403) only when the scope is really missing', async () => {
    const without = await query('{ audit }', await issuer.token({ scope: 'orders:read' }));
    expect(without.body.errors?.[0]).toMatchObject({
      path: ['audit'],
      extensions: { code: 'INSUFFICIENT_SCOPE', statusCode: 403, error: 'Forbidden' },
    });
    const withScope = await query('{ audit }', await issuer.token({ scope: 'admin' }));
    expect(withScope.body).toEqual({ data: { audit: 'audited' } });
  });

  it('opens @Public() queries; their guarded fields need a token', async () => {
    await expect(query('{ catalogue { name } }')).resolves.toEqual({
      status: 200,
      body: { data: { catalogue: { name: 'books' } } },
    });
    const anonymous = await query('{ catalogue { name owner } }');
    expect(anonymous.body.data).toEqual({ catalogue: { name: 'books', owner: null } });
    expect(anonymous.body.errors?.[0]).toMatchObject({
      path: ['catalogue', 'owner'],
      extensions: { code: 'TOKEN_MISSING', statusCode: 401 },
    });
    const signedIn = await query(
      '{ catalogue { name owner } }',
      await issuer.token({ sub: 'carol' }),
    );
    expect(signedIn.body).toEqual({ data: { catalogue: { name: 'books', owner: 'carol' } } });
  });

  it('refuses a resolver whose GraphQL context has no req (graphql-ws): TOKEN_MISSING', async () => {
    const handler = Object.getOwnPropertyDescriptor(MeResolver.prototype, 'me')?.value as unknown;
    const args = [undefined, {}, { connectionParams: {} }, {}];
    const context = {
      getType: () => 'graphql',
      getArgs: () => args,
      getArgByIndex: (i: number) => args[i],
      getHandler: () => handler,
      getClass: () => MeResolver,
    } as unknown as ExecutionContext;
    const refusal = await app
      .get(RevocationGuard)
      .canActivate(context)
      .catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(GuardGraphQLException);
    expect((refusal as GuardGraphQLException).extensions).toEqual({
      code: 'TOKEN_MISSING',
      statusCode: 401,
      error: 'Unauthorized',
    });
  });

  it('logs no refusal as an error, and warns of no GraphQL handler at start-up', () => {
    expect(logger.errors).toEqual([]);
    expect(app.get(UnsupportedContextWarnings).unsupportedHandlers()).toEqual([]);
    expect(logger.warnings.filter((w) => w.includes('GUARD_CONTEXT_UNSUPPORTED'))).toEqual([]);
  });
});

describe('GuardGraphQLException', () => {
  it('adds retryAfterSeconds to a 503', () => {
    const error = new GuardError('REVOCATION_STATE_NOT_READY', 'Not caught up yet.');
    expect(new GuardGraphQLException(error).extensions).toEqual({
      code: 'REVOCATION_STATE_NOT_READY',
      statusCode: 503,
      error: 'Service Unavailable',
      retryAfterSeconds: 1,
    });
  });
});
