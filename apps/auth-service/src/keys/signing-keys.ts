import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { EVENT_KEY_ID_PREFIX } from '@tokenfence/contract';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import {
  AUTH_CONFIG,
  longestTokenLifetimeSeconds,
  type AuthConfig,
} from '../config/auth-config.js';
import { DATABASE, type Database, type Queryable } from '../database/database.js';

export type KeyPurpose = 'token' | 'event';
type KeyAlgorithm = AuthConfig['signingAlgorithm'];

export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly privateKey: CryptoKey;
}

interface KeyRow {
  kid: string;
  alg: KeyAlgorithm;
  purpose: KeyPurpose;
  /** Milliseconds until it signs (0 once it does), on the database's clock. */
  activates_in_ms: string | number;
  /** Signs now: activated and not retired. */
  in_service: boolean;
  /** In service or waiting for its activation time. */
  current: boolean;
  public_jwk: JWK | string;
  private_jwk: JWK | string;
}

/** Event keys are always Ed25519: the fastest to verify on a consumer's cold start. */
const EVENT_KEY_ALG: KeyAlgorithm = 'EdDSA';

const asJwk = (value: JWK | string): JWK =>
  typeof value === 'string' ? (JSON.parse(value) as JWK) : value;

/** Every instance reloads its keys this often (activations and retirements that came due). */
const RELOAD_INTERVAL_MS = 30_000;
/**
 * Every instance checks this often whether a key was added or revoked anywhere (one tiny query),
 * and reloads at once if so: no instance signs with, or trusts, a revoked key for longer.
 */
const WATCH_INTERVAL_MS = 500;
/** Serializes rotations and key generation among instances (a transaction-scoped advisory lock). */
const ROTATION_LOCK_KEY = 7_283_403;
/**
 * The replacement of a revoked event key is published this long before it signs. Every instance
 * serves it in its JWKS by then (each notices a new key within WATCH_INTERVAL_MS), so a guard
 * that fetches the JWKS from any instance on the first message under the new key finds it, and
 * never skips that message as signed by an unknown key.
 */
const REPLACEMENT_EVENT_KEY_LEAD_SECONDS = 2;

/**
 * The service's signing keys, kept in the database so that restarts and other instances sign
 * with the same keys: one signs access tokens, one signs revocation events. The first start
 * generates them. Both are published in the JWKS; their `kid`s keep them apart.
 */
