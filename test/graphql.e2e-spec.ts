import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CapturingLogger,
  graphql,
  startGraphQLApp,
  type GraphQLAnswer,
} from './support/guarded-apps.js';
import type { RunningService } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, logout } from './support/users.js';
import { waitFor } from './support/wait-for.js';

/** The first error's code and HTTP status, as a GraphQL client reads them. */
const refusal = (body: GraphQLAnswer) => ({
  code: body.errors?.[0]?.extensions?.code,
  statusCode: body.errors?.[0]?.extensions?.statusCode,
});

describe('GraphQL (Apollo driver) guarded against the real auth service and topic', () => {
  const system = useSystem({ database: 'embedded' });
  const logger = new CapturingLogger();
  let api: RunningService;

  beforeAll(async () => {
    api = await startGraphQLApp(system, logger);
    await system.waitReady(api);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('answers data for a live token, then TOKEN_REVOKED once its session is logged out', async () => {
    const tokens = await loggedIn(system.auth.url, 'gql');
    const live = await graphql(api, '{ me { sub scopes } }', tokens.access_token);
    expect(live.status).toBe(200);
    expect(live.body.errors).toBeUndefined();
    expect(live.body.data?.me).toMatchObject({ scopes: expect.arrayContaining(['orders:read']) });

    await logout(system.auth.url, tokens);
    const revoked = await waitFor(
      'the GraphQL app to refuse the logged-out token',
      async () => {
        const answer = await graphql(api, '{ me { sub } }', tokens.access_token);
        return answer.body.errors === undefined ? undefined : answer;
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toBeNull();
    expect(revoked.body.errors?.[0]).toMatchObject({
      path: ['me'],
      extensions: { code: 'TOKEN_REVOKED', statusCode: 401, error: 'Unauthorized' },
    });
  });

  it('refuses a query with no token: TOKEN_MISSING', async () => {
    const { status, body } = await graphql(api, '{ me { sub } }');
    expect(status).toBe(200);
    expect(refusal(body)).toEqual({ code: 'TOKEN_MISSING', statusCode: 401 });
  });

  it('refuses a query needing a scope the token lacks, and only then: INSUFFICIENT_SCOPE', async () => {
    const { access_token: token } = await loggedIn(system.auth.url, 'gql-scope');
    await expect(graphql(api, '{ orders }', token)).resolves.toEqual({
      status: 200,
      body: { data: { orders: [] } },
    });
    const { body } = await graphql(api, '{ checkout }', token);
    expect(body.data).toBeNull();
    expect(refusal(body)).toEqual({ code: 'INSUFFICIENT_SCOPE', statusCode: 403 });
  });

  it('answers a @Public() query without a token', async () => {
    await expect(graphql(api, '{ catalogue }')).resolves.toEqual({
      status: 200,
      body: { data: { catalogue: ['book'] } },
    });
  });

  it('keeps running and logs no refusal as an error', async () => {
    expect(refusal((await graphql(api, '{ me { sub } }', 'not-a-jwt')).body)).toEqual({
      code: 'TOKEN_MALFORMED',
      statusCode: 401,
    });
    await system.waitReady(api);
    expect(logger.errors).toEqual([]);
  });
});
