// A real Keycloak for the identity-provider suites (test/idp): an admin client over fetch, and
// provisionRealm(), which creates a realm with what our receivers need (a relying-party client
// whose access tokens carry our audience and that has a back-channel logout URL, SSF push and poll
// receiver clients, users). The server itself is started once per run by
// test/support/idp-global-setup.mjs, which exports KEYCLOAK_URL.
//
// What Keycloak 26.7.3 sends for each trigger is described in
// shared/reviews/keycloak-recipe-2026-11-30.md; test/idp/keycloak-fixture.e2e-spec.ts proves the
// parts our receivers rely on.
import { describe } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bearer, call, type HttpAnswer } from './http.js';

/**
 * A suite that needs a Keycloak of its own (to stop it mid-test, other server options) starts one
 * with startLocalKeycloak() from tools/keycloak/local-keycloak.mjs, one at a time.
 */
export type { LocalKeycloak } from '../../tools/keycloak/local-keycloak.mjs';

export const SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** RFC 8935 push and RFC 8936 poll delivery, as SSF stream `delivery.method`. */
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';
export const DEFAULT_AUDIENCE = 'tokenfence-services';

/** An answer from Keycloak that was not the expected status. */
export class KeycloakError extends Error {
  constructor(
    what: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${what}: HTTP ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.name = 'KeycloakError';
  }
}

function expectStatus<T>(what: string, answer: HttpAnswer<T>, ...ok: number[]): HttpAnswer<T> {
  if (!ok.includes(answer.status)) throw new KeycloakError(what, answer.status, answer.body);
  return answer;
}

