import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import type { EventSink } from '../core/event-source.js';
import { KafkaEventSource } from './kafka-event-source.js';

/** A port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sink: EventSink = {
  onPartitions: () => undefined,
  onMessage: () => Promise.resolve(),
  onCaughtUp: () => undefined,
};

async function waitForCount(lines: string[], count: number, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (lines.length < count) {
    if (Date.now() > until)
      throw new Error(`only ${lines.length} of ${count} lines: ${lines.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('KafkaEventSource without a broker', () => {
  it('retries with an exponential backoff plus jitter', async () => {
    const warnings: string[] = [];
    const source = new KafkaEventSource({
      brokers: [`127.0.0.1:${await closedPort()}`],
      topic: 'auth.revocations',
      clientId: 'backoff-test',
      groupIdPrefix: 'backoff-test',
      kafka: { retry: { retries: 0 }, connectionTimeout: 1_000 },
      random: () => 0.5,
      logger: {
        log: () => undefined,
        error: () => undefined,
        warn: (message: string) => {
          if (message.includes('retrying in')) warnings.push(message);
        },
      },
    });
    await source.start(sink);
    await waitForCount(warnings, 2);
    await source.stop();
    expect(warnings.slice(0, 2).map((line) => /retrying in (\d+) ms/.exec(line)?.[1])).toEqual([
      '312',
      '625',
    ]);
  });
});
