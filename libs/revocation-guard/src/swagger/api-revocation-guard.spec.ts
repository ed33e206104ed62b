import { describe, expect, it } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Public } from '../nest/public.decorator.js';
import { ApiRevocationGuard } from '../swagger.js';

@ApiRevocationGuard()
@Controller('orders')
class OrdersController {
  @Get() list() {
    return [];
  }
}

@Controller()
class MixedController {
  @ApiRevocationGuard({ securityName: 'tokenfence' }) @Get('me') me() {
    return {};
  }
  @Public() @Get('catalogue') catalogue() {
    return [];
  }
}

async function document() {
  const moduleRef = await Test.createTestingModule({
    controllers: [OrdersController, MixedController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const config = new DocumentBuilder()
    .addBearerAuth()
    .addBearerAuth({ type: 'http' }, 'tokenfence');
  const doc = SwaggerModule.createDocument(app, config.build());
  await app.close();
  return doc;
}

describe('ApiRevocationGuard', () => {
  it('documents bearer security and the 401, 403 and 503 refusals with every code', async () => {
    const doc = await document();
    const list = doc.paths['/orders']?.get;
    expect(list?.security).toEqual([{ bearer: [] }]);
    const body = (status: string) =>
      (list?.responses[status] as { content: Record<string, { schema: unknown }> }).content[
        'application/json'
      ]?.schema;
    expect(body('401')).toMatchObject({
      required: ['statusCode', 'code', 'message', 'error'],
      properties: {
        statusCode: { enum: [401] },
        code: {
          enum: [
            'TOKEN_MISSING',
            'TOKEN_MALFORMED',
            'TOKEN_SIGNATURE_INVALID',
            'TOKEN_EXPIRED',
            'TOKEN_CLAIMS_INVALID',
            'TOKEN_REVOKED',
          ],
        },
        error: { enum: ['Unauthorized'] },
      },
    });
    expect(body('403')).toMatchObject({
      properties: {
        code: { enum: ['INSUFFICIENT_SCOPE', 'LOGIN_TOO_OLD', 'GUARD_CONTEXT_UNSUPPORTED'] },
      },
    });
    expect(body('503')).toMatchObject({
      properties: {
        code: {
          enum: [
            'REVOCATION_STATE_NOT_READY',
            'REVOCATION_STATE_STALE',
            'SIGNING_KEYS_UNAVAILABLE',
          ],
        },
      },
    });
    expect(list?.responses['503']).toMatchObject({ headers: { 'Retry-After': {} } });
  });

  it('on one handler only, under the app’s scheme name; other routes stay undocumented', async () => {
    const doc = await document();
    expect(doc.paths['/me']?.get?.security).toEqual([{ tokenfence: [] }]);
    expect(Object.keys(doc.paths['/me']?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(['401', '403', '503']),
    );
    expect(doc.paths['/catalogue']?.get?.security).toBeUndefined();
    expect(doc.paths['/catalogue']?.get?.responses).not.toHaveProperty('401');
  });
});
