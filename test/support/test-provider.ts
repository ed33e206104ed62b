import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** The event of a logout token (OIDC Back-Channel Logout 1.0). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
/** The SSF event types the stand-in transmitter supports: Keycloak 26.7.3's (CAEP only). */
export const SSF_EVENTS = {
  sessionRevoked: `${CAEP}session-revoked`,
  credentialChange: `${CAEP}credential-change`,
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
} as const;

const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
const POLL_DELIVERY = 'urn:ietf:rfc:8936';
/** The scopes of Keycloak's SSF receiver API: `ssf.read` to list and poll, `ssf.manage` for the rest. */
const SSF_SCOPES = ['ssf.read', 'ssf.manage'] as const;

/** The receiver client the stand-in transmitter knows (Keycloak: a client with `ssf.enabled`). */
export interface TransmitterClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The stream a receiver set up at the stand-in transmitter (one per client, as Keycloak). */
export interface TransmitterStream {
  readonly streamId: string;
  /** Its SETs' `aud`: `<client id>/<stream id>`. */
  readonly audience: string;
  readonly method: string;
  /** Push: the receiver's endpoint. */
  readonly endpointUrl: string | undefined;
  /** Push: the Authorization header value sent with each SET, verbatim. */
  readonly authorizationHeader: string | undefined;
  readonly eventsRequested: readonly string[];
  readonly description: string | undefined;
}

/** A push and the receiver's answer to it. */
export interface PushAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** A verification SET the stand-in pushed when asked to, with the receiver's answer. */
export interface Verification {
  readonly streamId: string;
  readonly state: string | undefined;
  readonly answer: PushAnswer | { readonly error: string };
}

/**
 * A stand-in identity provider for suites that test our side of its signals: an RS256 key whose
 * JWKS it serves on 127.0.0.1 (its issuer is that origin), and logout tokens signed with it, as
 * Keycloak shapes them. The real providers (Keycloak, oidc-provider) are in `test/idp`.
 *
 * Started with a `transmitter` client, it is also an SSF transmitter shaped like Keycloak
 * 26.7.3's (see the Keycloak recipe in the shared reviews): its OpenID configuration, the
 * realm-relative `<issuer>/.well-known/ssf-configuration`, a client-credentials token endpoint
 * for that client, the streams endpoint (one stream per client) and the verify endpoint, which
 * pushes a verification SET to the stream at once. Suites then push SETs it signs
 * (`securityEventToken`, `push`) with the stream's own Authorization header.
 */
