// Cold start: a fresh guard instance replays N live revocations from a real Kafka topic
// (signed batches, as the auth service publishes them) until it is ready.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  heartbeatClaims,
  MAX_BATCH_REVOCATIONS,
  revocationBatchClaims,
  SET_TYP,
} from '@tokenfence/contract';
import {
  Denylist,
  EventVerifier,
  KafkaEventSource,
  RevocationFeed,
} from '@tokenfence/revocation-guard';
import { startLocalKafka } from '../tools/kafka/local-kafka.mjs';

const ISSUER = 'https://auth.bench.local';
const PARTITIONS = 3;
const silent = { log() {}, warn() {}, error() {} };
const gc = () => globalThis.gc?.();
const memory = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function revocation(nowS) {
  return {
    v: 1,
    id: randomUUID(),
    iss: ISSUER, // every event carries it since contract revision 2
    sub: randomUUID(),
    scope: 'session',
    sid: randomUUID(),
    revokedAtMs: nowS * 1000,
    expiresAt: nowS + 900,
    reason: 'logout',
    eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  };
}

async function publish(kafka, topic, count, sign) {
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const nowS = Math.floor(Date.now() / 1000);
  let sent = 0;
  let partition = 0;
  while (sent < count) {
    const messages = [];
    for (let m = 0; m < 4 && sent < count; m++) {
      const size = Math.min(MAX_BATCH_REVOCATIONS, count - sent);
      const batch = Array.from({ length: size }, () => revocation(nowS));
      messages.push({
        partition,
        value: await sign(
          revocationBatchClaims({ iss: ISSUER, iat: nowS, jti: randomUUID() }, batch),
        ),
      });
      sent += size;
    }
    await producer.send({ topic, acks: -1, messages });
    partition = (partition + 1) % PARTITIONS;
  }
  const heartbeats = [];
  for (let p = 0; p < PARTITIONS; p++) {
    heartbeats.push({
      partition: p,
      value: await sign(
        heartbeatClaims({ iss: ISSUER, iat: nowS, jti: randomUUID() }, p, Date.now()),
      ),
    });
  }
  await producer.send({ topic, acks: -1, messages: heartbeats });
  await producer.disconnect();
}

/** Bytes per entry of the denylist alone, measured in a fresh process. */
function denylistBytesPerEntry(count) {
  const out = execFileSync(process.execPath, [
    '--expose-gc',
    new URL('./denylist-memory.mjs', import.meta.url).pathname,
    String(count),
  ]);
  return JSON.parse(out.toString());
}

export async function coldStart({ counts }) {
  const kafkaBroker = await startLocalKafka({ port: 0, controllerPort: 0, log: () => {} });
  const kafka = new kafkajs.Kafka({
    brokers: [kafkaBroker.brokers],
    clientId: 'bench',
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const keys = await generateKeyPair('EdDSA');
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'events-bench', alg: 'EdDSA' }],
  });
  const sign = (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'events-bench', typ: SET_TYP })
      .sign(keys.privateKey);

  const denylistBytes = new Map(counts.map((count) => [count, denylistBytesPerEntry(count)]));

  const rows = [];
  try {
    for (const count of counts) {
      const topic = `bench.cold.${count}.${Date.now()}`;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: PARTITIONS,
            configEntries: [{ name: 'max.message.bytes', value: String(2 * 1024 * 1024) }],
          },
        ],
      });
      const t0 = Date.now();
      await publish(kafka, topic, count, sign);
      const publishMs = Date.now() - t0;

      const base = memory();
      const feed = new RevocationFeed(
        new Denylist(5),
        new KafkaEventSource({
          brokers: [kafkaBroker.brokers],
          topic,
          clientId: 'cold',
          groupIdPrefix: 'cold',
          logger: silent,
        }),
        new EventVerifier(ISSUER, jwks),
        silent,
        { nowMs: () => Date.now() },
      );
      const start = Date.now();
      await feed.start();
      while (!feed.isReady()) await new Promise((r) => setTimeout(r, 5));
      const readyMs = Date.now() - start;
      const processBytes = (memory() - base) / count;
      const applied = feed.stats().applied;
      await feed.stop();
      const denylist = denylistBytes.get(count);
      rows.push({
        count,
        publishMs,
        readyMs,
        applied,
        eventsPerSec: (applied / readyMs) * 1000,
        processBytesPerEntry: processBytes,
        denylistBytesPerEntry: denylist.bytesPerEntry,
      });
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
    await kafkaBroker.stop();
  }
  return rows;
}
