import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  const kafka = globalThis.__LOCAL_KAFKA__;
  if (kafka) {
    await kafka.stop();
    await rm(new URL('./.kafka-pid', import.meta.url), { force: true });
  }
}
