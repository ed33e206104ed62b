import { randomUUID } from 'node:crypto';
import {
  EVENT_KEY_ID_PREFIX,
  heartbeatClaims,
  REVOCATION_EVENT_VERSION,
  revocationBatchClaims,
  revocationEventType,
  SET_TYP,
  type RevocationEvent,
  type RevocationReason,
  type SecurityEventClaims,
} from '@tokenfence/contract';
import {
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { systemClock, type Clock } from '../core/clock.js';

/** Algorithms a test issuer can sign with (access tokens and events alike). */
export type TestIssuerAlgorithm = 'ES256' | 'EdDSA';

export interface TestIssuerOptions {
  /** `iss` of tokens and events. Default `https://auth.test.invalid`. */
  readonly issuer?: string;
  /** `aud` of tokens. Default `tokenfence-services`. */
  readonly audience?: string;
  /** Default `ES256`. */
  readonly algorithm?: TestIssuerAlgorithm;
  /** Dates tokens and events; give the guard the same clock. Default the system clock. */
  readonly clock?: Clock;
  /** `exp - iat` of tokens. Default 600. */
  readonly tokenLifetimeSeconds?: number;
}

/**
 * Claims of a test access token. Every claim may be overridden; an override set to `undefined`
 * removes the claim (e.g. `{ sid: undefined }` for a token with no session).
 */
export interface TestTokenClaims {
  iss?: string | undefined;
  aud?: string | string[] | undefined;
  sub?: string | undefined;
  sid?: string | undefined;
  jti?: string | undefined;
  client_id?: string | undefined;
  scope?: string | undefined;
  iat?: number | undefined;
  exp?: number | undefined;
  auth_time?: number | undefined;
  [claim: string]: unknown;
}

/** What a revocation helper takes: a token the test issued, or the ids themselves. */
export type RevocationTarget<K extends string> =
  string | ({ readonly sub: string } & Record<K, string>);

export interface RevocationDetails {
  /** Default `logout` for a session, `logout-all` for a user, `oauth-revoke` for a token. */
  readonly reason?: RevocationReason;
  /** Seconds since the epoch; default the token's `exp`, or now plus a day. */
  readonly expiresAt?: number;
}

/** The module options that point the guard at a test issuer: no JWKS URL, no network. */
export interface TestIssuerModuleOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: JSONWebKeySet;
  readonly clock: Clock;
}

interface SigningKey {
  readonly kid: string;
  readonly alg: TestIssuerAlgorithm;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(kid: string, alg: TestIssuerAlgorithm): Promise<SigningKey> {
  const pair = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, jwk };
}

const DAY_SECONDS = 86_400;

/**
 * An auth service in a box, for tests: an access-token key and an event key generated in memory,
 * RFC 9068 access tokens, and revocation events (Security Event Tokens) signed exactly as the
 * tokenfence auth service signs them. Give the guard {@link TestIssuer.moduleOptions} and an
 * {@link InMemoryEventSource} over this issuer.
 */
