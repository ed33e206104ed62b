import { loadDatabaseLocation } from './config/auth-config.js';
import type { Database } from './database/database.js';
import { EmbeddedDatabase } from './database/embedded.database.js';
import { PostgresDatabase } from './database/postgres.database.js';
import { renameUser } from './users/rename-user.js';

/**
 * `node apps/auth-service/dist/rename-user.js <user id> <new username>`, with the service's
 * DATABASE_URL or DATA_DIR: renames a user without starting (or migrating) the service.
 */
const [id, username, ...rest] = process.argv.slice(2);
let db: Database | undefined;
try {
  if (!id || !username || rest.length > 0) {
    throw new TypeError(
      'usage: node apps/auth-service/dist/rename-user.js <user id> <new username>, with the ' +
        "service's DATABASE_URL or DATA_DIR set and the service stopped if it is embedded",
    );
  }
  const location = loadDatabaseLocation(process.env);
  db = location.databaseUrl
    ? await PostgresDatabase.open(location.databaseUrl)
    : await EmbeddedDatabase.open(location.dataDir);
  await renameUser(db, id, username);
  console.log(`auth-service: user ${id} is now "${username}"`);
} catch (err) {
  console.error(`auth-service: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await db?.close();
}
