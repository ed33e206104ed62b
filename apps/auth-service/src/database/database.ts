/** Anything that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * The data layer's one seam: PostgreSQL SQL over either the embedded database (PGlite) or a
 * PostgreSQL server. The same migrations and queries run on both.
 */
export interface Database extends Queryable {
  readonly kind: 'embedded' | 'postgres';
  /**
   * Tries to take an exclusive lock that only one process can hold; undefined when another
   * holds it. On PostgreSQL it is a lease renewed every second, so a holder that vanished without
   * a word loses it within seconds.
   */
  tryLock(key: number): Promise<DatabaseLock | undefined>;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A held lock. `isHeld()` turns false, for good, once the holder cannot be sure of it. */
export interface DatabaseLock {
  isHeld(): boolean;
  release(): Promise<void>;
}

export const DATABASE = Symbol('DATABASE');