function form(fields: Record<string, string>): {
  body: string;
  headers: Record<string, string>;
} {
  return {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** The Keycloak of this run (KEYCLOAK_URL, set by the idp global setup), if there is one. */
export function keycloakUrl(): string | undefined {
  return process.env.KEYCLOAK_URL || undefined;
}

/** Why there is no Keycloak in this run (outside CI only: the download failed), if there is none. */
export function keycloakUnavailable(): string | undefined {
  if (keycloakUrl()) return undefined;
  return (
    process.env.KEYCLOAK_UNAVAILABLE ??
    'KEYCLOAK_URL is not set: run the suites in test/idp with --selectProjects idp'
  );
}

/**
 * `describe` for a suite that needs this run's Keycloak. Without one it fails in CI (a suite that
 * must run never skips there) and skips elsewhere, saying why.
 */
export function keycloakDescribe(suite: string): typeof describe | typeof describe.skip {
  const unavailable = keycloakUnavailable();
  if (!unavailable) return describe;
  if (process.env.CI === 'true') throw new Error(unavailable);
  console.warn(`[idp] skipping ${suite}: ${unavailable}`);
  return describe.skip;
}

/** A failed wait also shows what Keycloak logged up to the failure. */
export async function withKeycloakLog<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nLast lines of the Keycloak log:\n${keycloakLogTail(30)}`,
      { cause: err },
    );
  }
}

/** The last lines of the server log, for failure messages. */
export function keycloakLogTail(lines = 60): string {
  const file = process.env.KEYCLOAK_LOG_FILE;
  if (!file) return '(no KEYCLOAK_LOG_FILE)';
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

/** What the token endpoint answers to a login (password grant with scope openid). */
export interface TokenSet {
  access_token: string;
  refresh_token: string;
  id_token: string;
  /** The Keycloak user session id: the tokens' `sid`. */
  session_state: string;
  expires_in: number;
  refresh_expires_in: number;
  token_type: string;
  scope: string;
}

/**
 * The admin REST API of one Keycloak, as the master realm's bootstrap admin (admin-cli, password
 * grant). The master realm's tokens live 60 s: a new one is fetched shortly before that.
 */
export class KeycloakAdmin {
  private token = '';
  private tokenExpiresAt = 0;

  private constructor(
    readonly baseUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** Defaults: KEYCLOAK_URL, KEYCLOAK_ADMIN_USERNAME, KEYCLOAK_ADMIN_PASSWORD (set by the setup). */
  static async connect(
    baseUrl = keycloakUrl(),
    username = process.env.KEYCLOAK_ADMIN_USERNAME ?? 'admin',
    password = process.env.KEYCLOAK_ADMIN_PASSWORD ?? 'admin',
  ): Promise<KeycloakAdmin> {
    if (!baseUrl) throw new TypeError('KeycloakAdmin.connect(): no base URL and no KEYCLOAK_URL');
    const admin = new KeycloakAdmin(baseUrl.replace(/\/$/, ''), username, password);
    await admin.accessToken();
    return admin;
  }

  /** A valid admin access token (fetched again when less than 10 s of it is left). */
  async accessToken(): Promise<string> {
    if (Date.now() < this.tokenExpiresAt - 10_000) return this.token;
    const answer = expectStatus(
      'admin login (master realm, admin-cli)',
      await call<{ access_token: string; expires_in: number }>(
        `${this.baseUrl}/realms/master/protocol/openid-connect/token`,
        {
          method: 'POST',
          ...form({
            grant_type: 'password',
            client_id: 'admin-cli',
            username: this.username,
            password: this.password,
          }),
        },
      ),
      200,
    );
    this.token = answer.body.access_token;
    this.tokenExpiresAt = Date.now() + answer.body.expires_in * 1000;
    return this.token;
  }

  /** Any admin call: `path` is relative to /admin/realms (e.g. `/tf-1/users`). Never throws on status. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    json?: unknown,
  ): Promise<HttpAnswer<T>> {
    return call<T>(`${this.baseUrl}/admin/realms${path}`, {
      method,
      json,
      headers: bearer(await this.accessToken()),
    });
  }

  /** Like request(), but throws a KeycloakError unless the status is one of `ok`. */
  async expect<T = Record<string, unknown>>(
    ok: number | number[],
    method: string,
    path: string,
    json?: unknown,
  ): Promise<HttpAnswer<T>> {
    const answer = await this.request<T>(method, path, json);
    return expectStatus(`${method} /admin/realms${path}`, answer, ...[ok].flat());
  }

  async createRealm(representation: Record<string, unknown>): Promise<void> {
    await this.expect(201, 'POST', '', representation);
  }

  async deleteRealm(realm: string): Promise<void> {
    await this.expect([204, 404], 'DELETE', `/${realm}`);
  }

  /** Creates a client and returns its id (the UUID, not the clientId). */
  async createClient(realm: string, representation: Record<string, unknown>): Promise<string> {
    const answer = await this.expect(201, 'POST', `/${realm}/clients`, representation);
    return idFromLocation(answer);
  }

  /** Creates a user and returns its id (the token `sub`). */
  async createUser(realm: string, representation: Record<string, unknown>): Promise<string> {
    const answer = await this.expect(201, 'POST', `/${realm}/users`, representation);
    return idFromLocation(answer);
  }

  /** Admin: end one user session (`DELETE /sessions/{sid}`). Back-channel logout fires; no SSF SET. */
  async deleteSession(realm: string, sid: string): Promise<void> {
    await this.expect(204, 'DELETE', `/${realm}/sessions/${encodeURIComponent(sid)}`);
  }

  /** Admin: end every session of a user. Back-channel logout per session; one SET with sid "ALL". */
  async logoutUser(realm: string, userId: string): Promise<void> {
    await this.expect(204, 'POST', `/${realm}/users/${userId}/logout`);
  }

  /** Admin: set a user's password (a credential-change SET follows). */
  async resetPassword(realm: string, userId: string, password: string): Promise<void> {
    await this.expect(204, 'PUT', `/${realm}/users/${userId}/reset-password`, {
      type: 'password',
      value: password,
      temporary: false,
    });
  }

  /** Admin: the user's sessions (id = sid). */
  async userSessions(realm: string, userId: string): Promise<Array<{ id: string }>> {
    return (
      await this.expect<Array<{ id: string }>>(200, 'GET', `/${realm}/users/${userId}/sessions`)
    ).body;
  }
}

function idFromLocation(answer: HttpAnswer<unknown>): string {
  const location = answer.headers.get('location');
  const id = location?.split('/').pop();
  if (!id) throw new Error(`no Location header in the 201 answer`);
  return id;
}

export interface ClientCredentials {
  readonly clientId: string;
  /** The client's UUID in the admin API. */
  readonly id: string;
  readonly secret: string;
}

export interface RealmUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly email: string;
}

export interface ProvisionOptions {
  /** Default: `tf-<8 hex>` (unique per call). */
  realm?: string;
  /** Put into the access tokens of `app` by an audience mapper. Default 'tokenfence-services'. */
  audience?: string;
  /** `backchannel.logout.url` of `app` (session required). Default: none. */
  backchannelLogoutUrl?: string;
  /**
   * `ssf.validPushUrls` of the push receiver is this prefix plus `*` (e.g. 'http://127.0.0.1:4567/').
   * Default 'http://127.0.0.1:' (any port on 127.0.0.1).
   */
  pushUrlPrefix?: string;
  /** Realm `accessTokenLifespan`. Default: Keycloak's (300 s). */
  accessTokenLifespanSeconds?: number;
  /** Redirect URIs of `app` (standard flow). Default ['http://127.0.0.1/*']. */
  redirectUris?: string[];
  /** Users to create. Default alice and bob; passwords are random unless given. */
  users?: Array<{ username: string; password?: string; firstName?: string; lastName?: string }>;
}

/** A realm made by provisionRealm(), with the calls the suites make against it. */
export class ProvisionedRealm {
  constructor(
    readonly admin: KeycloakAdmin,
    readonly name: string,
    readonly audience: string,
    /** Confidential client `app` (password grant and standard flow; audience mapper; BCL). */
    readonly app: ClientCredentials,
    /** SSF receiver for push streams (ssf.validPushUrls = pushUrlPrefix*). */
    readonly pushReceiver: ClientCredentials,
    /** SSF receiver for poll streams. */
    readonly pollReceiver: ClientCredentials,
    readonly users: Readonly<Record<string, RealmUser>>,
  ) {}

  /** `http://127.0.0.1:<port>/realms/<name>`: the `iss` of its tokens, SETs and logout tokens. */
  get issuer(): string {
    return `${this.admin.baseUrl}/realms/${this.name}`;
  }

  get jwksUri(): string {
    return `${this.issuer}/protocol/openid-connect/certs`;
  }

  get tokenEndpoint(): string {
    return `${this.issuer}/protocol/openid-connect/token`;
  }

  get endSessionEndpoint(): string {
    return `${this.issuer}/protocol/openid-connect/logout`;
  }

  /** The SSF receiver API (RFC 8935/8936 stream management), e.g. `${ssfUrl}/streams`. */
  get ssfUrl(): string {
    return `${this.issuer}/ssf/transmitter`;
  }

  user(username: string): RealmUser {
    const user = this.users[username];
    if (!user) throw new TypeError(`no user ${username} in realm ${this.name}`);
    return user;
  }

  /** Password grant for `app` with scope openid: a new user session. */
  async login(username: string, password = this.user(username).password): Promise<TokenSet> {
    const answer = await call<TokenSet>(this.tokenEndpoint, {
      method: 'POST',
      ...form({
        grant_type: 'password',
        client_id: this.app.clientId,
        client_secret: this.app.secret,
        username,
        password,
        scope: 'openid',
      }),
    });
    return expectStatus(`login of ${username}`, answer, 200).body;
  }

  /** OIDC end-session (POST with the refresh token): 204; BCL at once, a SET on the next tick. */
  async logout(refreshToken: string): Promise<void> {
    const answer = await call(this.endSessionEndpoint, {
      method: 'POST',
      ...form({
        client_id: this.app.clientId,
        client_secret: this.app.secret,
        refresh_token: refreshToken,
      }),
    });
    expectStatus('end-session logout', answer, 204);
  }

  /** Admin `DELETE /sessions/{sid}`: back-channel logout fires, no SSF SET. */
  deleteSession(sid: string): Promise<void> {
    return this.admin.deleteSession(this.name, sid);
  }

  /** Admin `POST /users/{id}/logout`: every session of the user. */
  logoutUser(username: string): Promise<void> {
    return this.admin.logoutUser(this.name, this.user(username).id);
  }

  /** Admin `PUT /users/{id}/reset-password`. Later logins need `password`. */
  resetPassword(username: string, password: string): Promise<void> {
    return this.admin.resetPassword(this.name, this.user(username).id, password);
  }

  /** Client-credentials token of a receiver client with `scope=ssf.read ssf.manage`. */
  async receiverToken(receiver: ClientCredentials): Promise<string> {
    const answer = await call<{ access_token: string }>(this.tokenEndpoint, {
      method: 'POST',
      ...form({
        grant_type: 'client_credentials',
        client_id: receiver.clientId,
        client_secret: receiver.secret,
        scope: 'ssf.read ssf.manage',
      }),
    });
    return expectStatus(`receiver token of ${receiver.clientId}`, answer, 200).body.access_token;
  }

  /** `POST /ssf/transmitter/streams` as the receiver (one stream per receiver client). 201. */
  async createStream(receiver: ClientCredentials, stream: SsfStreamRequest): Promise<SsfStream> {
    const answer = await call<SsfStream>(`${this.ssfUrl}/streams`, {
      method: 'POST',
      json: stream,
      headers: bearer(await this.receiverToken(receiver)),
    });
    return expectStatus(`create stream of ${receiver.clientId}`, answer, 201).body;
  }

  /** `GET /ssf/transmitter/streams` as the receiver: its streams. */
  async streams(receiver: ClientCredentials): Promise<SsfStream[]> {
    const answer = await call<SsfStream[]>(`${this.ssfUrl}/streams`, {
      headers: bearer(await this.receiverToken(receiver)),
    });
    return expectStatus(`streams of ${receiver.clientId}`, answer, 200).body;
  }

  /**
   * Admin `GET /ssf/clients/{clientId}/events/stats`: the receiver's SETs at Keycloak by delivery
   * status (`DELIVERED` once pushed with a 2xx or acknowledged after a poll; `PENDING` before).
   */
  async eventStats(receiver: ClientCredentials): Promise<Record<string, { count: number }>> {
    const answer = await this.admin.expect<{ statuses: Record<string, { count: number }> }>(
      200,
      'GET',
      `/${this.name}/ssf/clients/${receiver.clientId}/events/stats`,
    );
    return answer.body.statuses;
  }

  /** `DELETE /ssf/transmitter/streams?stream_id=`. */
  async deleteStream(receiver: ClientCredentials, streamId: string): Promise<void> {
    const answer = await call(`${this.ssfUrl}/streams?stream_id=${encodeURIComponent(streamId)}`, {
      method: 'DELETE',
      headers: bearer(await this.receiverToken(receiver)),
    });
    expectStatus(`delete stream ${streamId}`, answer, 204);
  }

  /**
   * `POST /ssf/transmitter/verify`: a verification SET with `state` is sent at once (push) or
   * queued (poll). Rate limited: one per stream per 60 s, then 429.
   */
  async verifyStream(receiver: ClientCredentials, streamId: string, state: string): Promise<void> {
    const answer = await call(`${this.ssfUrl}/verify`, {
      method: 'POST',
      json: { stream_id: streamId, state },
      headers: bearer(await this.receiverToken(receiver)),
    });
    expectStatus(`verify stream ${streamId}`, answer, 204);
  }

  /** RFC 8936 poll of a poll stream (`pollUrl` = the stream's `delivery.endpoint_url`). */
  async poll(
    receiver: ClientCredentials,
    pollUrl: string,
    request: { maxEvents?: number; ack?: string[]; returnImmediately?: boolean } = {},
  ): Promise<SsfPollAnswer> {
    const answer = await call<SsfPollAnswer>(pollUrl, {
      method: 'POST',
      json: { maxEvents: 10, returnImmediately: true, ...request },
      headers: bearer(await this.receiverToken(receiver)),
    });
    return expectStatus(`poll ${pollUrl}`, answer, 200).body;
  }

  /** Deletes the realm (its sessions, clients, streams). */
  delete(): Promise<void> {
    return this.admin.deleteRealm(this.name);
  }
}

export interface SsfStreamRequest {
  delivery: { method: string; endpoint_url?: string; authorization_header?: string };
  events_requested: string[];
  description?: string;
}

export interface SsfStream {
  stream_id: string;
  iss: string;
  aud: string | string[];
  events_supported?: string[];
  events_requested?: string[];
  events_delivered?: string[];
  delivery: { method: string; endpoint_url?: string; authorization_header?: string };
  [other: string]: unknown;
}

export interface SsfPollAnswer {
  /** jti → compact JWS (a SET). */
  sets: Record<string, string>;
  moreAvailable?: boolean;
}

let realms = 0;

/**
 * Creates a realm for one suite: SSF transmitter on; confidential client `app` (direct access
 * grants, standard flow, an audience mapper for `audience`, optional back-channel logout URL);
 * SSF receiver clients `ssf-push` and `ssf-poll` (service accounts, ssf.read/ssf.manage scopes,
 * default subjects ALL); users (verified email, names, no required actions).
 */
export async function provisionRealm(
  admin: KeycloakAdmin,
  options: ProvisionOptions = {},
): Promise<ProvisionedRealm> {
  const name = options.realm ?? `tf-${++realms}-${randomBytes(4).toString('hex')}`;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const secret = () => randomBytes(18).toString('base64url');

  await admin.createRealm({
    realm: name,
    enabled: true,
    attributes: { 'ssf.transmitterEnabled': 'true' },
    ...(options.accessTokenLifespanSeconds === undefined
      ? {}
      : { accessTokenLifespan: options.accessTokenLifespanSeconds }),
  });

  const appSecret = secret();
  const appAttributes: Record<string, string> = {
    'backchannel.logout.session.required': 'true',
    'post.logout.redirect.uris': '+',
  };
  if (options.backchannelLogoutUrl) {
    appAttributes['backchannel.logout.url'] = options.backchannelLogoutUrl;
  }
  const appId = await admin.createClient(name, {
    clientId: 'app',
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    secret: appSecret,
    directAccessGrantsEnabled: true,
    standardFlowEnabled: true,
    frontchannelLogout: false,
    redirectUris: options.redirectUris ?? ['http://127.0.0.1/*'],
    attributes: appAttributes,
    protocolMappers: [
      {
        name: 'tokenfence-audience',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: {
          'included.custom.audience': audience,
          'access.token.claim': 'true',
          'id.token.claim': 'false',
          'introspection.token.claim': 'true',
        },
      },
    ],
  });

  const receiver = async (clientId: string, attributes: Record<string, string>) => {
    const clientSecret = secret();
    const id = await admin.createClient(name, {
      clientId,
      enabled: true,
      protocol: 'openid-connect',
      publicClient: false,
      secret: clientSecret,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      optionalClientScopes: ['ssf.read', 'ssf.manage'],
      attributes: { 'ssf.enabled': 'true', 'ssf.defaultSubjects': 'ALL', ...attributes },
    });
    return { clientId, id, secret: clientSecret };
  };
  const pushReceiver = await receiver('ssf-push', {
    'ssf.validPushUrls': `${options.pushUrlPrefix ?? 'http://127.0.0.1:'}*`,
  });
  const pollReceiver = await receiver('ssf-poll', {});

  const users: Record<string, RealmUser> = {};
  for (const spec of options.users ?? [{ username: 'alice' }, { username: 'bob' }]) {
    const password = spec.password ?? secret();
    const email = `${spec.username}@example.com`;
    const firstName = spec.firstName ?? spec.username[0].toUpperCase() + spec.username.slice(1);
    const id = await admin.createUser(name, {
      username: spec.username,
      enabled: true,
      email,
      emailVerified: true,
      firstName,
      lastName: spec.lastName ?? 'Test',
      requiredActions: [],
      credentials: [{ type: 'password', value: password, temporary: false }],
    });
    users[spec.username] = { id, username: spec.username, password, email };
  }

  return new ProvisionedRealm(
    admin,
    name,
    audience,
    { clientId: 'app', id: appId, secret: appSecret },
    pushReceiver,
    pollReceiver,
    users,
  );
}
