// Proves the Keycloak fixture (tools/keycloak, test/support/keycloak.ts) does what the revocation
// receivers will rely on, as shared/reviews/keycloak-recipe-2026-11-30.md found on Keycloak 26.7.3:
// the shape of `app`'s access tokens, back-channel logout tokens, and SSF session-revoked SETs over
// push (RFC 8935) and poll (RFC 8936). A Keycloak upgrade that changes any of it fails here first.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  CREDENTIAL_CHANGE,
  KeycloakAdmin,
  POLL_DELIVERY,
  PUSH_DELIVERY,
  SESSION_REVOKED,
  SSF_VERIFICATION,
  keycloakDescribe,
  withKeycloakLog,
  provisionRealm,
  type ProvisionedRealm,
} from '../support/keycloak.js';
import { RecordingServer, type RecordedRequest } from '../support/recording-server.js';
import { waitFor } from '../support/wait-for.js';

const describeWithKeycloak = keycloakDescribe('the Keycloak fixture suite');

interface SetPayload extends JWTPayload {
  events: Record<string, Record<string, unknown>>;
  sub_id: Record<string, unknown>;
  txn?: string;
}

/** The `sid` of a back-channel logout request, if it is one (no verification: a filter). */
function logoutTokenSid(request: RecordedRequest): string | undefined {
  const token = new URLSearchParams(request.body).get('logout_token');
  if (!token) return undefined;
  return decodeJwt(token).sid as string | undefined;
}

/** The decoded SET of a push request, if it is one (no verification: a filter). */
function pushedSet(request: RecordedRequest): SetPayload | undefined {
  if (request.headers['content-type'] !== 'application/secevent+jwt') return undefined;
  return decodeJwt<SetPayload>(request.body);
}

const setSid = (set: SetPayload) => (set.sub_id.session as { id?: string } | undefined)?.id;

