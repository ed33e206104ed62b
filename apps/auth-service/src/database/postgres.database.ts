import pg from 'pg';
import type { Database, DatabaseLock, Queryable } from './database.js';

/** A PostgreSQL server through a connection pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres';

  private constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
  ) {}

  static async open(connectionString: string): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ connectionString, max: 10 });
    pool.on('error', () => undefined); // an idle client's error is surfaced by the next query
    const client = await pool.connect(); // fail fast when the server is unreachable
    client.release();
    return new PostgresDatabase(pool, connectionString);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(sql, [...params]);
    return result.rows as Row[];
  }

  /** Holds the advisory lock on a dedicated connection, outside the pool. */
  async tryLock(key: number): Promise<DatabaseLock | undefined> {
    const client = new pg.Client({ connectionString: this.connectionString });
    let held = false;
    client.on('error', () => {
      held = false;
    });
    client.on('end', () => {
      held = false;
    });
    await client.connect();
    const rows = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [key],
    );
    if (rows.rows[0]?.locked !== true) {
      await client.end();
      return undefined;
    }
    held = true;
    return {
      isHeld: () => held,
      release: async () => {
        held = false;
        await client.end().catch(() => undefined);
      },
    };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, [...params])).rows as Row[],
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