export class TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly clock: Clock;
  /** The public keys (token key and event key), for the guard's `keys` option. */
  readonly jwks: JSONWebKeySet;
  private readonly lifetimeSeconds: number;

  private constructor(
    options: TestIssuerOptions,
    private readonly tokenKey: SigningKey,
    private readonly eventKey: SigningKey,
  ) {
    this.issuer = options.issuer ?? 'https://auth.test.invalid';
    this.audience = options.audience ?? 'tokenfence-services';
    this.clock = options.clock ?? systemClock;
    this.lifetimeSeconds = options.tokenLifetimeSeconds ?? 600;
    this.jwks = { keys: [tokenKey.jwk, eventKey.jwk] };
  }

  static async create(options: TestIssuerOptions = {}): Promise<TestIssuer> {
    const alg = options.algorithm ?? 'ES256';
    const suffix = randomUUID().slice(0, 8);
    return new TestIssuer(
      options,
      await signingKey(`tokens-${suffix}`, alg),
      await signingKey(`${EVENT_KEY_ID_PREFIX}${suffix}`, alg),
    );
  }

  /** The `kid` access tokens are signed with (for a key revocation). */
  get tokenKid(): string {
    return this.tokenKey.kid;
  }

  /** `issuer`, `audience`, `keys` and `clock` for `RevocationGuardModule.forRoot`. */
  moduleOptions(): TestIssuerModuleOptions {
    return { issuer: this.issuer, audience: this.audience, keys: this.jwks, clock: this.clock };
  }

  /**
   * A signed RFC 9068 access token (`typ: at+jwt`): a user's token with a fresh `sid` and `jti`,
   * `sub: user-1`, `client_id: test-client`, no scopes, valid from now for the lifetime.
   */
  token(claims: TestTokenClaims = {}): Promise<string> {
    const iat = Math.floor(this.clock.nowMs() / 1000);
    const defaults: TestTokenClaims = {
      iss: this.issuer,
      aud: this.audience,
      sub: 'user-1',
      sid: randomUUID(),
      jti: randomUUID(),
      client_id: 'test-client',
      scope: '',
      iat,
      exp: iat + this.lifetimeSeconds,
    };
    const payload = Object.fromEntries(
      Object.entries({ ...defaults, ...claims }).filter(([, value]) => value !== undefined),
    );
    return new SignJWT(payload)
      .setProtectedHeader({ alg: this.tokenKey.alg, kid: this.tokenKey.kid, typ: 'at+jwt' })
      .sign(this.tokenKey.privateKey);
  }

  /** A revocation batch SET, signed with the event key as the auth service's relay signs it. */
  revocationBatch(revocations: readonly RevocationEvent[]): Promise<string> {
    return this.signEvent(revocationBatchClaims(this.setBase(), revocations));
  }

  /** A heartbeat SET: everything accepted before `publishedBeforeMs` (default now) is published. */
  heartbeat(partition = 0, publishedBeforeMs = this.clock.nowMs()): Promise<string> {
    return this.signEvent(heartbeatClaims(this.setBase(), partition, publishedBeforeMs));
  }

  /** The event revoking one session (`sid`), from a token of this issuer or the ids. */
  sessionRevoked(
    target: RevocationTarget<'sid'>,
    details: RevocationDetails = {},
  ): RevocationEvent {
    const { sub, sid, exp } = this.targetOf(target, 'sid');
    return {
      ...this.eventBase(sub, 'session', details.reason ?? 'logout', details, exp),
      scope: 'session',
      sid,
    };
  }

  /** The event revoking one access token (`jti`). */
  tokenRevoked(target: RevocationTarget<'jti'>, details: RevocationDetails = {}): RevocationEvent {
    const { sub, jti, exp } = this.targetOf(target, 'jti');
    return {
      ...this.eventBase(sub, 'token', details.reason ?? 'oauth-revoke', details, exp),
      scope: 'token',
      jti,
    };
  }

  /** The event revoking every token of a user issued at or before `cutoff` (default now). */
  userTokensRevoked(
    sub: string,
    details: RevocationDetails & { readonly cutoff?: number } = {},
  ): RevocationEvent {
    const cutoff = details.cutoff ?? Math.floor(this.clock.nowMs() / 1000);
    return {
      ...this.eventBase(sub, 'user', details.reason ?? 'logout-all', details),
      scope: 'user',
      cutoff,
    };
  }

  private targetOf<K extends 'sid' | 'jti'>(
    target: RevocationTarget<K>,
    claim: K,
  ): { sub: string; exp?: number } & Record<K, string> {
    if (typeof target !== 'string') return target;
    const claims = decodeJwt(target);
    const id = claims[claim];
    if (typeof claims.sub !== 'string' || typeof id !== 'string') {
      throw new TypeError(`the token has no "sub" or "${claim}" to revoke`);
    }
    return {
      sub: claims.sub,
      [claim]: id,
      ...(claims.exp === undefined ? {} : { exp: claims.exp }),
    } as {
      sub: string;
      exp?: number;
    } & Record<K, string>;
  }

  private eventBase(
    sub: string,
    scope: RevocationEvent['scope'],
    reason: RevocationReason,
    details: RevocationDetails,
    exp?: number,
  ) {
    const nowMs = this.clock.nowMs();
    return {
      v: REVOCATION_EVENT_VERSION,
      id: randomUUID(),
      iss: this.issuer,
      sub,
      revokedAtMs: nowMs,
      expiresAt: details.expiresAt ?? exp ?? Math.floor(nowMs / 1000) + DAY_SECONDS,
      reason,
      eventType: revocationEventType(scope, reason),
    } as const;
  }

  private setBase(): { iss: string; iat: number; jti: string } {
    return { iss: this.issuer, iat: Math.floor(this.clock.nowMs() / 1000), jti: randomUUID() };
  }

  private signEvent(claims: SecurityEventClaims): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.eventKey.alg, kid: this.eventKey.kid, typ: SET_TYP })
      .sign(this.eventKey.privateKey);
  }
}

/** Generates a {@link TestIssuer}: keys in memory, nothing listening. */
export function createTestIssuer(options?: TestIssuerOptions): Promise<TestIssuer> {
  return TestIssuer.create(options);
}
