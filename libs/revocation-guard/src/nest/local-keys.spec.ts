import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import type { RevocationEventSource } from '../core/event-source.js';
import { GuardError } from '../core/guard-error.js';
import { ManualClock } from '../core/manual-clock.js';
import { RevocationGuardModule } from './revocation-guard.module.js';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'services';
const T0 = 1_800_000_000_000;

/** Caught up at once, no broker: the module needs no `kafka` beside it. */
const caughtUpSource: RevocationEventSource = {
  start: (sink) => {
    sink.onPartitions([0]);
    sink.onCaughtUp();
    return Promise.resolve();
  },
  stop: () => Promise.resolve(),
};

describe('RevocationGuardModule with a local JWKS ("keys") and an event source', () => {
  it('verifies tokens against the local keys, with no kafka and no JWKS URL', async () => {
    const pair = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'tokens-1', alg: 'ES256' };
    @Module({
      imports: [
        RevocationGuardModule.forRoot({
          issuer: ISSUER,
          audience: AUDIENCE,
          keys: { keys: [jwk] },
          eventSource: caughtUpSource,
          clock: new ManualClock(T0),
          stalePolicy: 'allow',
        }),
      ],
    })
    class LocalKeysModule {}
    const app = await NestFactory.createApplicationContext(LocalKeysModule, { logger: false });
    await app.init();
    try {
      const sign = (key: CryptoKey) =>
        new SignJWT({ client_id: 'app' })
          .setProtectedHeader({ alg: 'ES256', kid: 'tokens-1', typ: 'at+jwt' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('user-1')
          .setIssuedAt(T0 / 1000)
          .setExpirationTime(T0 / 1000 + 600)
          .sign(key);
      const authenticator = app.get(AccessTokenAuthenticator);
      const principal = await authenticator.authenticate(`Bearer ${await sign(pair.privateKey)}`);
      expect(principal).toMatchObject({ iss: ISSUER, sub: 'user-1', clientId: 'app' });
      const forged = authenticator.authenticate(`Bearer ${await sign(other.privateKey)}`);
      await expect(forged).rejects.toThrow(GuardError);
      await expect(forged).rejects.toMatchObject({ code: 'TOKEN_SIGNATURE_INVALID' });
    } finally {
      await app.close();
    }
  });
});
