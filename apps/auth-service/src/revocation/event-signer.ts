import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  heartbeatClaims,
  revocationBatchClaims,
  SET_TYP,
  type RevocationEvent,
  type SecurityEventClaims,
} from '@tokenfence/contract';
import { SignJWT } from 'jose';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { SigningKeys } from '../keys/signing-keys.js';

/** Signs topic messages as Security Event Tokens (RFC 8417) with the event key. */
@Injectable()
export class EventSigner {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly keys: SigningKeys,
  ) {}

  revocationBatch(revocations: readonly RevocationEvent[]): Promise<string> {
    return this.sign(revocationBatchClaims(this.base(), revocations));
  }

  heartbeat(partition: number, publishedBeforeMs: number): Promise<string> {
    return this.sign(heartbeatClaims(this.base(), partition, publishedBeforeMs));
  }

  private base(): { iss: string; iat: number; jti: string } {
    return { iss: this.config.issuer, iat: Math.floor(Date.now() / 1000), jti: randomUUID() };
  }

  private sign(claims: SecurityEventClaims): Promise<string> {
    const key = this.keys.eventSigningKey();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SET_TYP })
      .sign(key.privateKey);
  }
}