export class TestProvider {
  private stream: TransmitterStream | undefined;
  private readonly accessTokens = new Map<string, { scopes: Set<string>; expiresAtMs: number }>();
  /** Each verification SET pushed, in order. */
  readonly verifications: Verification[] = [];

  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private readonly privateKey: PrivateKey,
    readonly kid: string,
    readonly transmitterClient: TransmitterClient | undefined,
  ) {}

  static async start(
    options: { readonly transmitter?: TransmitterClient } = {},
  ): Promise<TestProvider> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const kid = `test-${randomUUID()}`;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }],
    });
    // The server answers for the provider it is created for, once that is.
    const started: { provider?: TestProvider } = {};
    const server = createServer((req, res) => {
      const provider = started.provider;
      if (req.url === '/certs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else if (provider?.transmitterClient) {
        provider.transmit(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    started.provider = new TestProvider(
      `http://127.0.0.1:${port}/realms/test`,
      server,
      privateKey,
      kid,
      options.transmitter,
    );
    return started.provider;
  }

  get jwksUri(): string {
    return `${new URL(this.issuer).origin}/certs`;
  }

  /** Its entry in the auth service's IDENTITY_PROVIDERS. */
  entry(id: string, more: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id,
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      backchannel_logout: { audiences: ['app'] },
      max_token_lifetime_seconds: 300,
      ...more,
    };
  }

  /** A logout token for `claims` (sub and/or sid), fresh, addressed to client `app`. */
  logoutToken(
    claims: JWTPayload,
    options: { readonly key?: PrivateKey; readonly header?: Record<string, unknown> } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.issuer,
      aud: 'app',
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      typ: 'Logout',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: this.kid, ...options.header })
      .sign(options.key ?? this.privateKey);
  }

  /** The stream a receiver set up here, once it has. */
  get currentStream(): TransmitterStream | undefined {
    return this.stream;
  }

  /**
   * A security event token for `claims` (`events`, `sub_id`...), fresh, addressed to the current
   * stream's audience, shaped as Keycloak's: `typ: secevent+jwt`, a `jti`, `iat`, `txn`, no `exp`.
   */
  securityEventToken(
    claims: JWTPayload,
    options: { readonly key?: PrivateKey; readonly header?: Record<string, unknown> } = {},
  ): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      iss: this.issuer,
      iat: Math.floor(Date.now() / 1000),
      ...(this.stream ? { aud: this.stream.audience } : {}),
      txn: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: this.kid, ...options.header })
      .sign(options.key ?? this.privateKey);
  }

  /**
   * Pushes `body` to the current push stream's endpoint as Keycloak does (RFC 8935: POST,
   * `application/secevent+jwt`, the stream's Authorization header verbatim); `authorization`
   * (null: none) and `contentType` replace those, for forgeries. The receiver's answer.
   */
  async push(
    body: string,
    options: { readonly authorization?: string | null; readonly contentType?: string } = {},
  ): Promise<PushAnswer> {
    const stream = this.stream;
    if (!stream?.endpointUrl) throw new Error('no push stream has been set up at the provider');
    const authorization =
      options.authorization === undefined ? stream.authorizationHeader : options.authorization;
    const response = await fetch(stream.endpointUrl, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/secevent+jwt',
        ...(authorization === null || authorization === undefined ? {} : { authorization }),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The transmitter's endpoints, under the issuer's path as Keycloak's realm endpoints are. */
  private async transmit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const realm = new URL(this.issuer).pathname;
    const path = url.pathname.startsWith(`${realm}/`) ? url.pathname.slice(realm.length) : '';
    const route = `${req.method ?? 'GET'} ${path}`;
    const body = await readBody(req);
    switch (route) {
      case 'GET /.well-known/openid-configuration':
        return json(res, 200, {
          issuer: this.issuer,
          token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
          jwks_uri: this.jwksUri,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
      case 'GET /.well-known/ssf-configuration':
        return json(res, 200, this.ssfConfiguration());
      case 'POST /protocol/openid-connect/token':
        return this.token(req, body, res);
      case 'GET /ssf/transmitter/streams':
        if (!this.authorized(req, 'ssf.read')) return json(res, 401, undefined);
        return json(res, 200, this.stream ? [this.streamDoc(this.stream)] : []);
      case 'POST /ssf/transmitter/streams':
        if (!this.authorized(req, 'ssf.manage')) return json(res, 401, undefined);
        return this.createStream(body, res);
      case 'DELETE /ssf/transmitter/streams':
        if (!this.authorized(req, 'ssf.manage')) return json(res, 401, undefined);
        if (!this.stream || url.searchParams.get('stream_id') !== this.stream.streamId) {
          return json(res, 404, {
            error: 'stream_not_found',
            error_description: 'Stream not found',
          });
        }
        this.stream = undefined;
        return json(res, 204, undefined);
      case 'POST /ssf/transmitter/verify':
        if (!this.authorized(req, 'ssf.manage')) return json(res, 401, undefined);
        return this.verify(body, res);
      default:
        return json(res, 404, undefined);
    }
  }

  private ssfConfiguration(): Record<string, unknown> {
    const api = `${this.issuer}/ssf/transmitter`;
    return {
      spec_version: '1_0',
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      delivery_methods_supported: [PUSH_DELIVERY, POLL_DELIVERY],
      configuration_endpoint: `${api}/streams`,
      status_endpoint: `${api}/streams/status`,
      add_subject_endpoint: `${api}/subjects/add`,
      remove_subject_endpoint: `${api}/subjects/remove`,
      verification_endpoint: `${api}/verify`,
      critical_subject_members: ['user'],
      default_subjects: 'NONE',
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
    };
  }

  /** client_credentials for the receiver client, by client_secret_basic or client_secret_post. */
  private token(req: IncomingMessage, body: string, res: ServerResponse): void {
    const client = this.transmitterClient as TransmitterClient;
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id = '', secret = ''] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id);
      clientSecret = decodeURIComponent(secret);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return json(res, 400, { error: 'unsupported_grant_type' });
    }
    if (clientId !== client.clientId || clientSecret !== client.clientSecret) {
      return json(res, 401, {
        error: 'unauthorized_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    }
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const unknown = requested.filter((s) => !(SSF_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) {
      return json(res, 400, {
        error: 'invalid_scope',
        error_description: `Invalid scopes: ${requested.join(' ')}`,
      });
    }
    const value = randomBytes(24).toString('base64url');
    this.accessTokens.set(value, { scopes: new Set(requested), expiresAtMs: Date.now() + 300_000 });
    return json(res, 200, {
      access_token: value,
      token_type: 'Bearer',
      expires_in: 300,
      scope: requested.join(' '),
    });
  }

  /** Whether the request carries a live token of ours with `scope` (Keycloak: else 401). */
  private authorized(req: IncomingMessage, scope: string): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const token = match ? this.accessTokens.get(match[1]) : undefined;
    return token !== undefined && token.expiresAtMs > Date.now() && token.scopes.has(scope);
  }

  private createStream(body: string, res: ServerResponse): void {
    const client = this.transmitterClient as TransmitterClient;
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return json(res, 400, { error: 'invalid_request' });
    }
    if (this.stream) {
      return json(res, 409, {
        error: 'stream_error',
        error_description: `client ${client.clientId} already has a stream`,
      });
    }
    const delivery = (request.delivery ?? {}) as Record<string, unknown>;
    const method = delivery.method;
    const endpointUrl = delivery.endpoint_url;
    if (method !== PUSH_DELIVERY && method !== POLL_DELIVERY) {
      return json(res, 400, { error: 'stream_error', error_description: 'unsupported delivery' });
    }
    if (method === PUSH_DELIVERY && typeof endpointUrl !== 'string') {
      return json(res, 400, {
        error: 'stream_error',
        error_description: 'delivery.endpoint_url is required for push',
      });
    }
    const streamId = randomUUID();
    const requested = Array.isArray(request.events_requested)
      ? request.events_requested.filter((e): e is string => typeof e === 'string')
      : [];
    this.stream = {
      streamId,
      audience: `${client.clientId}/${streamId}`,
      method,
      endpointUrl:
        method === PUSH_DELIVERY
          ? (endpointUrl as string)
          : `${this.issuer}/ssf/transmitter/receivers/${client.clientId}/streams/${streamId}/poll`,
      authorizationHeader:
        typeof delivery.authorization_header === 'string'
          ? delivery.authorization_header
          : undefined,
      eventsRequested: requested,
      description: typeof request.description === 'string' ? request.description : undefined,
    };
    return json(res, 201, this.streamDoc(this.stream));
  }

  private streamDoc(stream: TransmitterStream): Record<string, unknown> {
    const supported = [SSF_EVENTS.sessionRevoked, SSF_EVENTS.credentialChange];
    return {
      stream_id: stream.streamId,
      iss: this.issuer,
      aud: [stream.audience],
      events_supported: supported,
      events_requested: stream.eventsRequested,
      events_delivered: supported.filter((e) => stream.eventsRequested.includes(e)),
      delivery: {
        method: stream.method,
        endpoint_url: stream.endpointUrl,
        ...(stream.authorizationHeader === undefined
          ? {}
          : { authorization_header: stream.authorizationHeader }),
      },
      min_verification_interval: 60,
      ...(stream.description === undefined ? {} : { description: stream.description }),
      default_subjects: 'ALL',
    };
  }

  /** 204, then the verification SET pushed at once (Keycloak: not through its outbox). */
  private verify(body: string, res: ServerResponse): void {
    let request: Record<string, unknown> = {};
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // no stream_id: not found below
    }
    const stream = this.stream;
    if (!stream || request.stream_id !== stream.streamId) {
      return json(res, 404, {
        error: 'stream_verification_error',
        error_description: 'Stream not found',
      });
    }
    const state = typeof request.state === 'string' ? request.state : undefined;
    json(res, 204, undefined);
    if (stream.method !== PUSH_DELIVERY) return;
    void this.securityEventToken({
      events: { [SSF_EVENTS.verification]: state === undefined ? {} : { state } },
      sub_id: { format: 'opaque', id: stream.streamId },
    })
      .then((set) => this.push(set))
      .then(
        (answer) => this.verifications.push({ streamId: stream.streamId, state, answer }),
        (err: unknown) =>
          this.verifications.push({
            streamId: stream.streamId,
            state,
            answer: { error: (err as Error).message },
          }),
      );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** POSTs a logout token to the auth service's back-channel logout endpoint of `providerId`. */
export async function postLogoutToken(
  authUrl: string,
  providerId: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${authUrl}/signals/${providerId}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: response.headers,
  };
}
