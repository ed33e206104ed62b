import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  heartbeatClaims,
  revocationBatchClaims,
  SET_TYP,
  type RevocationEvent,
  type SecurityEventClaims,
  type SnapshotMarker,
} from '@tokenfence/contract';
import { SignJWT } from 'jose';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { SigningKeys, type ActiveSigningKey } from '../keys/signing-keys.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';

/** Signs topic messages as Security Event Tokens (RFC 8417) with the event key. */
@Injectable()
export class EventSigner {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly keys: SigningKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The event key now. The relay takes it once per round and signs the whole round with it, so a
   * key change in the middle of a round cannot put a heartbeat under a new key before the
   * snapshot that key needs.
   */
  currentKey(): ActiveSigningKey | undefined {
    return this.keys.eventSigningKeyIfActive();
  }

  revocationBatch(
    revocations: readonly RevocationEvent[],
    key: ActiveSigningKey,
    snapshot?: SnapshotMarker,
  ): Promise<string> {
    return this.sign(revocationBatchClaims(this.base(), revocations, snapshot), key);
  }

  heartbeat(partition: number, publishedBeforeMs: number, key: ActiveSigningKey): Promise<string> {
    return this.sign(heartbeatClaims(this.base(), partition, publishedBeforeMs), key);
  }

  private base(): { iss: string; iat: number; jti: string } {
    return { iss: this.config.issuer, iat: epochSeconds(this.clock), jti: randomUUID() };
  }

  private sign(claims: SecurityEventClaims, key: ActiveSigningKey): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SET_TYP })
      .sign(key.privateKey);
  }
}
