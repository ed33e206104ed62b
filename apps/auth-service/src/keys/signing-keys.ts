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
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database, type Queryable } from '../database/database.js';

type KeyPurpose = 'token' | 'event';
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
    this.reloadTimer = setInterval(() => {
      this.reload().catch((err: unknown) =>
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
   * A new access-token key is published in the JWKS at once and signs from `activatesAt` on, so
   * that every service can have fetched it first (their JWKS refetch cooldown is shorter). The
   * old key stays published until the tokens it signed have expired.
   */
  async rotate(): Promise<{ kid: string; activatesAt: Date }> {
    const delayMs = this.config.keyActivationDelaySeconds * 1000;
    const activatesAt = new Date(Date.now() + delayMs);
    const kid = await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE signing_keys SET retired_at = $1
          WHERE purpose = 'token' AND revoked_at IS NULL AND (retired_at IS NULL OR retired_at > $1)`,
        [activatesAt],
      );
      return this.generate('token', this.config.signingAlgorithm, activatesAt, tx);
    });
    await this.reload();
    setTimeout(() => void this.reload().catch(() => undefined), delayMs + 50).unref();
    return { kid, activatesAt };
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
    const wanted: [KeyPurpose, KeyAlgorithm][] = [
      ['token', this.config.signingAlgorithm],
      ['event', EVENT_KEY_ALG],
    ];
    for (const [purpose, alg] of wanted) {
      if (!rows.some((r) => r.purpose === purpose && r.alg === alg && r.current)) {
        await this.generate(purpose, alg);
        rows = await this.load();
      }
    }
    this.tokenKey = await this.activate(rows, 'token', this.config.signingAlgorithm);
    this.eventKey = await this.activate(rows, 'event', EVENT_KEY_ALG);
    this.publicJwks = rows.map((r) => ({
      ...asJwk(r.public_jwk),
      kid: r.kid,
      alg: r.alg,
      use: 'sig',
    }));
    this.localKeySet = createLocalJWKSet({ keys: this.publicJwks });
    this.seen = seen;
  }

  /** The key that signs access tokens. */
  signingKey(): ActiveSigningKey {
    if (!this.tokenKey) throw new Error('signing keys not loaded');
    return this.tokenKey;
  }

  /** The key that signs revocation events (its `kid` starts with `events-`). */
  eventSigningKey(): ActiveSigningKey {
    if (!this.eventKey) throw new Error('signing keys not loaded');
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

  private async activate(
    rows: KeyRow[],
    purpose: KeyPurpose,
    alg: KeyAlgorithm,
  ): Promise<ActiveSigningKey> {
    // The newest key still in service signs.
    const row = rows.findLast((r) => r.purpose === purpose && r.alg === alg && r.in_service);
    if (!row) throw new Error(`no ${purpose} key after generation`);
    const privateKey = (await importJWK(asJwk(row.private_jwk), row.alg)) as CryptoKey;
    return { kid: row.kid, alg: row.alg, privateKey };
  }

  /** Keys in service, and retired ones whose tokens may still be live (never revoked ones). */
  private load(): Promise<KeyRow[]> {
    return this.db.query<KeyRow>(
      `SELECT kid, alg, purpose, public_jwk, private_jwk,
              activates_at <= now() AND (retired_at IS NULL OR retired_at > now()) AS in_service,
              (retired_at IS NULL OR retired_at > now()) AS current
         FROM signing_keys
        WHERE revoked_at IS NULL
          AND (retired_at IS NULL OR retired_at > now() - make_interval(secs => $1))
        ORDER BY activates_at, created_at, kid`,
      [this.config.accessTokenTtlSeconds + 60],
    );
  }

  private async generate(
    purpose: KeyPurpose,
    alg: KeyAlgorithm,
    activatesAt: Date = new Date(),
    tx: Queryable = this.db,
  ): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const thumbprint = await calculateJwkThumbprint(publicJwk);
    const kid = purpose === 'event' ? `${EVENT_KEY_ID_PREFIX}${thumbprint}` : thumbprint;
    await tx.query(
      `INSERT INTO signing_keys (kid, alg, purpose, public_jwk, private_jwk, activates_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kid) DO NOTHING`,
      [kid, alg, purpose, JSON.stringify(publicJwk), JSON.stringify(privateJwk), activatesAt],
    );
    return kid;
  }
}
