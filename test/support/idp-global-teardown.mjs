import { rm } from 'node:fs/promises';
import kafkaGlobalTeardown from './global-teardown.mjs';

export default async function globalTeardown(globalConfig, projectConfig) {
  const keycloak = globalThis.__LOCAL_KEYCLOAK__;
  if (keycloak) {
    console.log(
      `\n[idp] Keycloak RSS at the end: ${Math.round(keycloak.rssBytes() / 2 ** 20)} MiB`,
    );
    // KEYCLOAK_KEEP_WORK_DIR=1 keeps its log and database for a look after the run.
    await keycloak.stop({ keepWorkDir: process.env.KEYCLOAK_KEEP_WORK_DIR === '1' });
    await rm(new URL('./.keycloak-pid', import.meta.url), { force: true });
  }
  await kafkaGlobalTeardown(globalConfig, projectConfig);
}
