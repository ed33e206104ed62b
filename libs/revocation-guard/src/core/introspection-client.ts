import { LRUCache } from 'lru-cache';

export interface IntrospectionOptions {
  /** The auth service's RFC 7662 endpoint, e.g. `http://127.0.0.1:3000/oauth/introspect`. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** How long an answer is reused for the same token. Default 5000. */
  readonly cacheTtlMs?: number;
  /** Default 2000. */
  readonly timeoutMs?: number;
}

/** The introspection endpoint could not answer; the caller fails closed. */
export class IntrospectionUnavailable extends Error {
  override readonly name = 'IntrospectionUnavailable';
}

/**
 * Asks the auth service whether a token is still active (RFC 7662), with `client_secret_basic`,
 * and caches each answer briefly. Only used while the local revocation state is stale.
 */
export class IntrospectionClient {
  private readonly cache: LRUCache<string, boolean>;
  private readonly authorization: string;

  constructor(private readonly options: IntrospectionOptions) {
    this.cache = new LRUCache<string, boolean>({ max: 10_000, ttl: options.cacheTtlMs ?? 5_000 });
    const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  async isActive(token: string): Promise<boolean> {
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached;
    let active: boolean;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      });
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
      const body = (await response.json()) as { active?: unknown };
      if (typeof body.active !== 'boolean') throw new Error('introspection answer lacks "active"');
      active = body.active;
    } catch (err) {
      throw new IntrospectionUnavailable('introspection failed', { cause: err });
    }
    this.cache.set(token, active);
    return active;
  }
}
