import { beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from './manual-clock.js';
import type { RevocationEvent } from '@tokenfence/contract';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { AccessTokenAuthenticator } from './access-token-authenticator.js';
import { Denylist } from './denylist.js';
import type { RevocationEventSource } from './event-source.js';
import { EventVerifier } from './event-verifier.js';
import { GuardError } from './guard-error.js';
import { silentLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';
import { TokenVerifier } from './token-verifier.js';

// The audit's reproduction of F1 and F10 (security-audit-2026-11-30.md), with the real verifier,
// denylist and authenticator on a manual clock.

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'services';
const T0 = 1_800_000_000;
const TOLERANCE_SECONDS = 5;

const idleSource: RevocationEventSource = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

let compromised: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  compromised = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
});

/** The guard's copy of the JWKS; `publish` changes what it holds. */
function jwksCopy(): { keys: JWTVerifyGetKey; publish: (jwks: JWK[]) => void } {
  let current = createLocalJWKSet({ keys: [publicJwk] });
  return {
    keys: (header, token) => current(header, token),
    publish: (jwks) => {
      current = createLocalJWKSet({ keys: jwks });
    },
  };
}

function guard(clock: ManualClock, keys: JWTVerifyGetKey, cacheMaxEntries: number) {
  const denylist = new Denylist(TOLERANCE_SECONDS, clock);
  const feed = new RevocationFeed(
    denylist,
    idleSource,
    new EventVerifier(ISSUER, keys),
    silentLogger,
    clock,
  );
  feed.onPartitions([]);
  feed.onCaughtUp();
  // Not a literal: the same options object as the module builds (the verifier reads the denylist).
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256' as const],
    clockToleranceSeconds: TOLERANCE_SECONDS,
    keys,
    clock,
    verifiedTokenCacheMaxEntries: cacheMaxEntries,
    revocations: denylist,
  };
  const authenticator = new AccessTokenAuthenticator(
    new TokenVerifier(options),
    feed,
    { maxStalenessMs: 30_000, stalePolicy: 'allow' },
    silentLogger,
  );
  return {
    denylist,
    outcome: async (token: string): Promise<string> => {
      try {
        await authenticator.authenticate(`Bearer ${token}`);
        return 'ACCEPTED';
      } catch (err) {
        if (!(err instanceof GuardError)) throw err;
        return err.code;
      }
    },
  };
}

/** What an attacker holding the private key mints: valid for an hour from T0. */
function forge(sid = 'sid-1'): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid,
    jti: `jti-${sid}`,
    iat: T0,
    exp: T0 + 3600,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .sign(compromised);
}

const keyRevocation = (ttlSeconds: number): RevocationEvent => ({
  v: 1,
  id: 'key-revocation',
  iss: ISSUER,
  sub: 'admin',
  scope: 'key',
  kid: 'k1',
  revokedAtMs: T0 * 1000,
  expiresAt: T0 + 1 + ttlSeconds,
  reason: 'key-compromise',
  eventType: 'https://tokenfence.dev/secevent/key-revoked',
});

describe('a revoked signing key', () => {
  it('F1: a forged token cached before the revocation stays TOKEN_REVOKED after the key entry is pruned', async () => {
    const clock = new ManualClock(T0 * 1000);
    const { keys } = jwksCopy();
    const { denylist, outcome } = guard(clock, keys, 10);
    const token = await forge();
    expect(await outcome(token)).toBe('ACCEPTED'); // now in the verified-token cache

    denylist.apply(keyRevocation(900));
    clock.seconds = T0 + 60;
    expect(await outcome(token)).toBe('TOKEN_REVOKED');

    for (const at of [T0 + 940, T0 + 1800, T0 + 3599]) {
      clock.seconds = at;
      denylist.prune(); // the feed's prune timer
      expect([at - T0, await outcome(token)]).toEqual([at - T0, 'TOKEN_REVOKED']);
    }
  });

  it('F10: with the cache off, a JWKS copy that still holds the key does not bring its tokens back', async () => {
    const clock = new ManualClock(T0 * 1000);
    const { keys } = jwksCopy(); // refreshed 1 s before the revocation, kept 10 min
    const { denylist, outcome } = guard(clock, keys, 0);
    const token = await forge();

    denylist.apply(keyRevocation(300));
    clock.seconds = T0 + 60;
    expect(await outcome(token)).toBe('TOKEN_REVOKED');
    for (const at of [T0 + 340, T0 + 590]) {
      clock.seconds = at;
      denylist.prune();
      expect([at - T0, await outcome(token)]).toEqual([at - T0, 'TOKEN_REVOKED']);
    }
  });

  it('a token the denylist refuses never enters the verified-token cache', async () => {
    const clock = new ManualClock(T0 * 1000);
    const { keys, publish } = jwksCopy();
    const { denylist, outcome } = guard(clock, keys, 10);
    const token = await forge('sid-revoked');
    denylist.apply({
      v: 1,
      id: 'logout',
      iss: ISSUER,
      sub: 'user-1',
      scope: 'session',
      sid: 'sid-revoked',
      revokedAtMs: T0 * 1000,
      expiresAt: T0 + 901,
      reason: 'logout',
      eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
    });
    expect(await outcome(token)).toBe('TOKEN_REVOKED');

    publish([]); // the key leaves the JWKS; the session entry is pruned
    clock.seconds = T0 + 940;
    denylist.prune();
    expect(await outcome(token)).toBe('TOKEN_SIGNATURE_INVALID');
  });
});
