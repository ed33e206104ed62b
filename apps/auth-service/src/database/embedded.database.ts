import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Database, DatabaseLock, Queryable } from './database.js';

/** PostgreSQL compiled to WebAssembly, in a data directory: no server to install. */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded';

  private constructor(private readonly db: PGlite) {}

  static async open(dataDir: string): Promise<EmbeddedDatabase> {
    if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    return new EmbeddedDatabase(db);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.db.query<Row>(sql, [...params]);
    return result.rows;
  }

  /** One process owns the embedded data directory, so its locks are always free. */
  tryLock(): Promise<DatabaseLock | undefined> {
    let held = true;
    return Promise.resolve({
      isHeld: () => held && !this.db.closed,
      release: () => {
        held = false;
        return Promise.resolve();
      },
    });
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) =>
          (await tx.query<Row>(sql, [...params])).rows,
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
