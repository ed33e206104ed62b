import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Database, DatabaseLock, Queryable } from './database.js';

/** A lease lasts this long on the database's clock unless its holder renews it. */
const LEASE_MS = 6_000;
const RENEW_INTERVAL_MS = 1_000;
/** A renewal that has not answered by then failed (a silent network does not answer at all). */
const RENEW_TIMEOUT_MS = 2_000;
/**
 * The holder stops counting on its lease this long before the database would let another take
 * it: its own clock starts when it sent the renewal, which is never later than the database's.
 */
const LEASE_SAFETY_MS = 2_000;

/** A query that fails after `timeoutMs` without an answer (node-postgres reads `query_timeout`). */
const timed = (text: string, values: unknown[], timeoutMs: number): pg.QueryConfig =>
  ({ text, values, query_timeout: timeoutMs }) as pg.QueryConfig;

/** A PostgreSQL server through a connection pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres';

  private constructor(private readonly pool: pg.Pool) {}

  static async open(connectionString: string): Promise<PostgresDatabase> {
    // A connection attempt into a silent network fails instead of waiting forever.
    const pool = new pg.Pool({
      connectionString,
      max: 10,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    pool.on('error', () => undefined); // an idle client's error is surfaced by the next query
    const client = await pool.connect(); // fail fast when the server is unreachable
    client.release();
    return new PostgresDatabase(pool);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(sql, [...params]);
    return result.rows as Row[];
  }

  /**
   * A lease (table `database_leases`, created by the migrations) rather than a session advisory
   * lock: PostgreSQL keeps an advisory lock for as long as it believes the session alive, which
   * for a holder that vanished without a FIN or an RST is until TCP keepalive gives up (two hours
   * by default). A lease expires on the database's clock unless renewed every second; the holder
   * stops counting on it when a renewal has not succeeded for `LEASE_MS - LEASE_SAFETY_MS`, so
   * another instance takes over within `LEASE_MS` plus its polling interval, and never while the
   * old holder still believes it holds the lease.
   */
  async tryLock(key: number): Promise<DatabaseLock | undefined> {
    const name = `lock:${key}`;
    const holder = randomUUID();
    const rows = await this.pool.query<{ holder: string }>(
      `INSERT INTO database_leases (name, holder, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE database_leases.expires_at < now()
       RETURNING holder`,
      [name, holder, LEASE_MS / 1000],
    );
    if (rows.rows[0]?.holder !== holder) return undefined;
    let renewedAt = performance.now();
    let lost = false;
    let renewing = false;
    const renew = async (): Promise<void> => {
      if (renewing || lost) return;
      renewing = true;
      const sentAt = performance.now();
      try {
        const renewed = await this.pool.query(
          timed(
            `UPDATE database_leases SET expires_at = now() + make_interval(secs => $3)
              WHERE name = $1 AND holder = $2 RETURNING 1`,
            [name, holder, LEASE_MS / 1000],
            RENEW_TIMEOUT_MS,
          ),
        );
        if (renewed.rowCount === 1) renewedAt = sentAt;
        else lost = true; // another instance took it: it had expired
      } catch {
        // unreachable for now: isHeld() turns false once the lease may have run out
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), RENEW_INTERVAL_MS);
    timer.unref();
    const held = (): boolean => !lost && performance.now() - renewedAt < LEASE_MS - LEASE_SAFETY_MS;
    return {
      isHeld: () => {
        if (!held()) {
          lost = true;
          clearInterval(timer);
        }
        return !lost;
      },
      release: async () => {
        lost = true;
        clearInterval(timer);
        await this.pool
          .query(
            timed(
              'DELETE FROM database_leases WHERE name = $1 AND holder = $2',
              [name, holder],
              RENEW_TIMEOUT_MS,
            ),
          )
          .catch(() => undefined);
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
