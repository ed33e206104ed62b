import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { revocationEventType, type RevocationEvent } from '@tokenfence/contract';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { GuardError } from '../core/guard-error.js';
import { ManualClock } from '../core/manual-clock.js';
import {
  createRevocationGuard,
  type NodeRevocationGuard,
  type RevocationGuardOptions,
} from '../node/create-revocation-guard.js';
import { InMemoryEventSource } from '../testing/in-memory-event-source.js';
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import { RevocationMetrics } from './revocation-metrics.js';
import { RevocationReadiness } from './revocation-readiness.js';

const T0 = 1_800_000_000_000;
const OURS = 'http://127.0.0.1:3000';
const KEYCLOAK = 'http://127.0.0.1:8280/realms/acme';
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

let keycloakKey: CryptoKey;
let keycloakJwks: JSONWebKeySet;
const KEYCLOAK_KID = 'W0ECx_36SHN6Shv9CYgj4XwteDW87OQdhzOFpguYyJA';

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  keycloakKey = pair.privateKey;
  keycloakJwks = {
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: KEYCLOAK_KID, alg: 'RS256', use: 'sig' }],
  };
});

/** A Keycloak access token (typ JWT, payload typ Bearer, azp), with an audience mapper. */
function keycloakToken(clock: ManualClock, over: JWTPayload = {}): Promise<string> {
  const iat = Math.floor(clock.nowMs() / 1000);
  return new SignJWT({
    iss: KEYCLOAK,
    aud: 'orders',
    sub: 'alice',
    typ: 'Bearer',
    azp: 'app',
    sid: 'fud9ATSyHuB8b3sDMZiM4n-P',
    jti: `onrtro:${Math.random()}`,
    scope: 'openid orders:read',
    iat,
    exp: iat + 300,
    ...over,
  })
    .setProtectedHeader({ alg: 'RS256', kid: KEYCLOAK_KID, typ: 'JWT' })
    .sign(keycloakKey);
}

interface Setup {
  readonly clock: ManualClock;
  readonly ours: TestIssuer;
  readonly events: InMemoryEventSource;
  readonly options: RevocationGuardOptions;
}

async function setup(extra: Partial<RevocationGuardOptions> = {}): Promise<Setup> {
  const clock = new ManualClock(T0);
  const ours = await createTestIssuer({ issuer: OURS, clock });
  const events = new InMemoryEventSource(ours, { heartbeatIntervalMs: 0 });
  const options: RevocationGuardOptions = {
    issuers: [
      { issuer: OURS, audience: ours.audience, keys: ours.jwks },
      {
        issuer: KEYCLOAK,
        audience: 'orders',
        keys: keycloakJwks,
        profile: 'jwt',
        algorithms: ['RS256'],
        claims: { scope: 'scope', clientId: 'azp' },
        maxTokenLifetimeSeconds: 3600,
        clockToleranceSeconds: 5,
      },
    ],
    events: { issuer: OURS, keys: ours.jwks },
    eventSource: events,
    clock,
    logger: quiet,
    ...extra,
  };
  return { clock, ours, events, options };
}

let guards: NodeRevocationGuard[] = [];
let apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all([...guards.map((g) => g.close()), ...apps.map((a) => a.close())]);
  guards = [];
  apps = [];
});

