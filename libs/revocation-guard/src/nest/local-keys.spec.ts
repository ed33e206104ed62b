import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { GuardError } from '../core/guard-error.js';
import { createTestIssuer, InMemoryEventSource } from '../testing.js';
import { RevocationGuardModule } from './revocation-guard.module.js';

describe('RevocationGuardModule with a local JWKS ("keys") and an event source', () => {
  it('verifies tokens against the local keys, with no kafka and no JWKS URL', async () => {
    const issuer = await createTestIssuer();
    @Module({
      imports: [
        RevocationGuardModule.forRoot({
          ...issuer.moduleOptions(),
          eventSource: new InMemoryEventSource(issuer),
        }),
      ],
    })
    class LocalKeysModule {}
    const app = await NestFactory.createApplicationContext(LocalKeysModule, { logger: false });
    await app.init();
    try {
      const token = await issuer.token({ client_id: 'app' });
      const authenticator = app.get(AccessTokenAuthenticator);
      const principal = await authenticator.authenticate(`Bearer ${token}`);
      expect(principal).toMatchObject({ iss: issuer.issuer, sub: 'user-1', clientId: 'app' });
      // A forgery: the same header (kid) and claims, with a signature by another key.
      const otherSignature = (await (await createTestIssuer()).token()).split('.')[2];
      const forged = token.replace(/[^.]+$/, otherSignature);
      const refusal = authenticator.authenticate(`Bearer ${forged}`);
      await expect(refusal).rejects.toThrow(GuardError);
      await expect(refusal).rejects.toMatchObject({ code: 'TOKEN_SIGNATURE_INVALID' });
    } finally {
      await app.close();
    }
  });
});
