// Starts one real single-node Kafka broker for the e2e suites, unless KAFKA_BROKERS points at one.
import { writeFile } from 'node:fs/promises';
import { startLocalKafka } from '../../tools/kafka/local-kafka.mjs';

export default async function globalSetup() {
  if (process.env.KAFKA_BROKERS) {
    console.log(`\n[e2e] using the Kafka broker at ${process.env.KAFKA_BROKERS}`);
    return;
  }
  const started = Date.now();
  const kafka = await startLocalKafka({
    port: 0,
    controllerPort: 0,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.env.KAFKA_BROKERS = kafka.brokers;
  globalThis.__LOCAL_KAFKA__ = kafka;
  await writeFile(new URL('./.kafka-pid', import.meta.url), String(kafka.pid));
  console.log(`\n[e2e] local Kafka broker ready at ${kafka.brokers} in ${Date.now() - started} ms`);
}
