import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type JWTPayload } from 'jose';
import { metricValue } from './support/http.js';
import { SSF_EVENTS, TestProvider } from './support/test-provider.js';
import { waitForTopicRevocation } from './support/topic-revocations.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

const PROVIDER = 'kc';
const RECEIVER = { clientId: 'tokenfence-receiver', clientSecret: randomUUID() };
/** The provider's allowed clock difference (the default, spelled out: the limits below use it). */
const SKEW_SECONDS = 60;

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
});