async function started(options: RevocationGuardOptions): Promise<NodeRevocationGuard> {
  const guard = createRevocationGuard(options);
  guards.push(guard);
  await guard.start();
  return guard;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => new Error('accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GuardError);
  return (err as GuardError).code;
}

/** A revocation of `iss`'s tokens, signed by our auth service (the events' issuer). */
function member(
  iss: string,
  clock: ManualClock,
  scope: Pick<RevocationEvent, 'scope'> & Record<string, unknown>,
  sub = 'alice',
): RevocationEvent {
  const nowMs = clock.nowMs();
  return {
    v: 1,
    id: `${iss}-${scope.scope}-${sub}-${nowMs}`,
    iss,
    sub,
    revokedAtMs: nowMs,
    expiresAt: Math.floor(nowMs / 1000) + 3600,
    reason: scope.scope === 'key' ? 'key-compromise' : 'admin',
    eventType: revocationEventType(scope.scope, 'admin'),
    ...scope,
  } as RevocationEvent;
}

describe('the guard with several issuers', () => {
  it("accepts each issuer's tokens, each under its own profile and claim names", async () => {
    const { clock, ours, options } = await setup();
    const guard = await started(options);
    const fromUs = await guard.authorize(`Bearer ${await ours.token({ sub: 'alice' })}`);
    const fromKeycloak = await guard.authorize(`Bearer ${await keycloakToken(clock)}`, {
      scopes: ['orders:read'],
    });
    expect(fromUs).toMatchObject({ iss: OURS, sub: 'alice', clientId: 'test-client' });
    expect(fromKeycloak).toMatchObject({
      iss: KEYCLOAK,
      sub: 'alice',
      clientId: 'app',
      kind: 'user',
      scopes: ['openid', 'orders:read'],
    });
    // Keycloak's ID token is no access token; its lifetime bound is its own (3600 s, not a day).
    expect(
      await refusal(guard.authorize(`Bearer ${await keycloakToken(clock, { typ: 'ID' })}`)),
    ).toBe('TOKEN_CLAIMS_INVALID');
    const iat = Math.floor(clock.nowMs() / 1000);
    const long = await keycloakToken(clock, { exp: iat + 7200 });
    expect(await refusal(guard.authorize(`Bearer ${long}`))).toBe('TOKEN_CLAIMS_INVALID');
    expect(await guard.authorize(`Bearer ${await ours.token({ exp: iat + 7200 })}`)).toBeDefined();
  });

  it('refuses a token of a provider the guard is not configured for (TOKEN_SIGNATURE_INVALID)', async () => {
    const { clock, options } = await setup();
    const guard = await started(options);
    const stranger = await createTestIssuer({ issuer: 'https://stranger.test', clock });
    expect(await refusal(guard.authorize(`Bearer ${await stranger.token()}`))).toBe(
      'TOKEN_SIGNATURE_INVALID',
    );
  });

  it('applies a user revocation to the one issuer it names: the same sub elsewhere is another user', async () => {
    const { clock, ours, events, options } = await setup();
    const guard = await started(options);
    const ourToken = `Bearer ${await ours.token({ sub: 'alice' })}`;
    const keycloakAlice = `Bearer ${await keycloakToken(clock)}`;
    await guard.authorize(ourToken);
    await guard.authorize(keycloakAlice); // both cached now

    await events.publish(member(KEYCLOAK, clock, { scope: 'user', cutoff: clock.nowMs() / 1000 }));
    expect(await refusal(guard.authorize(keycloakAlice))).toBe('TOKEN_REVOKED');
    expect(await guard.authorize(ourToken)).toMatchObject({ iss: OURS, sub: 'alice' });

    await events.publish(member(OURS, clock, { scope: 'user', cutoff: clock.nowMs() / 1000 }));
    expect(await refusal(guard.authorize(ourToken))).toBe('TOKEN_REVOKED');
  });

  it('revokes a key as (iss, kid): the same kid at another issuer is another key', async () => {
    const { clock, ours, events, options } = await setup();
    const guard = await started(options);
    const keycloakAlice = `Bearer ${await keycloakToken(clock)}`;
    const ourToken = `Bearer ${await ours.token()}`;
    await guard.authorize(keycloakAlice);

    // Our auth service revoking a key of its own named like Keycloak's: Keycloak's stays.
    await events.publish(member(OURS, clock, { scope: 'key', kid: KEYCLOAK_KID }, 'admin'));
    expect(await guard.authorize(keycloakAlice)).toMatchObject({ iss: KEYCLOAK });
    await events.publish(member(KEYCLOAK, clock, { scope: 'key', kid: KEYCLOAK_KID }, 'admin'));
    expect(await refusal(guard.authorize(keycloakAlice))).toBe('TOKEN_REVOKED');
    expect(await refusal(guard.authorize(`Bearer ${await keycloakToken(clock)}`))).toBe(
      'TOKEN_REVOKED',
    );
    expect(await guard.authorize(ourToken)).toMatchObject({ iss: OURS });
  });

  it('stops one issuer with a global cutoff and leaves the other alone', async () => {
    const { clock, ours, events, options } = await setup();
    const guard = await started(options);
    const ourToken = `Bearer ${await ours.token()}`;
    const keycloakAlice = `Bearer ${await keycloakToken(clock)}`;
    await events.publish(
      member(KEYCLOAK, clock, { scope: 'all', cutoff: clock.nowMs() / 1000 }, 'admin'),
    );
    expect(await refusal(guard.authorize(keycloakAlice))).toBe('TOKEN_REVOKED');
    expect(await guard.authorize(ourToken)).toMatchObject({ iss: OURS });
    clock.advance(2_000);
    expect(await guard.authorize(`Bearer ${await keycloakToken(clock)}`)).toMatchObject({
      iss: KEYCLOAK,
    });
  });

  it('skips, unstored, a member for an unconfigured issuer, counts it, and stays ready', async () => {
    const { clock, events, options } = await setup();
    const guard = await started(options);
    await events.publish(
      member('https://stranger.test', clock, { scope: 'all', cutoff: clock.nowMs() / 1000 }),
      member('https://stranger.test', clock, { scope: 'user', cutoff: clock.nowMs() / 1000 }),
    );
    const text = guard.metrics.render();
    expect(text).toMatch(/^tokenfence_events_untrusted_issuer_total 2$/m);
    expect(text).toMatch(/^tokenfence_events_applied_total 0$/m);
    expect(guard.readiness()).toMatchObject({
      status: 'ready',
      revocations: { user: 0, all: 0 },
    });
    // One JWKS cache per distinct key set, each in the JWKS age metric.
    expect(text).toMatch(/^tokenfence_jwks_age_seconds\{source="local"\} /m);
    expect(text).toMatch(/^tokenfence_jwks_age_seconds\{source="local-2"\} /m);
  });

  it("under the introspect policy, refuses other issuers' tokens while stale (REVOCATION_STATE_STALE)", async () => {
    let asked = 0;
    const server: Server = createServer((req, res) => {
      asked++;
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end('{"active":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { clock, ours, options } = await setup({
        maxStalenessMs: 1_000,
        stalePolicy: 'introspect',
        introspection: {
          url: `http://127.0.0.1:${port}/oauth/introspect`,
          clientId: 'orders',
          clientSecret: 'secret',
        },
      });
      const guard = await started(options);
      clock.advance(5_000); // no heartbeat since: stale
      const ourToken = `Bearer ${await ours.token()}`;
      expect(await guard.authorize(ourToken)).toMatchObject({ iss: OURS });
      expect(asked).toBe(1);
      const keycloakAlice = `Bearer ${await keycloakToken(clock)}`;
      expect(await refusal(guard.authorize(keycloakAlice))).toBe('REVOCATION_STATE_STALE');
      expect(asked).toBe(1); // never sent to an endpoint that cannot answer for it
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes the same options in RevocationGuardModule.forRootAsync', async () => {
    const { clock, ours, options } = await setup();
    const moduleOptions = { ...options };
    delete moduleOptions.logger; // the Nest module logs through Nest
    @Module({
      imports: [RevocationGuardModule.forRootAsync({ useFactory: () => moduleOptions })],
    })
    class GuardModule {}
    const app = await NestFactory.createApplicationContext(GuardModule, { logger: false });
    apps.push(app);
    await app.init();
    const authenticator = app.get(AccessTokenAuthenticator);
    expect(await authenticator.authenticate(`Bearer ${await keycloakToken(clock)}`)).toMatchObject({
      iss: KEYCLOAK,
    });
    expect(await authenticator.authenticate(`Bearer ${await ours.token()}`)).toMatchObject({
      iss: OURS,
    });
    expect(app.get(RevocationReadiness).check()).toMatchObject({ status: 'ready' });
    expect(app.get(RevocationMetrics).render()).toMatch(
      /^tokenfence_events_untrusted_issuer_total 0$/m,
    );
  });
});
