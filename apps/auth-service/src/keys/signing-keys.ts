import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
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
import { AUTH_CONFIG, type AuthConfig, type SigningAlgorithm } from '../config/auth-config.js';
import { DATABASE, type Database } from '../database/database.js';

export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
}

interface KeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK | string;
  private_jwk: JWK | string;
}

const asJwk = (value: JWK | string): JWK =>
  typeof value === 'string' ? (JSON.parse(value) as JWK) : value;

/**
 * The service's signing keys, kept in the database so that restarts and other instances sign
 * with the same key. The first start generates one.
 */
@Injectable()
export class SigningKeys implements OnModuleInit {
  private active: ActiveSigningKey | undefined;
  private publicJwks: JWK[] = [];
  private localKeySet: JWTVerifyGetKey | undefined;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let rows = await this.load();
    if (!rows.some((r) => r.alg === this.config.signingAlgorithm)) {
      await this.generate(this.config.signingAlgorithm);
      rows = await this.load();
    }
    const current = rows.find((r) => r.alg === this.config.signingAlgorithm);
    if (!current) throw new Error('no signing key after generation');
    this.active = {
      kid: current.kid,
      alg: current.alg,
      privateKey: (await importJWK(asJwk(current.private_jwk), current.alg)) as CryptoKey,
    };
    this.publicJwks = rows.map((r) => ({
      ...asJwk(r.public_jwk),
      kid: r.kid,
      alg: r.alg,
      use: 'sig',
    }));
    this.localKeySet = createLocalJWKSet({ keys: this.publicJwks });
  }

  signingKey(): ActiveSigningKey {
    if (!this.active) throw new Error('signing keys not loaded');
    return this.active;
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

  private load(): Promise<KeyRow[]> {
    return this.db.query<KeyRow>(
      'SELECT kid, alg, public_jwk, private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at, kid',
    );
  }

  private async generate(alg: SigningAlgorithm): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await this.db.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kid) DO NOTHING`,
      [kid, alg, JSON.stringify(publicJwk), JSON.stringify(privateJwk)],
    );
  }
}
