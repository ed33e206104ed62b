import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Controller,
  Get,
  Module,
  UnauthorizedException,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { RevocationEventSource } from '../core/event-source.js';
import { createTestIssuer, InMemoryEventSource, type TestIssuer } from '../testing.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';
import { RequireScopes } from './route-requirements.decorators.js';
import { GuardUnauthorizedException } from './guard-http-exception.js';
import { Public } from './public.decorator.js';
import { RevocationReadiness, type ReadinessReport } from './revocation-readiness.js';

// Local: InMemoryEventSource always catches up; the 503 cases need a feed that never does.
/** Never caught up: the guard and its readiness answer 503 REVOCATION_STATE_NOT_READY. */
const notCaughtUpSource: RevocationEventSource = {
  start: (sink) => {
    sink.onPartitions([0]);
    return Promise.resolve();
  },
  stop: () => Promise.resolve(),
};

@Controller()
class ProbeController {
  @Get('me') me(): { ok: true } {
    return { ok: true };
  }
  @Get('admin') @RequireScopes('admin', 'audit') admin(): { ok: true } {
    return { ok: true };
  }
}

@Controller()
class ReadyController {
  constructor(private readonly readiness: RevocationReadiness) {}
  @Get('ready') @Public() ready(): ReadinessReport {
    return this.readiness.check();
  }
}

/** An app's own filter keyed on Nest's class: it must see the guard's 401s. */
@Catch(UnauthorizedException)
class AppUnauthorizedFilter implements ExceptionFilter {
  static seen: unknown[] = [];
  catch(exception: UnauthorizedException, host: ArgumentsHost): void {
    AppUnauthorizedFilter.seen.push(exception);
    const response = host.switchToHttp().getResponse<{
      status(code: number): { json(body: unknown): void };
    }>();
    response.status(401).json({ ...(exception.getResponse() as object), filtered: true });
  }
}

let issuer: TestIssuer;

async function start(
  extra: Partial<RevocationGuardModuleOptions>,
  ready = true,
  filter = false,
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      RevocationGuardModule.forRoot({
        ...issuer.moduleOptions(),
        eventSource: ready ? new InMemoryEventSource(issuer) : notCaughtUpSource,
        ...extra,
      }),
    ],
    controllers: [ProbeController, ReadyController],
    providers: filter ? [{ provide: APP_FILTER, useClass: AppUnauthorizedFilter }] : [],
  })
  class ProbeModule {}
  const app = await NestFactory.create(ProbeModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as { address(): AddressInfo };
  const { port } = server.address();
  return { app, url: `http://127.0.0.1:${port}` };
}

const token = (scope: string) => issuer.token({ scope });

async function get(url: string, authorization?: string) {
  const response = await fetch(url, authorization ? { headers: { authorization } } : {});
  return {
    status: response.status,
    type: response.headers.get('content-type')?.split(';')[0],
    challenge: response.headers.get('www-authenticate'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

beforeAll(async () => {
  issuer = await createTestIssuer();
});

describe('HTTP refusals', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await start({})));
  afterAll(() => app.close());

  it('401: Nest body shape with the stable code, and a Bearer challenge', async () => {
    expect(await get(`${url}/me`, 'Bearer a.b.c')).toEqual({
      status: 401,
      type: 'application/json',
      challenge: 'Bearer error="invalid_token", error_description="TOKEN_MALFORMED"',
      retryAfter: null,
      body: {
        statusCode: 401,
        code: 'TOKEN_MALFORMED',
        message: 'The access token is malformed.',
        error: 'Unauthorized',
      },
    });
    expect((await get(`${url}/me`)).challenge).toBe('Bearer');
  });

  it('401 TOKEN_MISSING with a plain Bearer challenge for another scheme (RFC 6750 3.1)', async () => {
    expect(await get(`${url}/me`, 'Basic dXNlcjpwYXNz')).toEqual({
      status: 401,
      type: 'application/json',
      challenge: 'Bearer',
      retryAfter: null,
      body: {
        statusCode: 401,
        code: 'TOKEN_MISSING',
        message: 'An Authorization: Bearer access token is required.',
        error: 'Unauthorized',
      },
    });
    // "Bearer" with no token is a malformed Bearer credential, not a missing one.
    const empty = await get(`${url}/me`, 'Bearer ');
    expect([empty.status, empty.body.code]).toEqual([401, 'TOKEN_MALFORMED']);
  });

  it('403 insufficient_scope names every scope the route needs', async () => {
    const answer = await get(`${url}/admin`, `Bearer ${await token('admin')}`);
    expect(answer).toEqual({
      status: 403,
      type: 'application/json',
      challenge:
        'Bearer error="insufficient_scope", error_description="INSUFFICIENT_SCOPE", scope="admin audit"',
      retryAfter: null,
      body: {
        statusCode: 403,
        code: 'INSUFFICIENT_SCOPE',
        message: 'This route needs the scope(s): audit.',
        error: 'Forbidden',
      },
    });
    expect((await get(`${url}/admin`, `Bearer ${await token('admin audit')}`)).status).toBe(200);
  });
});

