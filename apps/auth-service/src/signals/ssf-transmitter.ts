import type { IdentityProvider, SharedSignalsSettings } from './identity-providers.js';

export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';

/** Every call to a transmitter gives up after this long. */
const TIMEOUT_MS = 5_000;
/** Longest answer read from a transmitter (a poll answer carries up to 50 SETs). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** A client-credentials token is renewed this long before it expires. */
const TOKEN_RENEWAL_MARGIN_MS = 30_000;

/** What went wrong talking to a transmitter (logged, and the work retried with a backoff). */
export class TransmitterError extends Error {
  override readonly name = 'TransmitterError';
}

/** The transmitter's SSF configuration (SSF 1.0 section 7.1), as far as we use it. */
export interface TransmitterConfiguration {
  readonly configurationEndpoint: string;
  readonly verificationEndpoint: string | undefined;
  readonly deliveryMethods: readonly string[];
}

/** A stream as the transmitter describes it (SSF 1.0 section 8.1.1). */
export interface TransmitterStream {
  readonly streamId: string;
  readonly audience: readonly string[];
  readonly deliveryMethod: string;
  /** Push: our endpoint; poll: the transmitter's poll endpoint. */
  readonly endpointUrl: string | undefined;
}

/** An RFC 8936 poll answer. */
export interface PollAnswer {
  readonly sets: ReadonlyMap<string, string>;
  readonly moreAvailable: boolean;
}

/** RFC 8936 section 2.4 acknowledgements of earlier SETs, sent with the next poll. */
export interface PollAcknowledgements {
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { err: string; description: string }>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Our side of one provider's SSF transmitter API: discovery, a client-credentials token of our
 * receiver client, stream management, verification and polling. Every URL it is given by the
 * transmitter must be on the origin of the issuer or of the configured URLs: our token never
 * leaves for a host the configuration did not name.
 */
export class SsfTransmitter {
  private readonly settings: SharedSignalsSettings;
  private readonly origins: ReadonlySet<string>;
  private token: { value: string; renewAtMs: number } | undefined;
  private configuration: TransmitterConfiguration | undefined;

  constructor(
    private readonly provider: IdentityProvider,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!provider.sharedSignals) throw new Error(`${provider.id} has no "ssf" settings`);
    this.settings = provider.sharedSignals;
    this.origins = new Set(
      [provider.issuer, this.settings.configurationUrl, this.settings.tokenEndpoint]
        .filter((u): u is string => u !== undefined)
        .map((u) => new URL(u).origin),
    );
  }

  /** SSF 1.0 section 7.2.1, and the form Keycloak serves (the suffix after the issuer's path). */
  async discover(): Promise<TransmitterConfiguration> {
    if (this.configuration) return this.configuration;
    const issuer = new URL(this.provider.issuer);
    const path = issuer.pathname === '/' ? '' : issuer.pathname;
    const candidates = this.settings.configurationUrl
      ? [this.settings.configurationUrl]
      : [
          `${issuer.origin}/.well-known/ssf-configuration${path}`,
          `${this.provider.issuer.replace(/\/$/, '')}/.well-known/ssf-configuration`,
        ];
    for (const url of candidates) {
      const answer = await this.request('GET', url, undefined, false);
      if (answer.status === 404) continue;
      const doc = this.expect(answer, 200, 'the SSF configuration');
      if (!isRecord(doc) || doc.issuer !== this.provider.issuer) {
        throw new TransmitterError(
          `the SSF configuration at ${url} is not of ${this.provider.issuer}`,
        );
      }
      const methods = Array.isArray(doc.delivery_methods_supported)
        ? doc.delivery_methods_supported.filter((m): m is string => typeof m === 'string')
        : [];
      this.configuration = {
        configurationEndpoint: this.ownUrl(doc.configuration_endpoint, 'configuration_endpoint'),
        verificationEndpoint:
          doc.verification_endpoint === undefined
            ? undefined
            : this.ownUrl(doc.verification_endpoint, 'verification_endpoint'),
        deliveryMethods: methods,
      };
      return this.configuration;
    }
    throw new TransmitterError(`no SSF configuration found for ${this.provider.issuer}`);
  }

  /** The streams our receiver client has (SSF 1.0 section 8.1.1.2). */
  async streams(): Promise<TransmitterStream[]> {
    const { configurationEndpoint } = await this.discover();
    const doc = this.expect(
      await this.request('GET', configurationEndpoint),
      200,
      'the stream list',
    );
    const list = Array.isArray(doc) ? doc : isRecord(doc) ? [doc] : [];
    return list.filter(isRecord).map((s) => this.streamOf(s));
  }

  async createStream(
    delivery: Record<string, string>,
    events: readonly string[],
  ): Promise<TransmitterStream> {
    const { configurationEndpoint } = await this.discover();
    const doc = this.expect(
      await this.request('POST', configurationEndpoint, {
        delivery,
        events_requested: events,
        description: "tokenfence: revocations of this provider's tokens",
      }),
      201,
      'the stream creation',
    );
    if (!isRecord(doc)) throw new TransmitterError('the stream creation answered no stream');
    return this.streamOf(doc);
  }

