// Keycloak 26.7.3's own back-channel logout (OIDC Back-Channel Logout 1.0) revokes its access
// tokens at every orders and game instance: Keycloak posts a logout token to our auth service,
// which puts the revocation on the topic; no party here is a stand-in.
import { afterAll, expect, it } from '@jest/globals';
import { metricValue } from '../support/http.js';
import { keycloakDescribe, provisionRealm } from '../support/keycloak.js';
import { KeycloakSystem, PROVIDER_ID } from '../support/keycloak-system.js';
import { waitForTopicRevocation } from '../support/topic-revocations.js';

const describeWithKeycloak = keycloakDescribe('the back-channel logout suite');

const APPLIED = `tokenfence_auth_signals_total{provider="${PROVIDER_ID}",channel="backchannel-logout",outcome="applied"}`;

describeWithKeycloak('Keycloak back-channel logout through every guard', () => {
  const kc = new KeycloakSystem({ backchannelLogout: true });
  const timings: string[] = [];
  afterAll(() => console.log(`[idp] back-channel logout: ${timings.join('; ')}`));

  it("accepts a Keycloak user's access token on every orders and game instance", async () => {
    const { tokens } = await kc.session('alice');
    await kc.expectAccepted(tokens.access_token);
  });

  it('refuses a token of a Keycloak realm the guards are not configured for: TOKEN_SIGNATURE_INVALID', async () => {
    const stranger = await provisionRealm(kc.realm.admin, {});
    try {
      const tokens = await stranger.login('alice');
      expect(await kc.answers(tokens.access_token)).toEqual(
        kc.instances.map(() => ({ status: 401, code: 'TOKEN_SIGNATURE_INVALID' })),
      );
    } finally {
      await stranger.delete();
    }
  });

  for (const trigger of ['OIDC logout', 'admin session delete'] as const) {
    it(`revokes the session everywhere and closes its sockets after an ${trigger}`, async () => {
      const { tokens, sid } = await kc.session('alice');
      const other = await kc.session('alice'); // another session of the same user
      const bystander = await kc.session('bob');
      const sockets = await kc.openSockets(tokens.access_token);
      const applied = await metricValue(kc.system.auth.url, APPLIED);

      const since = Date.now();
      if (trigger === 'OIDC logout') await kc.realm.logout(tokens.refresh_token);
      else await kc.realm.deleteSession(sid);

      const ms = await kc.refusedEverywhere(tokens.access_token, trigger, since);
      timings.push(`${trigger}: every instance refuses ${ms} ms after the call`);
      for (const { revoked, disconnected } of sockets) {
        expect(await revoked).toBe('TOKEN_REVOKED');
        expect(await disconnected).toBe('io server disconnect');
      }
      const revocation = await waitForTopicRevocation(
        kc.system.brokers,
        kc.system.topic,
        `the revocation of Keycloak session ${sid}`,
        (r) => r.sid === sid,
      );
      expect(revocation).toMatchObject({
        iss: kc.realm.issuer,
        sub: kc.realm.user('alice').id,
        scope: 'session',
      });
      expect(await metricValue(kc.system.auth.url, APPLIED)).toBe(applied + 1);
      // Per session: the user's other session and another user are untouched.
      for (const token of [other.tokens.access_token, bystander.tokens.access_token]) {
        expect((await kc.answers(token)).map((a) => a.status)).toEqual(kc.instances.map(() => 200));
      }
    });
  }
});