describe('HTTP refusals: 503 and problem details', () => {
  it('503 carries Retry-After; problemDetails gives application/problem+json', async () => {
    const { app, url } = await start({ problemDetails: true }, false);
    try {
      expect(await get(`${url}/me`, `Bearer ${await token('')}`)).toEqual({
        status: 503,
        type: 'application/problem+json',
        challenge: null,
        retryAfter: '1',
        body: {
          type: 'https://tokenfence.dev/problems/revocation-state-not-ready',
          title: 'Service Unavailable',
          status: 503,
          detail: 'This service has not yet caught up with the revocation feed.',
          code: 'REVOCATION_STATE_NOT_READY',
        },
      });
      const missing = await get(`${url}/me`); // a missing token is refused first
      expect([missing.status, missing.type, missing.challenge, missing.body]).toEqual([
        401,
        'application/problem+json',
        'Bearer',
        {
          type: 'https://tokenfence.dev/problems/token-missing',
          title: 'Unauthorized',
          status: 401,
          detail: 'An Authorization: Bearer access token is required.',
          code: 'TOKEN_MISSING',
        },
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('RevocationReadiness.check() over HTTP', () => {
  it('its 503 carries Retry-After and the code, in the guard’s body shape', async () => {
    const { app, url } = await start({}, false);
    try {
      expect(await get(`${url}/ready`)).toEqual({
        status: 503,
        type: 'application/json',
        challenge: null,
        retryAfter: '1',
        body: {
          statusCode: 503,
          code: 'REVOCATION_STATE_NOT_READY',
          message: 'This service has not yet caught up with the revocation feed.',
          error: 'Service Unavailable',
        },
      });
    } finally {
      await app.close();
    }
  });

  it('with problemDetails, its 503 is application/problem+json', async () => {
    const { app, url } = await start({ problemDetails: true }, false);
    try {
      const answer = await get(`${url}/ready`);
      expect([answer.status, answer.type, answer.retryAfter, answer.body.code]).toEqual([
        503,
        'application/problem+json',
        '1',
        'REVOCATION_STATE_NOT_READY',
      ]);
    } finally {
      await app.close();
    }
  });
});

describe("HTTP refusals reach an app's @Catch(UnauthorizedException) filter", () => {
  it('the filter sees a GuardUnauthorizedException carrying the code', async () => {
    const { app, url } = await start({}, true, true);
    try {
      AppUnauthorizedFilter.seen = [];
      const answer = await get(`${url}/me`, 'Bearer a.b.c');
      expect(answer.body).toMatchObject({ code: 'TOKEN_MALFORMED', filtered: true });
      expect(AppUnauthorizedFilter.seen).toHaveLength(1);
      expect(AppUnauthorizedFilter.seen[0]).toBeInstanceOf(GuardUnauthorizedException);
      expect(AppUnauthorizedFilter.seen[0]).toMatchObject({ code: 'TOKEN_MALFORMED' });
    } finally {
      await app.close();
    }
  });
});
