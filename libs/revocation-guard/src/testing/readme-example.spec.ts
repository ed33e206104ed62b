// The README's "Testing" section shows this file from here to the end, verbatim
// (readme.spec.ts checks that it does).
// #region readme
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AccessTokenAuthenticator,
  CurrentPrincipal,
  RevocationGuardModule,
  type Principal,
} from '@tokenfence/revocation-guard';
import {
  createTestIssuer,
  InMemoryEventSource,
  type TestIssuer,
} from '@tokenfence/revocation-guard/testing';

// The app's controller, as it is in production.
@Controller()
class MeController {
  @Get('me') me(@CurrentPrincipal() p: Principal) {
    return { sub: p.sub, scopes: p.scopes };
  }
}

let issuer: TestIssuer; // keys in memory, tokens, signed revocation events
let events: InMemoryEventSource; // the revocation topic, no broker
let app: INestApplication;

beforeEach(async () => {
  issuer = await createTestIssuer({ audience: 'orders' });
  events = new InMemoryEventSource(issuer);
  const moduleRef = await Test.createTestingModule({
    imports: [
      // no jwksUrl (the issuer's keys), no kafka (the in-memory source)
      RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events }),
    ],
    controllers: [MeController],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
});

afterEach(() => app.close()); // milliseconds: nothing to disconnect

describe('unit: the controller with a verified principal', () => {
  it('answers for the token’s subject, until its session is revoked', async () => {
    await app.init(); // the guard is ready and fresh once init resolves
    const authenticator = app.get(AccessTokenAuthenticator);
    const token = await issuer.token({ sub: 'alice', scope: 'orders:read' });

    const principal = await authenticator.authenticate(`Bearer ${token}`);
    expect(app.get(MeController).me(principal)).toEqual({ sub: 'alice', scopes: ['orders:read'] });

    await events.revokeSession(token); // resolves once the guard has applied it
    await expect(authenticator.authenticate(`Bearer ${token}`)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
  });
});

describe('e2e: HTTP through the global guard', () => {
  it('200, then 401 TOKEN_REVOKED after a logout; 401 for another audience', async () => {
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/me`;
    const get = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const token = await issuer.token({ sub: 'alice' });

    const ok = await get(token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'alice', scopes: [] });

    await events.revokeSession(token);
    const revoked = await get(token);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ code: 'TOKEN_REVOKED' });

    const wrongAudience = await get(await issuer.token({ aud: 'billing' }));
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.json()).toMatchObject({ code: 'TOKEN_CLAIMS_INVALID' });
  });
});
