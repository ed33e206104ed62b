import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
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
import { DATABASE, type Database } from '../database/database.js';

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
  public_jwk: JWK | string;
  private_jwk: JWK | string;
}

/** Event keys are always Ed25519: the fastest to verify on a consumer's cold start. */
const EVENT_KEY_ALG: KeyAlgorithm = 'EdDSA';

const asJwk = (value: JWK | string): JWK =>
  typeof value === 'string' ? (JSON.parse(value) as JWK) : value;

/**
 * The service's signing keys, kept in the database so that restarts and other instances sign
 * with the same keys: one signs access tokens, one signs revocation events. The first start
 * generates them. Both are published in the JWKS; their `kid`s keep them apart.
 */
@Injectable()
export class SigningKeys implements OnModuleInit {
  private tokenKey: ActiveSigningKey | undefined;
  private eventKey: ActiveSigningKey | undefined;
  private publicJwks: JWK[] = [];
  private localKeySet: JWTVerifyGetKey | undefined;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let rows = await this.load();
    const wanted: [KeyPurpose, KeyAlgorithm][] = [
      ['token', this.config.signingAlgorithm],
      ['event', EVENT_KEY_ALG],
    ];
    for (const [purpose, alg] of wanted) {
      if (!rows.some((r) => r.purpose === purpose && r.alg === alg)) {
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

  /** Key resolver over the public keys, for verifying our own tokens. */
  verificationKeys(): JWTVerifyGetKey {
    if (!this.localKeySet) throw new Error('signing keys not loaded');
    return this.localKeySet;
  }

  private async activate(
    rows: KeyRow[],
    purpose: KeyPurpose,
    alg: KeyAlgorithm,
  ): Promise<ActiveSigningKey> {
    const row = rows.find((r) => r.purpose === purpose && r.alg === alg);
    if (!row) throw new Error(`no ${purpose} key after generation`);
    const privateKey = (await importJWK(asJwk(row.private_jwk), row.alg)) as CryptoKey;
    return { kid: row.kid, alg: row.alg, privateKey };
  }

  private load(): Promise<KeyRow[]> {
    return this.db.query<KeyRow>(
      `SELECT kid, alg, purpose, public_jwk, private_jwk FROM signing_keys
        WHERE retired_at IS NULL ORDER BY created_at, kid`,
    );
  }

  private async generate(purpose: KeyPurpose, alg: KeyAlgorithm): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const thumbprint = await calculateJwkThumbprint(publicJwk);
    const kid = purpose === 'event' ? `${EVENT_KEY_ID_PREFIX}${thumbprint}` : thumbprint;
    await this.db.query(
      `INSERT INTO signing_keys (kid, alg, purpose, public_jwk, private_jwk) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kid) DO NOTHING`,
      [kid, alg, purpose, JSON.stringify(publicJwk), JSON.stringify(privateJwk)],
    );
  }
}
