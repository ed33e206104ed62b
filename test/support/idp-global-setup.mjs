// The idp project (test/idp): the e2e Kafka broker first, then one real Keycloak for the whole run,
// one after the other (never two heavy fixtures starting at once). Suites find it through
// KEYCLOAK_URL (each test file has its own module registry; process.env is shared), or use the
// one at KEYCLOAK_URL if it is already set.
import { writeFile } from 'node:fs/promises';
import { ensureKeycloakDist, startLocalKeycloak } from '../../tools/keycloak/local-keycloak.mjs';
import kafkaGlobalSetup from './global-setup.mjs';

export default async function globalSetup(globalConfig, projectConfig) {
  await kafkaGlobalSetup(globalConfig, projectConfig);
  if (process.env.KEYCLOAK_URL) {
    console.log(`[idp] using the Keycloak at ${process.env.KEYCLOAK_URL}`);
    return;
  }
  const log = (line) => process.stderr.write(`${line}\n`);
  const version = process.env.KEYCLOAK_VERSION || undefined; // default: the tested 26.7.3
  try {
    await ensureKeycloakDist({ version, log });
  } catch (err) {
    // In CI a suite that must run never skips: no Keycloak fails the run.
    if (process.env.CI === 'true') throw err;
    process.env.KEYCLOAK_UNAVAILABLE = `Keycloak could not be fetched: ${err.message}`;
    console.warn(
      `\n[idp] ${process.env.KEYCLOAK_UNAVAILABLE}\n[idp] the test/idp suites will skip`,
    );
    return;
  }
  const keycloak = await startLocalKeycloak({ version, log });
  globalThis.__LOCAL_KEYCLOAK__ = keycloak;
  process.env.KEYCLOAK_URL = keycloak.url;
  process.env.KEYCLOAK_ADMIN_USERNAME = keycloak.adminUsername;
  process.env.KEYCLOAK_ADMIN_PASSWORD = keycloak.adminPassword;
  process.env.KEYCLOAK_LOG_FILE = keycloak.logFile;
  await writeFile(new URL('./.keycloak-pid', import.meta.url), String(keycloak.pid));
  console.log(
    `[idp] Keycloak ${keycloak.version} ready at ${keycloak.url} in ${keycloak.readyMs} ms, ` +
      `RSS ${Math.round(keycloak.rssBytes() / 2 ** 20)} MiB`,
  );
}