  async deleteStream(streamId: string): Promise<void> {
    const { configurationEndpoint } = await this.discover();
    const url = new URL(configurationEndpoint);
    url.searchParams.set('stream_id', streamId);
    const answer = await this.request('DELETE', url.toString());
    if (answer.status !== 204 && answer.status !== 200 && answer.status !== 404) {
      throw new TransmitterError(`deleting stream ${streamId} answered ${answer.status}`);
    }
  }

  /** Asks for a verification event carrying `state` (SSF 1.0 section 8.1.4.2). */
  async verify(streamId: string, state: string): Promise<void> {
    const { verificationEndpoint } = await this.discover();
    if (!verificationEndpoint) return;
    const answer = await this.request('POST', verificationEndpoint, { stream_id: streamId, state });
    if (answer.status !== 204 && answer.status !== 200) {
      throw new TransmitterError(`the verification request answered ${answer.status}`);
    }
  }

  /** One RFC 8936 poll, acknowledging earlier SETs; returns at once. */
  async poll(
    pollUrl: string,
    acknowledgements: PollAcknowledgements,
    maxEvents = 50,
  ): Promise<PollAnswer> {
    const url = this.ownUrl(pollUrl, 'the poll endpoint');
    const body: Record<string, unknown> = { maxEvents, returnImmediately: true };
    if (acknowledgements.ack.length > 0) body.ack = acknowledgements.ack;
    if (Object.keys(acknowledgements.setErrs).length > 0) body.setErrs = acknowledgements.setErrs;
    const doc = this.expect(await this.request('POST', url, body), 200, 'the poll');
    const sets = isRecord(doc) && isRecord(doc.sets) ? doc.sets : {};
    return {
      sets: new Map(
        Object.entries(sets).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
      moreAvailable: isRecord(doc) && doc.moreAvailable === true,
    };
  }

  private streamOf(doc: Record<string, unknown>): TransmitterStream {
    const delivery = isRecord(doc.delivery) ? doc.delivery : {};
    const aud = doc.aud;
    const audience = (Array.isArray(aud) ? aud : [aud]).filter(
      (a): a is string => typeof a === 'string' && a !== '',
    );
    if (typeof doc.stream_id !== 'string' || doc.stream_id === '') {
      throw new TransmitterError('a stream without a stream_id');
    }
    return {
      streamId: doc.stream_id,
      audience,
      deliveryMethod: typeof delivery.method === 'string' ? delivery.method : '',
      endpointUrl: typeof delivery.endpoint_url === 'string' ? delivery.endpoint_url : undefined,
    };
  }

  /** A URL the transmitter gave us, if it is on an origin we trust with our token. */
  private ownUrl(value: unknown, what: string): string {
    if (typeof value !== 'string') throw new TransmitterError(`no ${what}`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new TransmitterError(`${what} is not a URL`);
    }
    if (!this.origins.has(url.origin)) {
      throw new TransmitterError(`${what} is on ${url.origin}, not on the provider's origin`);
    }
    return url.toString();
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.renewAtMs > this.nowMs()) return this.token.value;
    const endpoint = this.settings.tokenEndpoint ?? (await this.discoverTokenEndpoint());
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.settings.scope) form.set('scope', this.settings.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(this.settings.clientId)}:${encodeURIComponent(this.settings.clientSecret)}`,
    ).toString('base64');
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    const doc = this.expect(await readAnswer(response), 200, 'the client-credentials token');
    if (!isRecord(doc) || typeof doc.access_token !== 'string') {
      throw new TransmitterError('the token endpoint answered no access_token');
    }
    const lifetimeMs = (typeof doc.expires_in === 'number' ? doc.expires_in : 60) * 1000;
    this.token = {
      value: doc.access_token,
      renewAtMs: this.nowMs() + Math.max(0, lifetimeMs - TOKEN_RENEWAL_MARGIN_MS),
    };
    return doc.access_token;
  }

  private async discoverTokenEndpoint(): Promise<string> {
    const url = `${this.provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const doc = this.expect(
      await this.request('GET', url, undefined, false),
      200,
      'the OpenID configuration',
    );
    if (!isRecord(doc) || doc.issuer !== this.provider.issuer) {
      throw new TransmitterError(
        `the OpenID configuration at ${url} is not of ${this.provider.issuer}`,
      );
    }
    return this.ownUrl(doc.token_endpoint, 'token_endpoint');
  }

  private async request(
    method: string,
    url: string,
    json?: unknown,
    authorized = true,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorized) headers.authorization = `Bearer ${await this.accessToken()}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    // A refused token (expired early, revoked): the next call fetches a new one.
    if (response.status === 401) this.token = undefined;
    return readAnswer(response);
  }

  private expect(answer: { status: number; body: unknown }, status: number, what: string): unknown {
    if (answer.status !== status) {
      throw new TransmitterError(`${what} answered ${answer.status}, not ${status}`);
    }
    return answer.body;
  }
}

async function readAnswer(response: Response): Promise<{ status: number; body: unknown }> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw new TransmitterError(`an answer of ${length} bytes, over ${MAX_ANSWER_BYTES}`);
  }
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) throw new TransmitterError('an answer over 1 MiB');
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}
