import type kafkajs from 'kafkajs';

/**
 * A kafkajs consumer for a test that reads the topic in the Jest process, in a group of its own.
 * It never restarts after a crash: kafkajs clears its restart timer when it disconnects, but a
 * crash handled while disconnecting sets a new one afterwards, and that restart, outliving the
 * test, loads a module after Jest has torn the environment down, which fails the whole run.
 */
export function testConsumer(kafka: kafkajs.Kafka, groupPrefix: string): kafkajs.Consumer {
  return kafka.consumer({
    groupId: `${groupPrefix}-${Date.now()}`,
    retry: { restartOnFailure: () => Promise.resolve(false) },
  });
}
