// Guard cost per request, in-process: bare jose, our guard (cache off / cache hit), and the
// per-request-lookup alternatives (Redis, RFC 7662 introspection over HTTP), per algorithm.
import { createServer } from 'node:http';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import Redis from 'ioredis';
import { heartbeatClaims, SET_TYP } from '@tokenfence/contract';
import {
  AccessTokenAuthenticator,
  Denylist,
  EventVerifier,
  RevocationFeed,
  TokenVerifier,
} from '@tokenfence/revocation-guard';

const ISSUER = 'https://auth.bench.local';
const AUDIENCE = 'bench';
const silent = { log() {}, warn() {}, error() {} };
const idleSource = { start: async () => {}, stop: async () => {} };

async function measure(iterations, fn) {
  for (let i = 0; i < Math.min(2_000, iterations); i++) await fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Times `a` and `b` alternately, call by call; returns the median ns of each. */
async function pairedMedians(iterations, a, b) {
  for (let i = 0; i < Math.min(2_000, iterations); i++) {
    await a();
    await b();
  }
  const ta = new Float64Array(iterations);
  const tb = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await a();
    const t1 = process.hrtime.bigint();
    await b();
    ta[i] = Number(t1 - t0);
    tb[i] = Number(process.hrtime.bigint() - t1);
  }
  return [median(ta), median(tb)];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function freshFeed(jwks, eventKey) {
  const feed = new RevocationFeed(
    new Denylist(5),
    idleSource,
    new EventVerifier(ISSUER, jwks),
    silent,
    {
      nowMs: () => Date.now(),
    },
  );
  feed.onPartitions([0]);
  const heartbeat = await new SignJWT(
    heartbeatClaims(
      { iss: ISSUER, iat: Math.floor(Date.now() / 1000), jti: 'hb' },
      0,
      Date.now(), // a heartbeat from the future is refused (EVENT_FROM_FUTURE)
    ),
  )
    .setProtectedHeader({ alg: 'EdDSA', kid: 'events-bench', typ: SET_TYP })
    .sign(eventKey);
  await feed.onMessage(Buffer.from(heartbeat), { partition: 0, offset: '0' });
  feed.onCaughtUp();
  // A denylist that is not empty: 10k unrelated revoked sessions.
  for (let i = 0; i < 10_000; i++) {
    feed.denylist.apply({
      v: 1,
      id: `e${i}`,
      iss: ISSUER, // the issuer of the tokens checked: the same tables
      sub: `u${i}`,
      scope: 'session',
      sid: `s${i}`,
      revokedAtMs: Date.now(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      reason: 'logout',
    });
  }
  return feed;
}

export async function guardCost({ quick }) {
  const iterations = quick ? 3_000 : 20_000;
  const redis = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  let redisOk = true;
  await redis.connect().catch(() => (redisOk = false));
  const introspection = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"active":true}');
    });
  });
  await new Promise((resolve) => introspection.listen(0, '127.0.0.1', resolve));
  const introspectionUrl = `http://127.0.0.1:${introspection.address().port}/oauth/introspect`;

  const rows = [];
  for (const alg of ['ES256', 'EdDSA', 'RS256']) {
    const tokenPair = await generateKeyPair(alg);
    const eventPair = await generateKeyPair('EdDSA');
    const jwks = createLocalJWKSet({
      keys: [
        { ...(await exportJWK(tokenPair.publicKey)), kid: 'token-bench', alg },
        { ...(await exportJWK(eventPair.publicKey)), kid: 'events-bench', alg: 'EdDSA' },
      ],
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sid: 'sid-live', scope: 'profile', client_id: 'bench' })
      .setProtectedHeader({ alg, kid: 'token-bench', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-live')
      .setJti('jti-live')
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .sign(tokenPair.privateKey);
    const pinned = {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [alg],
      typ: 'at+jwt',
      clockTolerance: 5,
    };
    const feed = await freshFeed(jwks, eventPair.privateKey);
    const freshness = { maxStalenessMs: 3_600_000, stalePolicy: 'reject' };
    const verifier = (cacheMaxEntries) =>
      new TokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [alg],
        clockToleranceSeconds: 5,
        keys: jwks,
        verifiedTokenCacheMaxEntries: cacheMaxEntries,
        revocations: feed.denylist, // as the module wires it: revoked kids and the cache guard
      });
    // A second trusted issuer (issue 14): the token's kid chooses among them, cache off.
    const otherPair = await generateKeyPair('RS256');
    const otherJwks = createLocalJWKSet({
      keys: [{ ...(await exportJWK(otherPair.publicKey)), kid: 'token-other', alg: 'RS256' }],
    });
    const lookup = (kids) => ({ has: (kid) => kids.includes(kid), refresh: async () => {} });
    const oneIssuer = verifier(0);
    const twoIssuers = new TokenVerifier({
      issuers: [
        {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: [alg],
          clockToleranceSeconds: 5,
          keys: jwks,
          keySource: lookup(['token-bench', 'events-bench']),
        },
        {
          issuer: 'https://other.bench.local',
          audience: AUDIENCE,
          algorithms: ['RS256'],
          clockToleranceSeconds: 5,
          keys: otherJwks,
          keySource: lookup(['token-other']),
          profile: 'jwt',
          claims: { clientId: 'azp' },
        },
      ],
      revocations: feed.denylist,
    });
    const [one, two] = await pairedMedians(
      iterations * 2,
      () => oneIssuer.verify(token),
      () => twoIssuers.verify(token),
    );
    const cacheOff = new AccessTokenAuthenticator(verifier(0), feed, freshness, silent);
    const cacheOn = new AccessTokenAuthenticator(verifier(10_000), feed, freshness, silent);
    const header = `Bearer ${token}`;

    // The two differ by microseconds on a ~100 µs operation, so drift and other load would swamp
    // separate loops: alternate them call by call and compare the median call of each.
    const [jose, off] = await pairedMedians(
      iterations * 2,
      () => jwtVerify(token, jwks, pinned),
      () => cacheOff.authenticate(header),
    );
    const hit = await measure(iterations * 5, () => cacheOn.authenticate(header));
    const withRedis = redisOk
      ? await measure(iterations, async () => {
          const { payload } = await jwtVerify(token, jwks, pinned);
          await redis.exists(`revoked:jti:${payload.jti}`);
        })
      : undefined;
    const withIntrospection = await measure(Math.ceil(iterations / 3), async () => {
      await jwtVerify(token, jwks, pinned);
      const r = await fetch(introspectionUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${token}`,
      });
      await r.json();
    });
    rows.push({ alg, jose, off, hit, withRedis, withIntrospection, one, two });
  }
  redis.disconnect();
  introspection.close();
  return rows;
}