@Injectable()
export class SigningKeys implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private reloadTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  /** Reloads when the next published key starts to sign. */
  private activationTimer: NodeJS.Timeout | undefined;
  /** What the key table looked like at the last reload: key count and revoked count. */
  private seen = '';
  private watching = false;
  private tokenKey: ActiveSigningKey | undefined;
  private eventKey: ActiveSigningKey | undefined;
  private publicJwks: JWK[] = [];
  private localKeySet: JWTVerifyGetKey | undefined;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.rotateIfDue();
    this.reloadTimer = setInterval(() => {
      this.rotateIfDue()
        .then(() => this.reload())
        .catch((err: unknown) =>
          this.logger.warn(`reloading keys failed: ${(err as Error).message}`),
        );
    }, RELOAD_INTERVAL_MS);
    this.reloadTimer.unref();
    this.watchTimer = setInterval(() => void this.reloadIfChanged(), WATCH_INTERVAL_MS);
    this.watchTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.reloadTimer);
    clearInterval(this.watchTimer);
    clearTimeout(this.activationTimer);
  }

  /** Reloads when a key was added or revoked since the last reload (by any instance). */
  private async reloadIfChanged(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      if ((await this.fingerprint()) !== this.seen) await this.reload();
    } catch (err) {
      this.logger.warn(`checking keys failed: ${(err as Error).message}`);
    } finally {
      this.watching = false;
    }
  }

  private async fingerprint(): Promise<string> {
    const [row] = await this.db.query<{ keys: string | number; revoked: string | number }>(
      'SELECT count(*) AS keys, count(revoked_at) AS revoked FROM signing_keys',
    );
    return `${String(row?.keys)}/${String(row?.revoked)}`;
  }

  /**
   * A new key is published in the JWKS at once and signs from `activatesAt` on, so that every
   * service can have fetched it first (their JWKS refetch cooldown is shorter). The old key stays
   * published while anything it signed may still be checked (see {@link load}). `inTx` runs in the
   * same transaction (the admin audit entry).
   */
  async rotate(
    purpose: KeyPurpose = 'token',
    inTx?: (tx: Queryable, kid: string) => Promise<void>,
  ): Promise<{ kid: string; activatesAt: Date }> {
    const rotated = await this.db.transaction(async (tx) => {
      const rotated = await this.rotateIn(tx, purpose);
      await inTx?.(tx, rotated.kid);
      return rotated;
    });
    await this.afterRotation();
    return rotated;
  }

  /**
   * Retires the kind's current keys and adds one that signs after the activation delay. Key
   * times are the database's (`now()`), as every query comparing them is.
   */
  private async rotateIn(
    tx: Queryable,
    purpose: KeyPurpose,
  ): Promise<{ kid: string; activatesAt: Date }> {
    const [row] = await tx.query<{ at: Date | string }>(
      'SELECT now() + make_interval(secs => $1) AS at',
      [this.config.keyActivationDelaySeconds],
    );
    const activatesAt = new Date(row?.at ?? 0);
    await tx.query(
      `UPDATE signing_keys SET retired_at = $1
        WHERE purpose = $2 AND revoked_at IS NULL AND (retired_at IS NULL OR retired_at > $1)`,
      [activatesAt, purpose],
    );
    const kid = await this.generate(purpose, this.algorithmFor(purpose), activatesAt, tx);
    return { kid, activatesAt };
  }

  /** Reloads now (the new key is published); the reload when it signs is scheduled by it. */
  private async afterRotation(): Promise<void> {
    await this.reload();
  }

  /**
   * Rotates each kind of key whose newest key is older than its configured period. Run by every
   * instance on its reload timer; the advisory lock and the check inside the transaction make
   * one rotation out of simultaneous attempts.
   */
  async rotateIfDue(): Promise<void> {
    const periods: [KeyPurpose, number][] = [
      ['token', this.config.tokenKeyRotationSeconds],
      ['event', this.config.eventKeyRotationSeconds],
    ];
    for (const [purpose, periodSeconds] of periods) {
      if (periodSeconds === 0) continue;
      const rotated = await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK_KEY]);
        const [newest] = await tx.query<{ due: boolean }>(
          `SELECT MAX(activates_at) + make_interval(secs => $2) <= now() AS due
             FROM signing_keys WHERE purpose = $1 AND revoked_at IS NULL`,
          [purpose, periodSeconds],
        );
        if (newest?.due !== true) return undefined;
        return this.rotateIn(tx, purpose);
      });
      if (rotated !== undefined) {
        this.logger.log(`rotated the ${purpose} key on schedule: ${rotated.kid}`);
        await this.afterRotation();
      }
    }
  }

  private algorithmFor(purpose: KeyPurpose): KeyAlgorithm {
    return purpose === 'event' ? EVENT_KEY_ALG : this.config.signingAlgorithm;
  }

  /**
   * Takes a key out of the JWKS (compromised), in the caller's transaction, so that it commits
   * with its revocation event. Returns false for an unknown key. Call {@link reload} after the
   * commit: it drops the key here and, when it was the signing key, generates a new one.
   */
  async revoke(tx: Queryable, kid: string): Promise<{ found: boolean; wasSigning: boolean }> {
    const rows = await tx.query<{ purpose: KeyPurpose }>(
      `UPDATE signing_keys SET revoked_at = COALESCE(revoked_at, now()), retired_at = COALESCE(retired_at, now())
        WHERE kid = $1 RETURNING purpose`,
      [kid],
    );
    if (rows.length === 0) return { found: false, wasSigning: false };
    const wasSigning = kid === this.tokenKey?.kid || kid === this.eventKey?.kid;
    return { found: true, wasSigning };
  }

  /**
   * Reads the keys again: after a revocation's commit here; other instances notice the change
   * within WATCH_INTERVAL_MS.
   */
  async reload(): Promise<void> {
    const seen = await this.fingerprint();
    let rows = await this.load();
    for (const purpose of ['token', 'event'] as const) {
      const alg = this.algorithmFor(purpose);
      if (!rows.some((r) => r.purpose === purpose && r.alg === alg && r.current)) {
        await this.generateMissing(purpose, alg);
        rows = await this.load();
      }
    }
    this.tokenKey = await this.activate(rows, 'token', this.config.signingAlgorithm);
    if (!this.tokenKey) throw new Error('no token key in service after generation');
    this.eventKey = await this.activate(rows, 'event', EVENT_KEY_ALG);
    this.publicJwks = rows.map((r) => ({
      ...asJwk(r.public_jwk),
      kid: r.kid,
      alg: r.alg,
      use: 'sig',
    }));
    this.localKeySet = createLocalJWKSet({ keys: this.publicJwks });
    this.seen = seen;
    this.reloadAtNextActivation(rows);
  }

  /**
   * A kind of key has no current key: the first start, or its key was revoked. Generated under
   * the rotation lock and checked again inside it, so instances reloading at once make one key.
   * A revoked event key's replacement signs only after REPLACEMENT_EVENT_KEY_LEAD_SECONDS; an
   * access-token key at once (logins cannot wait).
   */
  private async generateMissing(purpose: KeyPurpose, alg: KeyAlgorithm): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK_KEY]);
      const [row] = await tx.query<{ current: boolean; replacing: boolean }>(
        `SELECT bool_or(revoked_at IS NULL AND (retired_at IS NULL OR retired_at > now())
                        AND alg = $2) AS current,
                count(*) > 0 AS replacing
           FROM signing_keys WHERE purpose = $1`,
        [purpose, alg],
      );
      if (row?.current === true) return;
      const leadSeconds =
        purpose === 'event' && row?.replacing === true ? REPLACEMENT_EVENT_KEY_LEAD_SECONDS : 0;
      const [at] = await tx.query<{ at: Date | string }>(
        'SELECT now() + make_interval(secs => $1) AS at',
        [leadSeconds],
      );
      await this.generate(purpose, alg, new Date(at?.at ?? 0), tx);
    });
  }

  private reloadAtNextActivation(rows: readonly KeyRow[]): void {
    const waits = rows.map((r) => Number(r.activates_in_ms)).filter((ms) => ms > 0);
    clearTimeout(this.activationTimer);
    if (waits.length === 0) return;
    this.activationTimer = setTimeout(
      () => {
        this.reload().catch((err: unknown) =>
          this.logger.warn(`reloading keys failed: ${(err as Error).message}`),
        );
      },
      Math.min(...waits) + 50,
    );
    this.activationTimer.unref();
  }

  /** The key that signs access tokens. */
  signingKey(): ActiveSigningKey {
    if (!this.tokenKey) throw new Error('signing keys not loaded');
    return this.tokenKey;
  }

  /** The key that signs revocation events (its `kid` starts with `events-`); throws if none yet. */
  eventSigningKey(): ActiveSigningKey {
    if (!this.eventKey) throw new Error('signing keys not loaded');
    return this.eventKey;
  }

  /** The event key, or undefined while none signs yet. */
  eventSigningKeyIfActive(): ActiveSigningKey | undefined {
    return this.eventKey;
  }

  /** The public keys, as served at `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return { keys: this.publicJwks };
  }

  /** Key resolver over the current public keys (it follows rotations), for our own tokens. */
  verificationKeys(): JWTVerifyGetKey {
    return (header, token) => {
      if (!this.localKeySet) throw new Error('signing keys not loaded');
      return this.localKeySet(header, token);
    };
  }

  /** The newest key of the kind in service; undefined while its replacement is not yet active. */
  private async activate(
    rows: KeyRow[],
    purpose: KeyPurpose,
    alg: KeyAlgorithm,
  ): Promise<ActiveSigningKey | undefined> {
    const row = rows.findLast((r) => r.purpose === purpose && r.alg === alg && r.in_service);
    if (!row) return undefined;
    const privateKey = (await importJWK(asJwk(row.private_jwk), row.alg)) as CryptoKey;
    return { kid: row.kid, alg: row.alg, privateKey };
  }

  /**
   * Keys in service, and retired ones whose signatures may still be checked (never revoked ones):
   * a token key while a token it signed may be live (the longest access-token lifetime in force),
   * an event key while a message it signed may be on the topic (its retention).
   */
  private load(): Promise<KeyRow[]> {
    return this.db.query<KeyRow>(
      `WITH ttl AS (
         SELECT GREATEST($1::integer, COALESCE((SELECT MAX(ttl_seconds) FROM access_token_lifetimes
                  WHERE issued_until + ttl_seconds >= extract(epoch FROM now())), 0)) AS seconds)
       SELECT kid, alg, purpose, public_jwk, private_jwk,
              GREATEST(0, extract(epoch FROM activates_at - now()) * 1000) AS activates_in_ms,
              activates_at <= now() AND (retired_at IS NULL OR retired_at > now()) AS in_service,
              (retired_at IS NULL OR retired_at > now()) AS current
         FROM signing_keys, ttl
        WHERE revoked_at IS NULL
          AND (retired_at IS NULL OR retired_at > now() - make_interval(secs =>
                 ttl.seconds + 60 + CASE WHEN purpose = 'event' THEN $2::integer ELSE 0 END))
        ORDER BY activates_at, created_at, kid`,
      [
        this.config.accessTokenTtlSeconds,
        // An event key signs revocations of identity providers' tokens too, kept on the topic
        // while the longest of those may live.
        this.config.topicRetentionMarginSeconds +
          longestTokenLifetimeSeconds(this.config) -
          this.config.accessTokenTtlSeconds,
      ],
    );
  }

  private async generate(
    purpose: KeyPurpose,
    alg: KeyAlgorithm,
    /** Default: the database's now (an immediately active key). */
    activatesAt: Date | null = null,
    tx: Queryable = this.db,
  ): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const thumbprint = await calculateJwkThumbprint(publicJwk);
    const kid = purpose === 'event' ? `${EVENT_KEY_ID_PREFIX}${thumbprint}` : thumbprint;
    await tx.query(
      `INSERT INTO signing_keys (kid, alg, purpose, public_jwk, private_jwk, activates_at)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now())) ON CONFLICT (kid) DO NOTHING`,
      [kid, alg, purpose, JSON.stringify(publicJwk), JSON.stringify(privateJwk), activatesAt],
    );
    return kid;
  }
}
