import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { backoffDelayMs } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { KeySourceFailure } from './key-source.js';
import type { GuardLogger } from './logger.js';
import { rejectRenamedOptions } from './renamed-options.js';

export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 600_000;
export const DEFAULT_JWKS_COOLDOWN_MS = 5_000;
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
/** Forced reloads (they bypass the cooldown) start at most this often while fetches succeed. */
const FORCED_RELOAD_INTERVAL_MS = 1_000;
/** Failed fetches back off up to this fraction of the max age (60 s by default). */
const BACKOFF_CAP_FRACTION = 0.1;

export interface JwksKeySourceOptions {
  readonly jwksUrl: URL | string;
  /** A key set older than this is refetched on the next lookup. Default 600000. */
  readonly jwksCacheMaxAgeMs?: number;
  /**
   * Lookups start a fetch (unknown `kid`, key set too old) at most this often: bounds what forged
   * kids cost. After a failed fetch, the next one (forced reloads included) waits this long, then
   * twice as long after each further failure, up to a tenth of `jwksCacheMaxAgeMs` (at least
   * this), each delay plus a random part of up to half of it. Default 5000.
   */
  readonly jwksCooldownMs?: number;
  /** A fetch is aborted after this long. Default 5000. */
  readonly fetchTimeoutMs?: number;
  readonly clock?: Clock;
  /** Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** A number in [0, 1) for the backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
  readonly logger?: GuardLogger;
}

/** The kids that appeared in, and left, the key set on a fetch. */
export interface KeySetChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export type KeySetListener = (change: KeySetChange) => void;

/** How current the key set is, for health reports. */
export interface KeySetHealth {
  /** Since the last successful fetch started, in ms; null before the first. */
  readonly ageMs: number | null;
  /** Never fetched, or older than the max age: a refresh is due or failing. */
  readonly stale: boolean;
  /** Failed fetches in a row. */
  readonly failures: number;
  /** Why the last fetch failed, while fetches fail; null once one succeeds. */
  readonly lastError: string | null;
}

/**
 * The auth service's JWKS, fetched over HTTP and kept in memory. Unlike jose's remote set it
 * serves a known kid at once while a refresh runs in the background, keeps serving the last good
 * key set when a refresh fails (stale-while-error), tells when it last fetched successfully, can
 * be told to reload at once, and reports which kids came and went.
 *
 * Fetch scheduling is in one place (`due`): at most one fetch in flight, lookups at most once per
 * cooldown, forced reloads at most once a second, and after failures an exponential backoff with
 * jitter that holds for every kind of fetch, so an outage never turns into a fetch storm.
 */
export class JwksKeySource {
  private readonly url: URL;
  private readonly clock: Clock;
  private readonly fetchImpl: typeof fetch;
  private readonly cacheMaxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly backoffCapMs: number;
  private readonly random: () => number;
  private keySet: JWTVerifyGetKey | undefined;
  private kids = new Set<string>();
  private fetchedAtMs: number | undefined;
  private attemptedAtMs: number | undefined;
  private forcedAtMs: number | undefined;
  private lastFailure: unknown;
  /** Failed fetches in a row, and when the next fetch may start after the last of them. */
  private failures = 0;
  private retryAtMs = 0;
  private inFlight: Promise<void> | undefined;
  private readonly listeners = new Set<KeySetListener>();

  constructor(private readonly options: JwksKeySourceOptions) {
    rejectRenamedOptions('JwksKeySource', options, {
      url: 'jwksUrl',
      cacheMaxAgeMs: 'jwksCacheMaxAgeMs',
      cooldownMs: 'jwksCooldownMs',
    });
    this.url = new URL(options.jwksUrl);
    this.clock = options.clock ?? systemClock;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.cacheMaxAgeMs = options.jwksCacheMaxAgeMs ?? DEFAULT_JWKS_CACHE_MAX_AGE_MS;
    this.cooldownMs = options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.backoffCapMs = Math.max(this.cooldownMs, this.cacheMaxAgeMs * BACKOFF_CAP_FRACTION);
    this.random = options.random ?? Math.random;
  }

