import type { AuthConfig } from '../config/auth-config.js';
import type { Database } from './database.js';
import { EmbeddedDatabase } from './embedded.database.js';
import { migrate } from './migrations.js';
import { PostgresDatabase } from './postgres.database.js';

/** Opens the configured database and migrates it. */
export async function openDatabase(config: AuthConfig): Promise<Database> {
  const db = config.databaseUrl
    ? await PostgresDatabase.open(config.databaseUrl)
    : await EmbeddedDatabase.open(config.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
