import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { sharedSecret } from '../database/shared-secret.js';
import { DATABASE, type Database } from '../database/database.js';
import { setTimeout as delay } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { AuthError } from '../errors/auth-error.js';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';
import { SigningKeys } from './signing-keys.js';

export interface AccessTokenSubject {
  readonly userId: string;
  readonly sessionId: string;
  /** The granted scope: see `grantedScope`. */
  readonly scope: string;
  /** The OAuth client the session was opened for. */
  readonly clientId: string;
  /** The user's cutoff: the token's `iat` must be later, or it would be born revoked. */
  readonly tokensRevokedBefore: number;
  /** When the session reaches its absolute limit (seconds): no token of it lives longer. */
  readonly sessionCapAt: number;
  /** When the user authenticated (seconds), for `auth_time`. */
  readonly authTime: number;
}

export interface IssuedTokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  /** The scope granted (RFC 6749 section 5.1), space-separated; empty when none. */
  readonly scope: string;
}

/**
 * How long an issuance may wait for the clock to reach the user's cutoff: cutoffs are never set
 * more than 1 s ahead (see UsersRepository.raiseCutoff), so one second is always enough but for
 * a cutoff written further ahead before that rule.
 */
const MAX_ISSUE_WAIT_MS = 1_000;

/**
 * Each instance declares its access-token lifetime in force for this long ahead, renewed every
 * third of it; it issues no token past its declaration (see RevocationRecorder's expiry rule).
 */
const LIFETIME_LEASE_SECONDS = 60;

/** Hash under which a refresh token is stored: the token itself is never kept. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Signs RFC 9068 access tokens and mints opaque refresh tokens. */
@Injectable()
export class TokenIssuer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokenIssuer.name);
  private rotationSecret: Buffer | undefined;
  /** Tokens may be issued until then (seconds): the lifetime is declared in force until then. */
  private leaseUntil = 0;
  private leaseTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly keys: SigningKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Loads (or creates, once for all instances) the secret successors are derived with. */
  async onModuleInit(): Promise<void> {
    this.rotationSecret = await sharedSecret(this.db, 'refresh_rotation');
    await this.declareLifetime();
    this.leaseTimer = setInterval(
      () => {
        this.declareLifetime().catch((err: unknown) =>
          this.logger.warn(`declaring the token lifetime failed: ${(err as Error).message}`),
        );
      },
      (LIFETIME_LEASE_SECONDS * 1000) / 3,
    );
    this.leaseTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.leaseTimer);
  }

  /** Records that tokens of our lifetime may be issued for the next lease period. */
  private async declareLifetime(): Promise<void> {
    const until = epochSeconds(this.clock) + LIFETIME_LEASE_SECONDS;
    await this.db.query(
      `INSERT INTO access_token_lifetimes (ttl_seconds, issued_until) VALUES ($1, $2)
       ON CONFLICT (ttl_seconds) DO UPDATE
         SET issued_until = GREATEST(access_token_lifetimes.issued_until, EXCLUDED.issued_until)`,
      [this.config.accessTokenTtlSeconds, until],
    );
    this.leaseUntil = until;
  }

  /**
   * The refresh token that replaces `spent`: derived from it with a server secret, so that two
   * tabs presenting the same token within the grace window both get the same successor, and
   * no plaintext refresh token is ever stored.
   */
  successorOf(spent: string, expiresAt: Date): { token: string; hash: string; expiresAt: Date } {
    if (!this.rotationSecret || this.rotationSecret.length < 32) {
      throw new Error('refresh rotation secret not loaded');
    }
    const token = `rt_${createHmac('sha256', this.rotationSecret).update(spent).digest('base64url')}`;
    return { token, hash: hashRefreshToken(token), expiresAt };
  }

  /** A new opaque refresh token; it expires with its session (`expiresAt`). */
  newRefreshToken(expiresAt: Date): { token: string; hash: string; expiresAt: Date } {
    const token = `rt_${randomBytes(32).toString('base64url')}`;
    return { token, hash: hashRefreshToken(token), expiresAt };
  }

  /** A user's access token, of one session. */
  accessToken(subject: AccessTokenSubject): Promise<{ token: string; expiresIn: number }> {
    return this.sign(
      subject.userId,
      { scope: subject.scope, sid: subject.sessionId, auth_time: subject.authTime },
      subject,
    );
  }

  /**
   * A client's own access token (client credentials, RFC 6749 section 4.4): `sub` is the client
   * id, and there is no session, so no `sid` and no `auth_time`.
   */
  clientAccessToken(subject: {
    readonly clientId: string;
    readonly scope: string;
    /** The client's cutoff (and the global one): the token's `iat` must be later. */
    readonly tokensRevokedBefore: number;
  }): Promise<{ token: string; expiresIn: number }> {
    return this.sign(subject.clientId, { scope: subject.scope }, subject);
  }

  private async sign(
    sub: string,
    claims: Record<string, string | number>,
    subject: {
      readonly clientId: string;
      readonly tokensRevokedBefore: number;
      readonly sessionCapAt?: number;
    },
  ): Promise<{ token: string; expiresIn: number }> {
    const iat = await this.issuedAt(subject.tokensRevokedBefore);
    if (iat > this.leaseUntil) {
      throw new AuthError('NOT_READY', 'The token lifetime could not be recorded; retry.');
    }
    const exp = Math.min(
      iat + this.config.accessTokenTtlSeconds,
      subject.sessionCapAt ?? Number.MAX_SAFE_INTEGER,
    );
    const key = this.keys.signingKey();
    const token = await new SignJWT({ ...claims, client_id: subject.clientId })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(sub)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey);
    return { token, expiresIn: Math.max(0, exp - epochSeconds(this.clock)) };
  }

  /**
   * The `iat` of a token issued now: a cutoff covers `iat <= cutoff`, so a token issued in the
   * cutoff's own second is dated one second later, and never more than 1 s ahead of the clock.
   * When the cutoff is ahead of the clock, waits (under a second) for the clock to reach it; a
   * cutoff further ahead is refused with 503 CUTOFF_IN_FUTURE and `Retry-After`.
   */
  private async issuedAt(cutoff: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const nowMs = this.clock.nowMs();
      const now = Math.floor(nowMs / 1000);
      if (cutoff <= now) return Math.max(now, cutoff + 1);
      const waitMs = cutoff * 1000 - nowMs;
      if (waitMs > MAX_ISSUE_WAIT_MS || attempt >= 2) {
        throw new AuthError(
          'CUTOFF_IN_FUTURE',
          'Tokens of this account cannot be issued yet; retry after the time given.',
          undefined,
          Math.max(1, Math.ceil(waitMs / 1000)),
        );
      }
      await delay(waitMs);
    }
  }

  async pair(subject: AccessTokenSubject, refreshToken: string): Promise<IssuedTokens> {
    const { token, expiresIn } = await this.accessToken(subject);
    return {
      access_token: token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: subject.scope,
    };
  }
}
