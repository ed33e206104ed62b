import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair } from 'jose';
import { call, metricValue } from './support/http.js';
import { freePort } from './support/free-port.js';
import { postLogoutToken, TestProvider } from './support/test-provider.js';
import { waitForTopicRevocation } from './support/topic-revocations.js';
import { useSystem } from './support/use-system.js';

const rejected = (code: string) =>
  `tokenfence_auth_signals_rejected_total{provider="test",channel="backchannel-logout",code="${code}"}`;

describe.each(['embedded', 'postgres'] as const)(
  'back-channel logout from an identity provider (%s database)',
  (database) => {
    let provider: TestProvider;
    const authEnv: Record<string, string> = {};
    beforeAll(async () => {
      provider = await TestProvider.start();
      // A second provider whose JWKS nobody serves: its keys are never available.
      const unreachable = `http://127.0.0.1:${await freePort()}`;
      authEnv.IDENTITY_PROVIDERS = JSON.stringify([
        provider.entry('test', { max_token_lifetime_seconds: 600, clock_skew_seconds: 30 }),
        {
          id: 'down',
          issuer: `${unreachable}/realms/down`,
          jwks_uri: `${unreachable}/certs`,
          backchannel_logout: { audiences: ['app'] },
        },
      ]);
    });
    const system = useSystem({ database, authEnv });
    afterAll(() => provider.close());

    it("turns a session's logout into a revocation of the provider's session, on the topic", async () => {
      const before = Date.now();
      const answer = await postLogoutToken(
        system.auth.url,
        'test',
        await provider.logoutToken({ sub: 'kc-user-1', sid: '78McGINsgE_Ny1yQgdV6CM2K' }),
      );
      expect([answer.status, answer.headers.get('cache-control')]).toEqual([200, 'no-store']);

      const revocation = await waitForTopicRevocation(
        system.brokers,
        system.topic,
        "the provider's session revocation",
        (r) => r.sid === '78McGINsgE_Ny1yQgdV6CM2K',
      );
      expect(revocation).toMatchObject({
        iss: provider.issuer,
        sub: 'kc-user-1',
        scope: 'session',
        reason: 'logout',
        eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
      });
      // Kept as long as the provider's longest token may live (600 s) plus its skew (30 s).
      const expiresAt = revocation.expiresAt as number;
      expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 630);
      expect(expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 632);
      expect(
        await metricValue(
          system.auth.url,
          'tokenfence_auth_signals_total{provider="test",channel="backchannel-logout",outcome="applied"}',
        ),
      ).toBeGreaterThanOrEqual(1);
    });

    it("turns a user's logout (sub alone) into a cutoff at the token's iat", async () => {
      const iat = Math.floor(Date.now() / 1000) - 2;
      const answer = await postLogoutToken(
        system.auth.url,
        'test',
        await provider.logoutToken({ sub: 'kc-user-2', iat }),
      );
      expect(answer.status).toBe(200);
      const revocation = await waitForTopicRevocation(
        system.brokers,
        system.topic,
        "the provider's user cutoff",
        (r) => r.sub === 'kc-user-2',
      );
      expect(revocation).toMatchObject({
        iss: provider.issuer,
        scope: 'user',
        cutoff: iat,
        reason: 'logout-all',
      });
    });

    it('refuses a replayed logout token, and counts it: SIGNAL_REPLAYED', async () => {
      const token = await provider.logoutToken({ sub: 'kc-user-3', sid: 'session-3' });
      expect((await postLogoutToken(system.auth.url, 'test', token)).status).toBe(200);
      const counted = await metricValue(system.auth.url, rejected('SIGNAL_REPLAYED'));

      const replay = await postLogoutToken(system.auth.url, 'test', token);
      expect([replay.status, replay.body.error, replay.body.code]).toEqual([
        400,
        'invalid_request',
        'SIGNAL_REPLAYED',
      ]);
      expect(await metricValue(system.auth.url, rejected('SIGNAL_REPLAYED'))).toBe(counted + 1);
    });

    it('refuses forged logout tokens, and counts each under its code', async () => {
      const attacker = await generateKeyPair('RS256');
      const forgeries: [string, string][] = [
        [
          await provider.logoutToken({ sub: 'victim' }, { key: attacker.privateKey }),
          'SIGNAL_SIGNATURE_INVALID',
        ],
        [
          await provider.logoutToken({ sub: 'victim', aud: 'other-app' }),
          'SIGNAL_AUDIENCE_INVALID',
        ],
        [
          await provider.logoutToken({ sub: 'victim' }, { header: { typ: 'JWT' } }),
          'SIGNAL_CLAIMS_INVALID',
        ],
        [await provider.logoutToken({ sub: 'victim', nonce: 'n' }), 'SIGNAL_CLAIMS_INVALID'],
        [await provider.logoutToken({}), 'SIGNAL_CLAIMS_INVALID'],
        ['not.a.token', 'SIGNAL_MALFORMED'],
      ];
      for (const [token, code] of forgeries) {
        const counted = await metricValue(system.auth.url, rejected(code));
        const answer = await postLogoutToken(system.auth.url, 'test', token);
        expect([answer.status, answer.body.code]).toEqual([400, code]);
        expect(await metricValue(system.auth.url, rejected(code))).toBe(counted + 1);
      }
      const forged = await system.queryAuthDatabase(
        "SELECT 1 FROM revocations WHERE user_id = 'victim'",
      );
      expect(forged).toEqual([]);
    });

    it('answers 404 for a provider it does not know, and 400 without a logout token', async () => {
      const token = await provider.logoutToken({ sub: 'kc-user-4' });
      const unknown = await postLogoutToken(system.auth.url, 'nobody', token);
      expect([unknown.status, unknown.body.code]).toEqual([404, 'IDENTITY_PROVIDER_UNKNOWN']);

      const json = await call(`${system.auth.url}/signals/test/backchannel-logout`, {
        json: { logout_token: token },
      });
      expect([json.status, json.body.code]).toEqual([400, 'SIGNAL_MISSING']);
      const empty = await call(`${system.auth.url}/signals/test/backchannel-logout`, {
        body: 'state=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([empty.status, empty.body.code]).toEqual([400, 'SIGNAL_MISSING']);
      const twice = await call(`${system.auth.url}/signals/test/backchannel-logout`, {
        body: `logout_token=${token}&logout_token=${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([twice.status, twice.body.code]).toEqual([400, 'SIGNAL_MISSING']);
    });

    it("answers 503 with Retry-After while the provider's keys cannot be fetched", async () => {
      const answer = await postLogoutToken(
        system.auth.url,
        'down',
        await provider.logoutToken({ sub: 'kc-user-5' }),
      );
      expect([answer.status, answer.body.code, answer.headers.get('retry-after')]).toEqual([
        503,
        'SIGNAL_KEYS_UNAVAILABLE',
        '5',
      ]);
    });
  },
);
