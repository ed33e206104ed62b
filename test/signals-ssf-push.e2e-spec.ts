import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, type JWTPayload } from 'jose';
import { SET_MAX_AGE_SECONDS } from '../apps/auth-service/src/signals/security-event-token.js';
import { freePort } from './support/free-port.js';
import { call, metricValue } from './support/http.js';
import { SSF_EVENTS, TestProvider, type PushAnswer } from './support/test-provider.js';
import { waitForTopicRevocation } from './support/topic-revocations.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

const PROVIDER = 'kc';
const RECEIVER = { clientId: 'tokenfence-receiver', clientSecret: randomUUID() };
/** The provider's allowed clock difference (the default, spelled out: the limits below use it). */
const SKEW_SECONDS = 60;

const rejected = (code: string) =>
  `tokenfence_auth_signals_rejected_total{provider="${PROVIDER}",channel="ssf-push",code="${code}"}`;
const accepted = (outcome: string) =>
  `tokenfence_auth_signals_total{provider="${PROVIDER}",channel="ssf-push",outcome="${outcome}"}`;

const now = () => Math.floor(Date.now() / 1000);

describe('Shared Signals push from an identity provider (RFC 8935, embedded database)', () => {
  let provider: TestProvider;
  const authEnv: Record<string, string> = {};
  beforeAll(async () => {
    provider = await TestProvider.start({ transmitter: RECEIVER });
    authEnv.IDENTITY_PROVIDERS = JSON.stringify([
      provider.entry(PROVIDER, {
        clock_skew_seconds: SKEW_SECONDS,
        ssf: {
          delivery: 'push',
          client_id: RECEIVER.clientId,
          client_secret: RECEIVER.clientSecret,
          scope: 'ssf.read ssf.manage',
        },
      }),
      // A provider whose transmitter nobody serves: its stream never comes up.
      {
        id: 'gone',
        issuer: `http://127.0.0.1:${await freePort()}/realms/gone`,
        jwks_uri: `${provider.jwksUri}`,
        ssf: { delivery: 'poll', client_id: 'x', client_secret: 'y' },
      },
    ]);
  });
  const system = useSystem({ database: 'embedded', authEnv });
  afterAll(() => provider.close());

  /** The stream's row in the auth database, once its verification event has arrived. */
  const verifiedStream = () =>
    waitFor(
      'the stream with the provider to be set up and verified',
      async () => {
        const [row] = await system.queryAuthDatabase<{
          stream_id: string;
          audience: string[];
          delivery: string;
          endpoint_url: string;
          push_token_hash: string;
          verified_at: Date | string | null;
        }>(
          `SELECT stream_id, audience, delivery, endpoint_url, push_token_hash, verified_at
             FROM ssf_streams WHERE provider_id = $1`,
          [PROVIDER],
        );
        if (row?.verified_at) return row;
        // Why not yet, for the timeout's message: the receiver's answer to the verification SET.
        const refused = provider.verifications.find(
          (v) => !('status' in v.answer) || v.answer.status !== 202,
        );
        if (refused) {
          throw new Error(
            `the verification SET was answered ${JSON.stringify('status' in refused.answer ? [refused.answer.status, refused.answer.body.code] : refused.answer)}`,
          );
        }
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  beforeAll(async () => {
    await verifiedStream();
  }, 60_000);

  /** Keycloak's session-revoked SET: a `complex` subject, the user and their session. */
  const sessionRevoked = (sub: string, sid: string, more: JWTPayload = {}): JWTPayload => ({
    events: {
      [SSF_EVENTS.sessionRevoked]: {
        event_timestamp: now(),
        initiating_entity: 'user',
        reason_admin: { en: 'User logout' },
      },
    },
    sub_id: {
      format: 'complex',
      user: { format: 'iss_sub', iss: provider.issuer, sub },
      session: { format: 'opaque', id: sid },
    },
    ...more,
  });

  const revocationsOf = (sub: string) =>
    system.queryAuthDatabase<{ scope: string; session_id: string | null; reason: string }>(
      'SELECT scope, session_id, reason FROM revocations WHERE user_id = $1',
      [sub],
    );

  /** Pushes `set` (or a raw request), expects a refusal, counted once under its code. */
  async function expectRefused(
    push: () => Promise<PushAnswer>,
    status: number,
    err: string,
    code: string,
  ): Promise<void> {
    const counted = await metricValue(system.auth.url, rejected(code));
    const answer = await push();
    expect([answer.status, answer.body.err, answer.body.code]).toEqual([status, err, code]);
    expect(typeof answer.body.description).toBe('string');
    expect(await metricValue(system.auth.url, rejected(code))).toBe(counted + 1);
  }

  it('sets up a push stream at the transmitter, which verifies it', async () => {
    const row = await verifiedStream();
    const stream = provider.currentStream;
    if (!stream) throw new Error('no stream at the provider');
    expect(row).toMatchObject({
      stream_id: stream.streamId,
      audience: [`${RECEIVER.clientId}/${stream.streamId}`],
      delivery: 'push',
      endpoint_url: `${system.auth.url}/signals/${PROVIDER}/ssf`,
    });
    expect(stream).toMatchObject({
      method: 'urn:ietf:rfc:8935',
      endpointUrl: `${system.auth.url}/signals/${PROVIDER}/ssf`,
      audience: `${RECEIVER.clientId}/${stream.streamId}`,
    });
    expect(stream.eventsRequested).toEqual(
      expect.arrayContaining([SSF_EVENTS.sessionRevoked, SSF_EVENTS.credentialChange]),
    );
    // A random bearer of its own, kept only as a hash.
    expect(stream.authorizationHeader).toMatch(/^Bearer [A-Za-z0-9_-]{43}$/);
    expect(row.push_token_hash).not.toContain(stream.authorizationHeader?.slice(7) ?? '-');
    // The verification SET was pushed with it at once, and acknowledged.
    expect(provider.verifications.map((v) => [v.streamId, v.answer])).toEqual([
      [stream.streamId, expect.objectContaining({ status: 202 })],
    ]);
    expect(await metricValue(system.auth.url, accepted('verification'))).toBe(1);
    expect(
      await metricValue(
        system.auth.url,
        `tokenfence_auth_ssf_stream_verified{provider="${PROVIDER}"}`,
      ),
    ).toBe(1);
  });

  it('counts the failures of a stream that cannot be set up, and reports no stream for it', async () => {
    const failures = 'tokenfence_auth_ssf_stream_failures_total{provider="gone"}';
    await waitFor('a failure of the unreachable transmitter to be counted', async () =>
      (await metricValue(system.auth.url, failures)) >= 1 ? true : undefined,
    );
    const text = (await call<string>(`${system.auth.url}/metrics`)).body;
    expect(text).not.toContain('tokenfence_auth_ssf_stream_verified{provider="gone"}');
    expect(await metricValue(system.auth.url, failures.replace('gone', PROVIDER))).toBe(0);
  });

  it("turns a session-revoked SET into a revocation of the provider's session, on the topic", async () => {
    const sid = 'qdXILH2Bn3Jg1UbgGeAnbSDY';
    const answer = await provider.push(
      await provider.securityEventToken(sessionRevoked('kc-user-1', sid)),
    );
    expect(answer.status).toBe(202);
    const revocation = await waitForTopicRevocation(
      system.brokers,
      system.topic,
      "the provider's session revocation",
      (r) => r.sid === sid,
    );
    expect(revocation).toMatchObject({
      iss: provider.issuer,
      sub: 'kc-user-1',
      scope: 'session',
      reason: 'logout',
      eventType: SSF_EVENTS.sessionRevoked,
    });
    expect(await metricValue(system.auth.url, accepted('applied'))).toBeGreaterThanOrEqual(1);
  });

  it('turns a credential-change SET into a cutoff of the user at its event_timestamp', async () => {
    const changedAt = now() - 2;
    const answer = await provider.push(
      await provider.securityEventToken({
        events: {
          [SSF_EVENTS.credentialChange]: {
            event_timestamp: changedAt,
            initiating_entity: 'admin',
            credential_type: 'password',
            change_type: 'update',
          },
        },
        sub_id: { format: 'iss_sub', iss: provider.issuer, sub: 'kc-user-2' },
      }),
    );
    expect(answer.status).toBe(202);
    const revocation = await waitForTopicRevocation(
      system.brokers,
      system.topic,
      "the provider's user cutoff",
      (r) => r.sub === 'kc-user-2',
    );
    expect(revocation).toMatchObject({
      iss: provider.issuer,
      scope: 'user',
      cutoff: changedAt,
      reason: 'password-change',
    });
  });

  it('refuses forged SETs, counts each under its code, and revokes nothing of the victim', async () => {
    const attacker = await generateKeyPair('RS256');
    const victim = 'kc-victim-forged';
    const stream = provider.currentStream;
    if (!stream) throw new Error('no stream at the provider');
    const forged = (more: JWTPayload = {}, options = {}) =>
      provider.securityEventToken(sessionRevoked(victim, 'victim-session', more), options);
    const twoEvents = sessionRevoked(victim, 'victim-session');
    twoEvents.events = {
      ...(twoEvents.events as object),
      [SSF_EVENTS.credentialChange]: { event_timestamp: now() },
    };
    const forgeries: [string, string, string, string][] = [
      // [what, SET, err, code]
      [
        "the attacker's key, the provider's kid",
        await forged({}, { key: attacker.privateKey }),
        'invalid_key',
        'SIGNAL_SIGNATURE_INVALID',
      ],
      [
        "the attacker's key and kid",
        await forged({}, { key: attacker.privateKey, header: { kid: 'attacker' } }),
        'invalid_key',
        'SIGNAL_SIGNATURE_INVALID',
      ],
      [
        'another stream of the client',
        await forged({ aud: `${RECEIVER.clientId}/${randomUUID()}` }),
        'invalid_audience',
        'SIGNAL_AUDIENCE_INVALID',
      ],
      [
        'another receiver client',
        await forged({ aud: `other-receiver/${stream.streamId}` }),
        'invalid_audience',
        'SIGNAL_AUDIENCE_INVALID',
      ],
      [
        'no audience',
        await forged({ aud: undefined }),
        'invalid_audience',
        'SIGNAL_AUDIENCE_INVALID',
      ],
      [
        'another issuer',
        await forged({ iss: `${provider.issuer}-other` }),
        'invalid_issuer',
        'SIGNAL_ISSUER_INVALID',
      ],
      [
        'typ JWT',
        await forged({}, { header: { typ: 'JWT' } }),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      [
        'a logout token typ',
        await forged({}, { header: { typ: 'logout+jwt' } }),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      [
        'an iat older than the receipts are kept',
        await forged({ iat: now() - SET_MAX_AGE_SECONDS - SKEW_SECONDS - 60 }),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      [
        'an iat in the future',
        await forged({ iat: now() + SKEW_SECONDS + 600 }),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      [
        'an expired exp',
        await forged({ exp: now() - SKEW_SECONDS - 60 }),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      ['no jti', await forged({ jti: undefined }), 'invalid_request', 'SIGNAL_CLAIMS_INVALID'],
      [
        'two events',
        await provider.securityEventToken(twoEvents),
        'invalid_request',
        'SIGNAL_CLAIMS_INVALID',
      ],
      ['not a JWS', 'not.a.token', 'invalid_request', 'SIGNAL_MALFORMED'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.e30', 'invalid_request', 'SIGNAL_MALFORMED'],
      ['a JWE', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'invalid_request', 'SIGNAL_MALFORMED'],
    ];
    for (const [what, set, err, code] of forgeries) {
      try {
        await expectRefused(() => provider.push(set), 400, err, code);
      } catch (e) {
        throw new Error(`a SET with ${what}: ${(e as Error).message}`, { cause: e });
      }
    }
    expect(await revocationsOf(victim)).toEqual([]);
  });

  it("does not burn a jti for a forgery: the provider's own SET with it is still accepted", async () => {
    const attacker = await generateKeyPair('RS256');
    const jti = randomUUID();
    const claims = sessionRevoked('kc-user-3', 'session-3', { jti });
    await expectRefused(
      async () =>
        provider.push(await provider.securityEventToken(claims, { key: attacker.privateKey })),
      400,
      'invalid_key',
      'SIGNAL_SIGNATURE_INVALID',
    );
    expect(await revocationsOf('kc-user-3')).toEqual([]);
    expect((await provider.push(await provider.securityEventToken(claims))).status).toBe(202);
    expect(await revocationsOf('kc-user-3')).toEqual([
      { scope: 'session', session_id: 'session-3', reason: 'logout' },
    ]);
  });

  it("refuses another SET reusing an accepted SET's jti, and acknowledges a retry of the same SET", async () => {
    const jti = randomUUID();
    const genuine = await provider.securityEventToken(
      sessionRevoked('kc-user-4', 'session-4', { jti }),
    );
    expect((await provider.push(genuine)).status).toBe(202);
    expect(await revocationsOf('kc-user-4')).toHaveLength(1);

    const victim = 'kc-victim-replay';
    await expectRefused(
      async () =>
        provider.push(
          await provider.securityEventToken(sessionRevoked(victim, 'victim-session', { jti })),
        ),
      400,
      'invalid_request',
      'SIGNAL_REPLAYED',
    );
    expect(await revocationsOf(victim)).toEqual([]);

    // The transmitter's retry of the very same SET: acknowledged, nothing changes.
    const replayed = await metricValue(system.auth.url, rejected('SIGNAL_REPLAYED'));
    const duplicates = await metricValue(system.auth.url, accepted('duplicate'));
    const retry = await provider.push(genuine);
    expect(retry.status).toBe(202);
    expect(await metricValue(system.auth.url, accepted('duplicate'))).toBe(duplicates + 1);
    expect(await metricValue(system.auth.url, rejected('SIGNAL_REPLAYED'))).toBe(replayed);
    expect(await revocationsOf('kc-user-4')).toHaveLength(1);
    expect(await revocationsOf(victim)).toEqual([]);
  });

  it('accepts an exp-less SET up to its max age, which revokes from now - skew', async () => {
    const iat = now() - SET_MAX_AGE_SECONDS + 60;
    const answer = await provider.push(
      await provider.securityEventToken({
        ...sessionRevoked('kc-user-5', 'ALL'),
        iat,
        events: { [SSF_EVENTS.sessionRevoked]: { event_timestamp: iat } },
      }),
    );
    expect(answer.status).toBe(202);
    const [row] = await system.queryAuthDatabase<{ scope: string; cutoff: string | number }>(
      'SELECT scope, cutoff FROM revocations WHERE user_id = $1',
      ['kc-user-5'],
    );
    expect(row?.scope).toBe('user');
    // A late event still revokes every token issued up to shortly before it arrived.
    expect(Number(row?.cutoff)).toBeGreaterThanOrEqual(now() - SKEW_SECONDS - 5);
  });

  it('refuses a push without the Authorization header of the stream: 401, counted', async () => {
    const victim = 'kc-victim-unauthenticated';
    const set = await provider.securityEventToken(sessionRevoked(victim, 'victim-session'));
    const header = provider.currentStream?.authorizationHeader ?? '';
    for (const authorization of [
      null,
      'Bearer wrong',
      header.toLowerCase(),
      `${header} `.slice(0, -2),
      header.replace('Bearer ', 'Basic '),
    ]) {
      await expectRefused(
        () => provider.push(set, { authorization }),
        401,
        'authentication_failed',
        'SIGNAL_UNAUTHENTICATED',
      );
    }
    expect(await revocationsOf(victim)).toEqual([]);
  });

  it('refuses a push of another content type, counted: SIGNAL_MISSING', async () => {
    const victim = 'kc-victim-content-type';
    const set = await provider.securityEventToken(sessionRevoked(victim, 'victim-session'));
    for (const contentType of [
      'text/plain',
      'application/jwt',
      'application/x-www-form-urlencoded',
    ]) {
      await expectRefused(
        () => provider.push(set, { contentType }),
        400,
        'invalid_request',
        'SIGNAL_MISSING',
      );
    }
    await expectRefused(
      () => provider.push(JSON.stringify({ set }), { contentType: 'application/json' }),
      400,
      'invalid_request',
      'SIGNAL_MISSING',
    );
    await expectRefused(() => provider.push(''), 400, 'invalid_request', 'SIGNAL_MISSING');
    expect(await revocationsOf(victim)).toEqual([]);
  });

  it('answers 404 for a provider it does not know, and counts nothing under its id', async () => {
    const victim = 'kc-victim-unknown';
    const set = await provider.securityEventToken(sessionRevoked(victim, 'victim-session'));
    const stream = provider.currentStream;
    const answer = await call(`${system.auth.url}/signals/nobody/ssf`, {
      body: set,
      headers: {
        'content-type': 'application/secevent+jwt',
        authorization: stream?.authorizationHeader ?? '',
      },
    });
    expect([answer.status, answer.body.code]).toEqual([404, 'IDENTITY_PROVIDER_UNKNOWN']);
    expect((await call<string>(`${system.auth.url}/metrics`)).body).not.toContain(
      'provider="nobody"',
    );
    expect(await revocationsOf(victim)).toEqual([]);
  });
});
