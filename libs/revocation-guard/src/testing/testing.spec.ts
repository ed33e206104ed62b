import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { ManualClock } from '../core/manual-clock.js';
import { RevocationGuardModule } from '../nest/revocation-guard.module.js';
import { RevocationReadiness } from '../nest/revocation-readiness.js';
import { InMemoryEventSource } from './in-memory-event-source.js';
import { createTestIssuer, type TestIssuer, type TestIssuerOptions } from './test-issuer.js';

const T0 = 1_800_000_000_000;

let app: INestApplicationContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The guard's module on a test issuer's keys and an in-memory source: no kafka, no JWKS URL. */
async function guardFor(issuerOptions: TestIssuerOptions = {}) {
  const clock = new ManualClock(T0);
  const issuer = await createTestIssuer({ clock, ...issuerOptions });
  const events = new InMemoryEventSource(issuer, { heartbeatIntervalMs: 0 });
  @Module({
    imports: [RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events })],
  })
  class GuardModule {}
  app = await NestFactory.createApplicationContext(GuardModule, { logger: false });
  await app.init();
  const authenticator = app.get(AccessTokenAuthenticator);
  const authenticate = (token: string) => authenticator.authenticate(`Bearer ${token}`);
  return { clock, issuer, events, authenticate, readiness: app.get(RevocationReadiness) };
}

describe('@tokenfence/revocation-guard/testing', () => {
  it.each(['ES256', 'EdDSA'] as const)(
    'issues %s access tokens the guard accepts, ready and fresh at once',
    async (algorithm) => {
      const { issuer, authenticate, readiness } = await guardFor({ algorithm });
      expect(readiness.state()).toMatchObject({ status: 'ready', stalenessMs: 0 });
      const principal = await authenticate(
        await issuer.token({ sub: 'alice', sid: 's-1', jti: 't-1', scope: 'orders:read' }),
      );
      expect(principal).toMatchObject({
        iss: issuer.issuer,
        sub: 'alice',
        sid: 's-1',
        jti: 't-1',
        clientId: 'test-client',
        kind: 'user',
        scopes: ['orders:read'],
        iat: T0 / 1000,
        exp: T0 / 1000 + 600,
      });
    },
  );

  it('removes a claim overridden with undefined: a client token', async () => {
    const { issuer, authenticate } = await guardFor();
    const token = await issuer.token({ sub: 'billing', client_id: 'billing', sid: undefined });
    const principal = await authenticate(token);
    expect(principal.kind).toBe('client');
    expect(principal.claims).not.toHaveProperty('sid');
  });

  it('refuses a token for another audience, and one signed by another issuer', async () => {
    const { issuer, authenticate } = await guardFor();
    await expect(authenticate(await issuer.token({ aud: 'someone-else' }))).rejects.toMatchObject({
      code: 'TOKEN_CLAIMS_INVALID',
    });
    const stranger = await createTestIssuer({ issuer: issuer.issuer, clock: issuer.clock });
    await expect(authenticate(await stranger.token())).rejects.toMatchObject({
      code: 'TOKEN_SIGNATURE_INVALID',
    });
  });

  it('revokeSession refuses that session’s tokens with TOKEN_REVOKED, and no other', async () => {
    const { issuer, events, authenticate } = await guardFor();
    const token = await issuer.token();
    const otherSession = await issuer.token();
    await expect(authenticate(token)).resolves.toMatchObject({ sub: 'user-1' });

    await events.revokeSession(token);

    await expect(authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    await expect(authenticate(otherSession)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('revokeToken refuses one token; revokeUser every token issued up to now', async () => {
    const { clock, issuer, events, authenticate } = await guardFor();
    const first = await issuer.token({ sid: 's-1' });
    const sameSession = await issuer.token({ sid: 's-1' });
    await events.revokeToken({ sub: 'user-1', jti: (await authenticate(first)).jti ?? '' });
    await expect(authenticate(first)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    await expect(authenticate(sameSession)).resolves.toMatchObject({ sid: 's-1' });

    await events.revokeUser('user-1');
    await expect(authenticate(sameSession)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    clock.advance(1000);
    await expect(authenticate(await issuer.token())).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('heartbeats keep the guard fresh as the clock moves', async () => {
    const { clock, events, readiness } = await guardFor();
    clock.advance(60_000);
    expect(readiness.state()).toMatchObject({
      status: 'unavailable',
      code: 'REVOCATION_STATE_STALE',
    });
    await events.heartbeat();
    expect(readiness.state()).toMatchObject({ status: 'ready', stalenessMs: 0 });
  });

  it('deliver: events signed by another event key are skipped, the issuer’s applied', async () => {
    const { issuer, events, authenticate } = await guardFor();
    const token = await issuer.token();
    const forger = await createTestIssuer({ issuer: issuer.issuer, clock: issuer.clock });
    await events.deliver(await forger.revocationBatch([issuer.sessionRevoked(token)]));
    await expect(authenticate(token)).resolves.toMatchObject({ sub: 'user-1' });
    await events.deliver(await issuer.revocationBatch([issuer.sessionRevoked(token)]));
    await expect(authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  });

  it('refuses to deliver before a guard started the source, and after it stopped', async () => {
    const issuer: TestIssuer = await createTestIssuer();
    const idle = new InMemoryEventSource(issuer);
    await expect(idle.revokeUser('user-1')).rejects.toThrow(/not started/);
    const { events } = await guardFor();
    expect(events.started).toBe(true);
    await app?.close();
    app = undefined;
    expect(events.started).toBe(false);
    await expect(events.revokeUser('user-1')).rejects.toThrow(/not started/);
  });
});
