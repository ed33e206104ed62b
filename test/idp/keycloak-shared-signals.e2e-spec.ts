// Keycloak 26.7.3 as an OpenID Shared Signals transmitter: our auth service sets up a stream at
// the realm (push, RFC 8935, or poll, RFC 8936), has it verified, and turns Keycloak's CAEP
// events into revocations of Keycloak's access tokens at every orders and game instance. The
// realm has no back-channel logout URL: the stream is the only way the signal can reach us.
import { afterAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../support/free-port.js';
import { metricValue } from '../support/http.js';
import { keycloakDescribe, withKeycloakLog } from '../support/keycloak.js';
import { KeycloakSystem, PROVIDER_ID } from '../support/keycloak-system.js';
import { waitForTopicRevocation } from '../support/topic-revocations.js';
import { waitFor } from '../support/wait-for.js';

const describeWithKeycloak = keycloakDescribe('the Shared Signals suite');

describeWithKeycloak.each(['push', 'poll'] as const)(
  'Keycloak Shared Signals (%s) through every guard',
  (delivery) => {
    const kc = new KeycloakSystem({
      sharedSignals: delivery,
      users: ['alice', 'bob', 'carol', 'dave'],
    });
    const applied = `tokenfence_auth_signals_total{provider="${PROVIDER_ID}",channel="ssf-${delivery}",outcome="applied"}`;
    const timings: string[] = [];
    afterAll(() => console.log(`[idp] Shared Signals ${delivery}: ${timings.join('; ')}`));

    /** The next revocation of the user on the topic. */
    const topicRevocation = (username: string, scope: string) =>
      waitForTopicRevocation(
        kc.system.brokers,
        kc.system.topic,
        `a ${scope} revocation of ${username}`,
        (r) => r.sub === kc.realm.user(username).id && r.scope === scope,
      );

    it('revokes the session everywhere and closes its sockets after an OIDC logout (session-revoked)', async () => {
      const { tokens, sid } = await kc.session('alice');
      const other = await kc.session('alice');
      const bystander = await kc.session('dave');
      await kc.expectAccepted(tokens.access_token);
      const sockets = await kc.openSockets(tokens.access_token);
      const before = await metricValue(kc.system.auth.url, applied);

      const since = Date.now();
      await kc.realm.logout(tokens.refresh_token);
      const ms = await kc.refusedEverywhere(tokens.access_token, 'OIDC logout', since);
      timings.push(`OIDC logout: every instance refuses ${ms} ms after the call`);
      for (const { revoked, disconnected } of sockets) {
        expect(await revoked).toBe('TOKEN_REVOKED');
        expect(await disconnected).toBe('io server disconnect');
      }
      expect(await topicRevocation('alice', 'session')).toMatchObject({
        iss: kc.realm.issuer,
        sid,
        reason: 'logout',
      });
      expect(await metricValue(kc.system.auth.url, applied)).toBe(before + 1);
      await kc.expectAccepted(other.tokens.access_token, bystander.tokens.access_token);
    });

    it("revokes every session of the user after an admin user logout (session id 'ALL')", async () => {
      const first = await kc.session('bob');
      const second = await kc.session('bob');
      const bystander = await kc.session('dave');
      const sockets = await kc.openSockets(second.tokens.access_token);

      const since = Date.now();
      await kc.realm.logoutUser('bob');
      for (const { tokens } of [first, second]) {
        const ms = await kc.refusedEverywhere(tokens.access_token, 'admin user logout', since);
        timings.push(`admin user logout: every instance refuses ${ms} ms after the call`);
      }
      for (const { revoked } of sockets) expect(await revoked).toBe('TOKEN_REVOKED');
      const revocation = await topicRevocation('bob', 'user');
      expect(revocation).toMatchObject({ iss: kc.realm.issuer, reason: 'logout-all' });
      // The cutoff is Keycloak's event time, not ours: at most the call's second, at least
      // the second its tokens were issued in.
      expect(revocation.cutoff as number).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(revocation.cutoff as number).toBeGreaterThanOrEqual(Math.floor(since / 1000) - 1);
      await kc.expectAccepted(bystander.tokens.access_token);
    });

    it('revokes every token of the user after an admin password reset (credential-change)', async () => {
      const { tokens } = await kc.session('carol');
      const bystander = await kc.session('dave');
      const sockets = await kc.openSockets(tokens.access_token);

      const since = Date.now();
      await kc.realm.resetPassword('carol', `new-${Date.now()}`);
      const ms = await kc.refusedEverywhere(tokens.access_token, 'password reset', since);
      timings.push(`admin password reset: every instance refuses ${ms} ms after the call`);
      for (const { revoked } of sockets) expect(await revoked).toBe('TOKEN_REVOKED');
      expect(await topicRevocation('carol', 'user')).toMatchObject({
        iss: kc.realm.issuer,
        reason: 'password-change',
      });
      await kc.expectAccepted(bystander.tokens.access_token);
    });

    it('acknowledges every SET once: none left pending at Keycloak, none received twice', async () => {
      const statuses = await withKeycloakLog(
        waitFor('Keycloak to hold every SET of our stream as delivered', async () => {
          const stats = await kc.realm.eventStats(kc.receiver);
          return Object.keys(stats).every((status) => status === 'DELIVERED') ? stats : undefined;
        }),
      );
      const count = (outcome: string) =>
        metricValue(
          kc.system.auth.url,
          `tokenfence_auth_signals_total{provider="${PROVIDER_ID}",channel="ssf-${delivery}",outcome="${outcome}"}`,
        );
      expect(await count('duplicate')).toBe(0);
      // The verification event and the three revocations, each delivered once. Keycloak pushes a
      // verification at once, past its outbox: its stats count it only on a poll stream.
      expect([await count('verification'), await count('applied')]).toEqual([1, 3]);
      expect(statuses.DELIVERED?.count).toBe(delivery === 'push' ? 3 : 4);
    });
  },
);

describeWithKeycloak(
  'Keycloak Shared Signals (poll) with the auth service scaled out on PostgreSQL',
  () => {
    const kc = new KeycloakSystem({ sharedSignals: 'poll', database: 'postgres', instances: 1 });

    /** The stream ids at Keycloak and in our database (read directly: an instance stops). */
    async function streams() {
      const db = new pg.Client({ connectionString: kc.system.databaseUrl });
      await db.connect();
      const { rows } = await db
        .query<{ stream_id: string }>('SELECT stream_id FROM ssf_streams WHERE provider_id = $1', [
          PROVIDER_ID,
        ])
        .finally(() => db.end());
      const atKeycloak = await kc.realm.streams(kc.realm.pollReceiver);
      return { ours: rows.map((r) => r.stream_id), keycloak: atKeycloak.map((s) => s.stream_id) };
    }

    it('keeps one stream, and the second instance polls it once the first stops', async () => {
      const before = await streams();
      expect(before.ours).toHaveLength(1);
      expect(before.keycloak).toEqual(before.ours);

      const second = await kc.system.startAuth(await freePort());
      await kc.system.auth.close(); // the instance holding the receiver lock
      const { tokens } = await kc.session('alice');
      const since = Date.now();
      await kc.realm.logout(tokens.refresh_token);
      const ms = await kc.refusedEverywhere(tokens.access_token, 'OIDC logout', since);
      console.log(
        `[idp] Shared Signals poll after a failover: every instance refuses ${ms} ms after the logout`,
      );

      expect(
        await metricValue(
          second.url,
          `tokenfence_auth_signals_total{provider="${PROVIDER_ID}",channel="ssf-poll",outcome="applied"}`,
        ),
      ).toBe(1);
      // The same stream: the new leader found it at Keycloak as recorded, and made none.
      expect(await streams()).toEqual(before);
    });
  },
);
