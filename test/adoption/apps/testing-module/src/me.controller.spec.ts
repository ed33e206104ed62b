// The app's controller under test with the guard's /testing entry point: local keys, an
// in-memory revocation topic, no auth service, no broker. Run with node:test (`node --test`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import {
  createTestIssuer,
  InMemoryEventSource,
  type TestIssuer,
} from '@tokenfence/revocation-guard/testing';
import { MeController } from './me.controller.js';

describe('MeController behind the revocation guard', () => {
  let issuer: TestIssuer;
  let events: InMemoryEventSource;
  let app: INestApplication;
  let url: string;
  const get = (path: string, token?: string) =>
    fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  before(async () => {
    issuer = await createTestIssuer({ audience: 'tokenfence-services' });
    events = new InMemoryEventSource(issuer);
    const moduleRef = await Test.createTestingModule({
      imports: [RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events })],
      controllers: [MeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  after(async () => {
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 1000, 'the app closes at once without a broker');
  });

  it('answers 200 for a live token, then 401 TOKEN_REVOKED once its session is revoked', async () => {
    const token = await issuer.token({ sub: 'alice', scope: 'orders:read' });
    const ok = await get('/me', token);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { sub: 'alice', scopes: ['orders:read'] });
    assert.equal((await get('/orders', token)).status, 200);

    await events.revokeSession(token);
    const revoked = await get('/me', token);
    assert.equal(revoked.status, 401);
    assert.equal(((await revoked.json()) as { code: string }).code, 'TOKEN_REVOKED');
  });

  it('answers 403 INSUFFICIENT_SCOPE without the scope a route needs', async () => {
    const answer = await get('/admin', await issuer.token({ scope: 'orders:read' }));
    assert.equal(answer.status, 403);
    assert.equal(((await answer.json()) as { code: string }).code, 'INSUFFICIENT_SCOPE');
  });

  it('answers 401 TOKEN_MISSING without a token, and serves @Public() routes', async () => {
    const answer = await get('/me');
    assert.equal(answer.status, 401);
    assert.equal(((await answer.json()) as { code: string }).code, 'TOKEN_MISSING');
    assert.equal((await get('/')).status, 200);
  });
});