  /** A jose key resolver over this source, for `jwtVerify` and the verifiers. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.clock.nowMs();
    const known =
      this.keySet !== undefined && (header.kid === undefined || this.kids.has(header.kid));
    if (!known) {
      // Only a fetch can tell: start one, or join the one in flight.
      await this.refresh();
    } else if (this.isTooOld(now) && this.due(now, false)) {
      // Served from the last good keys at once; the refresh runs in the background.
      this.fetchOnce().catch((err: unknown) => {
        this.options.logger?.error(`refreshing the JWKS failed: ${errorMessage(err)}`);
      });
    }
    if (!this.keySet) {
      throw new KeySourceFailure('the JWKS has never been fetched', { cause: this.lastFailure });
    }
    return this.keySet(header, token);
  };

  /**
   * What a lookup of an unknown `kid` does: fetches the key set unless a lookup started a fetch
   * within the cooldown (or failed fetches are backing off), and joins a fetch in flight. Never
   * rejects: a failure keeps the last good set. With several issuers, the guard calls it on every
   * issuer's source when no source holds a token's `kid`.
   */
  async refresh(): Promise<void> {
    await (this.due(this.clock.nowMs(), false) ? this.fetchOnce() : this.inFlight);
  }

  /** Whether the current key set holds `kid`. */
  has(kid: string): boolean {
    return this.kids.has(kid);
  }

  /** When the last successful fetch started (ms since the epoch), undefined before the first. */
  lastFetchedAtMs(): number | undefined {
    return this.fetchedAtMs;
  }

  /**
   * Fetches the key set now, bypassing the cooldown, unless a forced reload started less than a
   * second ago or failed fetches are backing off; joins a fetch already in flight. Never
   * rejects: a failure keeps the last good set.
   */
  async reload(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const now = this.clock.nowMs();
    if (!this.due(now, true)) return;
    this.forcedAtMs = now;
    return this.fetchOnce();
  }

  health(): KeySetHealth {
    const now = this.clock.nowMs();
    return {
      ageMs: this.fetchedAtMs === undefined ? null : now - this.fetchedAtMs,
      stale: this.isTooOld(now),
      failures: this.failures,
      lastError: this.lastFailure === undefined ? null : errorMessage(this.lastFailure),
    };
  }

  /** Calls `listener` with the kids that appear and leave on every fetch; returns an unsubscribe. */
  onChange(listener: KeySetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private isTooOld(now: number): boolean {
    return this.fetchedAtMs === undefined || now - this.fetchedAtMs >= this.cacheMaxAgeMs;
  }

  /** Whether a fetch may start now: the one place that decides when to refetch. */
  private due(now: number, forced: boolean): boolean {
    if (this.inFlight) return false;
    if (this.failures > 0) return now >= this.retryAtMs;
    if (forced) {
      return this.forcedAtMs === undefined || now - this.forcedAtMs >= FORCED_RELOAD_INTERVAL_MS;
    }
    return this.attemptedAtMs === undefined || now - this.attemptedAtMs >= this.cooldownMs;
  }

  /** After the n-th failure in a row: min(cap, cooldown × 2^(n-1)), plus up to half as jitter. */
  private backoffMs(): number {
    return backoffDelayMs({
      failures: this.failures,
      minMs: this.cooldownMs,
      maxMs: this.backoffCapMs,
      random: this.random,
    });
  }

  private fetchOnce(): Promise<void> {
    this.inFlight ??= this.fetchKeySet().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeySet(): Promise<void> {
    const startedAt = this.clock.nowMs();
    this.attemptedAtMs = startedAt;
    let jwks: JSONWebKeySet;
    let keySet: JWTVerifyGetKey;
    try {
      const response = await this.fetchImpl(this.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.fetchTimeoutMs),
      });
      if (!response.ok) throw new Error(`the JWKS endpoint answered ${response.status}`);
      jwks = (await response.json()) as JSONWebKeySet;
      keySet = createLocalJWKSet(jwks); // throws on anything but a JWKS
    } catch (err) {
      if (this.lastFailure === undefined) {
        const kept = this.fetchedAtMs === undefined ? 'no keys yet' : 'keeping the last good keys';
        this.options.logger?.warn(`fetching the JWKS failed (${errorMessage(err)}); ${kept}`);
      }
      this.lastFailure = err;
      this.failures++;
      this.retryAtMs = this.clock.nowMs() + this.backoffMs();
      return;
    }
    if (this.lastFailure !== undefined) this.options.logger?.log('fetching the JWKS works again');
    this.lastFailure = undefined;
    this.failures = 0;
    const kids = new Set(
      jwks.keys.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string'),
    );
    const change: KeySetChange = {
      added: [...kids].filter((kid) => !this.kids.has(kid)),
      removed: [...this.kids].filter((kid) => !kids.has(kid)),
    };
    this.keySet = keySet;
    this.kids = kids;
    this.fetchedAtMs = startedAt;
    if (change.added.length === 0 && change.removed.length === 0) return;
    for (const listener of this.listeners) listener(change);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
