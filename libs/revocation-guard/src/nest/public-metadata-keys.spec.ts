import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, SetMetadata, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestIssuer, InMemoryEventSource } from '../testing.js';
import { resolveGuardOptions } from './resolve-options.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';

/** An app's own `@Public()`, as the NestJS authentication docs write it. */
const IS_PUBLIC_KEY = 'isPublic';
const AppPublic = () => SetMetadata(IS_PUBLIC_KEY, true);

@Controller()
class CatalogueController {
  @AppPublic() @Get('catalogue') catalogue() {
    return { items: [] };
  }
  @SetMetadata(IS_PUBLIC_KEY, 'yes') @Get('odd') odd() {
    return 'open only for true';
  }
}

@AppPublic()
@Controller('open')
class OpenController {
  @Get() index() {
    return 'open';
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function statusOf(options: Partial<RevocationGuardModuleOptions>, paths: string[]) {
  const issuer = await createTestIssuer();
  const moduleRef = await Test.createTestingModule({
    imports: [
      RevocationGuardModule.forRoot({
        ...issuer.moduleOptions(),
        eventSource: new InMemoryEventSource(issuer),
        ...options,
      }),
    ],
    controllers: [CatalogueController, OpenController],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const answers: Record<string, number | string> = {};
  for (const path of paths) {
    const answer = await fetch(`${base}${path}`);
    answers[path] = answer.status === 200 ? 200 : ((await answer.json()) as { code: string }).code;
  }
  return answers;
}

describe('publicMetadataKeys: an app keeps its own @Public()', () => {
  it('without it, the app’s own marker opens nothing (deny by default)', async () => {
    expect(await statusOf({}, ['/catalogue', '/open'])).toEqual({
      '/catalogue': 'TOKEN_MISSING',
      '/open': 'TOKEN_MISSING',
    });
  });

  it('with it, a handler or class whose key is true is open; any other value is not', async () => {
    expect(
      await statusOf({ publicMetadataKeys: [IS_PUBLIC_KEY] }, ['/catalogue', '/open', '/odd']),
    ).toEqual({ '/catalogue': 200, '/open': 200, '/odd': 'TOKEN_MISSING' });
  });

  it('refuses a value that is not a list of metadata keys, naming the option', () => {
    for (const publicMetadataKeys of ['isPublic', [''], [42]]) {
      expect(() =>
        resolveGuardOptions({
          issuer: 'https://auth.example',
          audience: 'a',
          jwksUrl: 'https://auth.example/jwks',
          kafka: { brokers: ['127.0.0.1:9092'] },
          publicMetadataKeys,
        } as unknown as RevocationGuardModuleOptions),
      ).toThrow(/"publicMetadataKeys"/);
    }
  });
});
