import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SET_TYP } from '@tokenfence/contract';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import kafkajs from 'kafkajs';
import { bearer, call } from './support/http.js';
import { buildJavaConsumer, JavaConsumer } from './support/java-consumer.js';
import { loggedIn, logout } from './support/users.js';
import { useSystem } from './support/use-system.js';

/**
 * A consumer outside Node (test/java-consumer: kafka-clients, Nimbus JOSE, the JDK's Ed25519)
 * reads the topic from its beginning and verifies every message against the auth service's JWKS,
 * as libs/contract/asyncapi.yaml tells a team in another language to.
 */
describe('a Java consumer of the topic', () => {
  const system = useSystem({ database: 'embedded' });
  let consumer: JavaConsumer | undefined;
  let issuer = '';

  beforeAll(async () => {
    const built = await buildJavaConsumer();
    process.stderr.write(`[java-consumer] build: ${built.how}, ${built.seconds.toFixed(1)} s\n`);
    issuer = new URL(system.auth.url).origin;
    consumer = await new JavaConsumer({
      brokers: system.brokers,
      topic: system.topic,
      issuer,
    }).start();
  }, 660_000);
  afterAll(async () => {
    await consumer?.stop();
  }, 30_000);

  const java = (): JavaConsumer => {
    if (!consumer) throw new Error('the Java consumer did not start');
    return consumer;
  };

  it('verifies the messages against the JWKS and reports a logout by its session id', async () => {
    const tokens = await loggedIn(system.auth.url, 'java');
    const { sid } = decodeJwt(tokens.access_token) as { sid: string };
    await logout(system.auth.url, tokens);

    const line = await java().waitForLine(
      `the logout of session ${sid}`,
      (l) =>
        l.startsWith('VERIFIED ') && l.includes(' type=revocation ') && l.endsWith(` sid=${sid}`),
    );
    expect(line).toContain(' scope=session ');
    expect(line).toContain(
      ' eventType=https://schemas.openid.net/secevent/caep/event-type/session-revoked ',
    );
    expect(line).toMatch(/ kid=events-\S+ /);
    // Heartbeats verify too, and nothing the auth service wrote was refused.
    await java().waitForLine(
      'a heartbeat',
      (l) => l.startsWith('VERIFIED ') && l.includes(' type=heartbeat '),
    );
    // Every message on the topic so far was read and verified: none refused, none left out.
    const ends = await endOffsets(system.brokers, system.topic);
    await java().waitUntil('every message up to the logout verified', () => {
      const reported = new Set(
        java().lines.map((l) =>
          /^(?:VERIFIED|REFUSED) p=(\d+) o=(\d+) /.exec(l)?.slice(1).join('@'),
        ),
      );
      const missing = [...ends].flatMap(([p, end]) =>
        Array.from({ length: end }, (_, o) => `${p}@${o}`).filter((at) => !reported.has(at)),
      );
      return missing.length === 0 ? true : undefined;
    });
    expect(java().lines.filter((l) => l.startsWith('REFUSED'))).toEqual([]);
  });

  it('refuses forged messages, and goes on verifying genuine ones', async () => {
    const jwks = await call<{ keys: { kid: string }[] }>(
      `${system.auth.url}/.well-known/jwks.json`,
    );
    const eventKid = jwks.body.keys.map((k) => k.kid).find((kid) => kid.startsWith('events-'));
    expect(eventKid).toBeDefined();
    const tokenKid = jwks.body.keys.map((k) => k.kid).find((kid) => !kid.startsWith('events-'));
    const claims = {
      iss: issuer,
      iat: Math.floor(Date.now() / 1000),
      jti: 'forged',
      events: {
        'https://tokenfence.dev/secevent/revocation-batch': {
          revocations: [
            {
              v: 1,
              id: 'forged-1',
              iss: issuer,
              sub: 'victim',
              scope: 'all',
              cutoff: Math.floor(Date.now() / 1000),
              revokedAtMs: Date.now(),
              expiresAt: Math.floor(Date.now() / 1000) + 600,
              reason: 'emergency',
            },
          ],
        },
      },
    };
    const attacker = await generateKeyPair('EdDSA');
    const sign = (kid: string, alg = 'EdDSA', typ = SET_TYP) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, typ }).sign(attacker.privateKey);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged: [string, string][] = [
      ['unknown-kid', await sign('events-attacker')],
      ['signature', await sign(eventKid ?? '')],
      ['not-an-event-key', await sign(tokenKid ?? 'no-token-key')],
      ['algorithm', `${part({ alg: 'none', kid: eventKid, typ: SET_TYP })}.${part(claims)}.`],
      ['typ', await sign(eventKid ?? '', 'EdDSA', 'JWT')],
      ['not-a-jws', JSON.stringify(claims)],
    ];

    const kafka = new kafkajs.Kafka({
      brokers: system.brokers.split(','),
      clientId: 'forger',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    let written: kafkajs.RecordMetadata[];
    try {
      written = await producer.send({
        topic: system.topic,
        messages: forged.map(([, value]) => ({ partition: 0, value })),
      });
    } finally {
      await producer.disconnect();
    }
    const base = Number(written[0]?.baseOffset);
    for (const [i, [reason]] of forged.entries()) {
      await java()
        .waitForLine(`the forged message at offset ${base + i} refused`, (l) =>
          l.startsWith(`REFUSED p=0 o=${base + i} `),
        )
        .then((line) => expect(line).toBe(`REFUSED p=0 o=${base + i} reason=${reason}`));
    }
    expect(java().lines.some((l) => l.includes('forged-1') || l.includes('sub=victim'))).toBe(
      false,
    );

    // Still consuming: a logout after the forgeries is reported.
    const tokens = await loggedIn(system.auth.url, 'java-after');
    const { sid } = decodeJwt(tokens.access_token) as { sid: string };
    await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    await java().waitForLine(
      `the logout of session ${sid}`,
      (l) => l.startsWith('VERIFIED ') && l.endsWith(` sid=${sid}`),
    );
  });
});

/** The end offset of each partition of the topic now. */
async function endOffsets(brokers: string, topic: string): Promise<Map<number, number>> {
  const admin = new kafkajs.Kafka({
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}
