import { EVENT_TYPES } from '@tokenfence/contract';
import kafkajs from 'kafkajs';
import { testConsumer } from './test-consumer.js';
import { waitFor } from './wait-for.js';

/** One revocation as a topic message carries it (a member of a revocation batch). */
export type TopicRevocation = Record<string, unknown>;

/**
 * Reads `topic` from the start until a revocation matching `matches` is on it, and returns it
 * (its signature is the guards' business: this only decodes the SET's payload).
 */
export async function waitForTopicRevocation(
  brokers: string,
  topic: string,
  description: string,
  matches: (revocation: TopicRevocation) => boolean,
  timeoutMs = 30_000,
): Promise<TopicRevocation> {
  const kafka = new kafkajs.Kafka({
    brokers: brokers.split(','),
    clientId: 'e2e-topic-reader',
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = testConsumer(kafka, 'e2e-topic-reader');
  let found: TopicRevocation | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const payload = message.value?.toString('ascii').split('.')[1] ?? '';
        try {
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
            events?: Record<string, { revocations?: TopicRevocation[] }>;
          };
          const members = claims.events?.[EVENT_TYPES.revocationBatch]?.revocations ?? [];
          found ??= members.find(matches);
        } catch {
          // not a SET: not ours to read
        }
        return Promise.resolve();
      },
    });
    return await waitFor(description, () => Promise.resolve(found), { timeoutMs, intervalMs: 50 });
  } finally {
    await consumer.disconnect();
  }
}