describeWithKeycloak('Keycloak fixture (what the receivers rely on)', () => {
  let admin: KeycloakAdmin;
  let receiver: RecordingServer;
  let realm: ProvisionedRealm;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const timings: string[] = [];

  beforeAll(async () => {
    admin = await KeycloakAdmin.connect();
    receiver = await RecordingServer.start();
    realm = await provisionRealm(admin, {
      backchannelLogoutUrl: `${receiver.url}/bcl`,
      pushUrlPrefix: `${receiver.url}/`,
    });
    jwks = createRemoteJWKSet(new URL(realm.jwksUri));
  });

  afterAll(async () => {
    console.log(`[idp] realm ${realm?.name}: ${timings.join('; ')}`);
    await realm?.delete();
    await receiver?.close();
  });

  /** Logs in and returns the tokens and the access token's sid. */
  async function session(username: string) {
    const tokens = await realm.login(username);
    const sid = decodeJwt(tokens.access_token).sid as string;
    return { tokens, sid };
  }

  async function expectBackchannelLogout(sid: string, sinceMs: number, trigger: string) {
    const request = await withKeycloakLog(
      receiver.waitForRequest(
        `a back-channel logout POST for sid ${sid} (${trigger})`,
        (r) => r.path === '/bcl' && logoutTokenSid(r) === sid,
      ),
    );
    timings.push(`BCL after ${trigger} ${request.receivedAtMs - sinceMs} ms`);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.headers.authorization).toBeUndefined();
    const logoutToken = new URLSearchParams(request.body).get('logout_token')!;
    expect(decodeProtectedHeader(logoutToken)).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
    const { payload } = await jwtVerify(logoutToken, jwks, {
      issuer: realm.issuer,
      audience: realm.app.clientId,
      algorithms: ['RS256'],
      typ: 'logout+jwt',
    });
    expect(payload).toMatchObject({
      sid,
      sub: realm.user('alice').id,
      aud: 'app',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    });
    expect(payload.nonce).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(120);
  }

  it("gives app's access tokens our audience, a sid and typ Bearer (RS256, typ JWT)", async () => {
    const { tokens, sid } = await session('alice');
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
      alg: 'RS256',
      typ: 'JWT',
      kid: expect.any(String),
    });
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: realm.issuer,
      audience: realm.audience,
      algorithms: ['RS256'],
      typ: 'JWT',
    });
    expect(payload).toMatchObject({
      typ: 'Bearer',
      azp: 'app',
      sub: realm.user('alice').id,
      sid: tokens.session_state,
      preferred_username: 'alice',
      email_verified: true,
    });
    expect([payload.aud].flat()).toContain(realm.audience);
    // Not a UUID: a 24-character URL-safe random string; jti has a grant-type prefix.
    expect(sid).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(payload.jti).toMatch(/^onrtro:/);
    expect(decodeJwt(tokens.id_token)).toMatchObject({ typ: 'ID', aud: 'app', sid });
  });

  it('sends a back-channel logout token with the sid after an OIDC logout', async () => {
    const { tokens, sid } = await session('alice');
    const since = Date.now();
    await realm.logout(tokens.refresh_token);
    await expectBackchannelLogout(sid, since, 'OIDC logout');
  });

  it('sends a back-channel logout token with the sid after an admin session delete', async () => {
    const { sid } = await session('alice');
    const since = Date.now();
    await realm.deleteSession(sid);
    await expectBackchannelLogout(sid, since, 'admin session delete');
  });

  it('pushes a verification SET and a session-revoked SET to a push stream', async () => {
    const authorization = `Bearer push-${Date.now()}`;
    const stream = await realm.createStream(realm.pushReceiver, {
      delivery: {
        method: PUSH_DELIVERY,
        endpoint_url: `${receiver.url}/ssf`,
        authorization_header: authorization,
      },
      events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      description: 'keycloak fixture push',
    });
    const streamAudience = `${realm.pushReceiver.clientId}/${stream.stream_id}`;
    expect(stream).toMatchObject({
      iss: realm.issuer,
      aud: [streamAudience],
      delivery: { method: PUSH_DELIVERY, endpoint_url: `${receiver.url}/ssf` },
    });
    const verifySet = async (request: RecordedRequest) => {
      expect(request.method).toBe('POST');
      expect(request.headers.authorization).toBe(authorization);
      expect(decodeProtectedHeader(request.body)).toMatchObject({
        alg: 'RS256',
        typ: 'secevent+jwt',
      });
      return (
        await jwtVerify(request.body, jwks, {
          issuer: realm.issuer,
          audience: streamAudience,
          algorithms: ['RS256'],
          typ: 'secevent+jwt',
        })
      ).payload as SetPayload;
    };

    const state = `state-${Date.now()}`;
    const verifyAt = Date.now();
    await realm.verifyStream(realm.pushReceiver, stream.stream_id, state);
    const verification = await withKeycloakLog(
      receiver.waitForRequest(
        `a verification SET with state ${state}`,
        (r) => r.path === '/ssf' && pushedSet(r)?.events[SSF_VERIFICATION]?.state === state,
      ),
    );
    timings.push(`verification SET ${verification.receivedAtMs - verifyAt} ms`);
    expect((await verifySet(verification)).sub_id).toEqual({
      format: 'opaque',
      id: stream.stream_id,
    });

    const { tokens, sid } = await session('alice');
    const logoutAt = Date.now();
    await realm.logout(tokens.refresh_token);
    const revoked = await withKeycloakLog(
      receiver.waitForRequest(`a session-revoked SET for sid ${sid}`, (r) => {
        const set = r.path === '/ssf' ? pushedSet(r) : undefined;
        return !!set?.events[SESSION_REVOKED] && setSid(set) === sid;
      }),
    );
    timings.push(`pushed session-revoked SET ${revoked.receivedAtMs - logoutAt} ms after logout`);
    const set = await verifySet(revoked);
    expect(set.sub_id).toEqual({
      format: 'complex',
      user: { format: 'iss_sub', iss: realm.issuer, sub: realm.user('alice').id },
      session: { format: 'opaque', id: sid },
    });
    expect(set.events[SESSION_REVOKED]).toMatchObject({
      event_timestamp: expect.any(Number),
      initiating_entity: 'user',
    });
    expect(set.jti).toEqual(expect.any(String));
  });

  it('queues a session-revoked SET on a poll stream until it is acknowledged', async () => {
    const stream = await realm.createStream(realm.pollReceiver, {
      delivery: { method: POLL_DELIVERY },
      events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      description: 'keycloak fixture poll',
    });
    const pollUrl = stream.delivery.endpoint_url!;
    expect(pollUrl).toBe(
      `${realm.ssfUrl}/receivers/${realm.pollReceiver.clientId}/streams/${stream.stream_id}/poll`,
    );

    const { tokens, sid } = await session('bob');
    const logoutAt = Date.now();
    await realm.logout(tokens.refresh_token);
    const findIn = (sets: Record<string, string>) =>
      Object.entries(sets).find(([, jws]) => setSid(decodeJwt<SetPayload>(jws)) === sid);
    const [jti, jws] = await withKeycloakLog(
      waitFor(
        `a session-revoked SET for sid ${sid} on poll`,
        async () => findIn((await realm.poll(realm.pollReceiver, pollUrl)).sets),
        { timeoutMs: 10_000, intervalMs: 100 },
      ),
    );
    timings.push(`polled session-revoked SET ${Date.now() - logoutAt} ms after logout`);
    const { payload } = await jwtVerify(jws, jwks, {
      issuer: realm.issuer,
      audience: `${realm.pollReceiver.clientId}/${stream.stream_id}`,
      algorithms: ['RS256'],
      typ: 'secevent+jwt',
    });
    expect(payload.jti).toBe(jti);
    expect((payload as SetPayload).events[SESSION_REVOKED]).toBeDefined();
    expect((payload as SetPayload).sub_id).toMatchObject({
      format: 'complex',
      user: { sub: realm.user('bob').id },
    });

    // Not acknowledged: returned again. Acknowledged: never again.
    expect(Object.keys((await realm.poll(realm.pollReceiver, pollUrl)).sets)).toContain(jti);
    const acked = await realm.poll(realm.pollReceiver, pollUrl, { ack: [jti] });
    expect(Object.keys(acked.sets)).not.toContain(jti);
    expect(Object.keys((await realm.poll(realm.pollReceiver, pollUrl)).sets)).not.toContain(jti);
  });
});
