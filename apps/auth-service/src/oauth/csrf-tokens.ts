import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { sharedSecret } from '../database/shared-secret.js';
import { DATABASE, type Database } from '../database/database.js';

/** A CSRF cookie value as this service mints them: 32 random bytes, base64url. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signed double-submit CSRF protection of the hosted login form: a random cookie value, and in
 * the form its HMAC-SHA256 under a server secret that every instance shares (the `secrets`
 * table). A site that can plant a cookie still cannot compute the form's token.
 */
@Injectable()
export class CsrfTokens implements OnModuleInit {
  private secret: Buffer | undefined;

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Loads (or creates, once for all instances) the secret. */
  async onModuleInit(): Promise<void> {
    this.secret = await sharedSecret(this.db, 'csrf');
  }

  /** A new cookie value. */
  newCookieValue(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Whether a cookie value has the form this service mints (else a new one is set). */
  isCookieValue(value: string | undefined): value is string {
    return value !== undefined && COOKIE_VALUE.test(value);
  }

  /** The form token of a cookie value. */
  tokenFor(cookieValue: string): string {
    if (!this.secret || this.secret.length < 32) throw new Error('CSRF secret not loaded');
    return createHmac('sha256', this.secret).update(cookieValue).digest('base64url');
  }

  /** Whether the form's token is the cookie's, compared in constant time. */
  verify(cookieValue: string | undefined, token: unknown): boolean {
    if (!this.isCookieValue(cookieValue) || typeof token !== 'string') return false;
    const expected = Buffer.from(this.tokenFor(cookieValue));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
