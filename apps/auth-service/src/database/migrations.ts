import { refuseCaseVariantUsernames } from './case-variant-usernames.js';
import type { Database, Queryable } from './database.js';

interface Migration {
  readonly version: number;
  /** Runs first, in the same transaction; throws to refuse the migration before any change. */
  readonly check?: (tx: Queryable) => Promise<void>;
  readonly statements: readonly string[];
}

/** Ordered schema changes. Never edit a released one: append a new version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE users (
         id uuid PRIMARY KEY,
         username text NOT NULL UNIQUE,
         password_hash text NOT NULL,
         scope text NOT NULL,
         tokens_revoked_before bigint NOT NULL DEFAULT 0,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE sessions (
         id uuid PRIMARY KEY,
         user_id uuid NOT NULL REFERENCES users (id),
         created_at timestamptz NOT NULL DEFAULT now(),
         last_used_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         revoked_at timestamptz,
         revoke_reason text,
         user_agent text,
         ip text
       )`,
      `CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL`,
      `CREATE TABLE refresh_tokens (
         token_hash text PRIMARY KEY,
         session_id uuid NOT NULL REFERENCES sessions (id),
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         used_at timestamptz
       )`,
      `CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id)`,
      `CREATE TABLE signing_keys (
         kid text PRIMARY KEY,
         alg text NOT NULL,
         public_jwk jsonb NOT NULL,
         private_jwk jsonb NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         retired_at timestamptz
       )`,
      `CREATE TABLE revocations (
         id uuid PRIMARY KEY,
         scope text NOT NULL,
         user_id uuid NOT NULL,
         session_id uuid,
         jti text,
         cutoff bigint,
         reason text NOT NULL,
         revoked_at timestamptz NOT NULL,
         expires_at bigint NOT NULL
       )`,
      `CREATE TABLE outbox (
         seq bigserial PRIMARY KEY,
         event_id uuid NOT NULL,
         message_key text NOT NULL,
         payload text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 2,
    statements: [
      // Token keys sign access tokens; event keys sign the revocation topic's messages.
      `ALTER TABLE signing_keys ADD COLUMN purpose text NOT NULL DEFAULT 'token'`,
    ],
  },
  {
    version: 3,
    statements: [
      `ALTER TABLE users ADD COLUMN disabled_at timestamptz`,
      `ALTER TABLE revocations ADD COLUMN initiated_by text`,
      `ALTER TABLE revocations ADD COLUMN kid text`,
      `ALTER TABLE signing_keys ADD COLUMN revoked_at timestamptz`,
      `ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz NOT NULL DEFAULT now()`,
      `CREATE TABLE settings (name text PRIMARY KEY, value bigint NOT NULL)`,
      `CREATE INDEX revocations_by_time ON revocations (revoked_at DESC)`,
      `CREATE INDEX revocations_by_jti ON revocations (jti) WHERE jti IS NOT NULL`,
    ],
  },
  {
    version: 4,
    statements: [
      // The successor of a spent refresh token, for the two-tabs grace window.
      `ALTER TABLE refresh_tokens ADD COLUMN replaced_by text`,
      `CREATE TABLE secrets (name text PRIMARY KEY, value text NOT NULL)`,
    ],
  },
  {
    version: 5,
    statements: [
      // Attempt counters shared by every instance: one fixed window per key.
      `CREATE TABLE rate_limit_counters (
         key text PRIMARY KEY,
         hits integer NOT NULL,
         resets_at_ms bigint NOT NULL
       )`,
      `CREATE INDEX rate_limit_counters_by_reset ON rate_limit_counters (resets_at_ms)`,
    ],
  },
  {
    version: 6,
    statements: [
      // Consecutive failed logins per (lower-cased) username, whether or not the user exists.
      `CREATE TABLE login_failures (
         username text PRIMARY KEY,
         failures integer NOT NULL,
         locked_until_ms bigint NOT NULL,
         last_failure_ms bigint NOT NULL
       )`,
      `CREATE INDEX login_failures_by_last_failure ON login_failures (last_failure_ms)`,
    ],
  },
  {
    version: 7,
    statements: [
      // The client a session was opened for, and the scopes its login asked for (NULL: all the
      // client may have): every token of the session is limited by both.
      `ALTER TABLE sessions ADD COLUMN client_id text NOT NULL DEFAULT 'tokenfence-first-party'`,
      `ALTER TABLE sessions ADD COLUMN requested_scope text`,
    ],
  },
  {
    version: 8,
    statements: [
      // Access-token lifetimes in force: tokens of this lifetime may be issued until
      // issued_until (epoch seconds, renewed by every running instance), so every revocation
      // outlives the longest of them, even after a restart with a shorter lifetime.
      `CREATE TABLE access_token_lifetimes (
         ttl_seconds integer PRIMARY KEY,
         issued_until bigint NOT NULL
       )`,
    ],
  },
  {
    version: 9,
    statements: [
      // Admin actions that revoke nothing (enable a user, rotate a key), for the audit log.
      `CREATE TABLE admin_actions (
         id uuid PRIMARY KEY,
         action text NOT NULL,
         user_id uuid,
         kid text,
         initiated_by text NOT NULL,
         at timestamptz NOT NULL
       )`,
      `CREATE INDEX admin_actions_by_time ON admin_actions (at DESC)`,
    ],
  },
  {
    version: 10,
    statements: [
      // Snapshots to publish: every revocation that still matters, republished under the current
      // event key (the event key was revoked, the topic lost history, or an admin asked).
      `CREATE TABLE snapshot_requests (
         id bigserial PRIMARY KEY,
         reason text NOT NULL,
         requested_by text,
         requested_at timestamptz NOT NULL DEFAULT now(),
         done_at timestamptz
       )`,
      // What the relay leader must remember across leaders: the event key it last signed with.
      `CREATE TABLE relay_state (name text PRIMARY KEY, value text NOT NULL)`,
      // Where each partition's revocation batches went, while they matter, and the highest offset
      // written: a log start past a batch that matters, or offsets going back, mean lost history.
      `CREATE TABLE topic_batches (
         partition integer NOT NULL,
         base_offset bigint NOT NULL,
         expires_at bigint NOT NULL,
         PRIMARY KEY (partition, base_offset)
       )`,
      `CREATE INDEX topic_batches_by_expiry ON topic_batches (expires_at)`,
      `CREATE TABLE topic_partitions (partition integer PRIMARY KEY, last_offset bigint NOT NULL)`,
      // Leases (the relay leader's): held while renewed, expired on the database's clock.
      `CREATE TABLE database_leases (
         name text PRIMARY KEY,
         holder text NOT NULL,
         expires_at timestamptz NOT NULL
       )`,
    ],
  },
  {
    version: 11,
    // Refuses, naming them, while two usernames differ only in case: an admin renames one first.
    check: refuseCaseVariantUsernames,
    statements: [
      // Usernames are unique regardless of case: the key is `usernameKey()` (users/username.ts),
      // ASCII letters lower-cased, computed by the database for every writer, older ones included.
      `ALTER TABLE users ADD COLUMN username_key text NOT NULL
         GENERATED ALWAYS AS (translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                                  'abcdefghijklmnopqrstuvwxyz')) STORED`,
      `CREATE UNIQUE INDEX users_by_username_key ON users (username_key)`,
    ],
  },
  {
    version: 12,
    statements: [
      // The W3C trace context of the span that recorded the event (tracing on), for the relay's
      // publish span to link to. NULL for rows written before or with tracing off.
      `ALTER TABLE outbox ADD COLUMN traceparent text`,
      `ALTER TABLE outbox ADD COLUMN tracestate text`,
    ],
  },
  {
    version: 13,
    statements: [
      // A user signed in at the hosted login page, in one browser: the cookie's SHA-256 only.
      // A second authorization request from that browser needs no password while it is live.
      `CREATE TABLE browser_sessions (
         id uuid PRIMARY KEY,
         token_hash text NOT NULL UNIQUE,
         user_id uuid NOT NULL REFERENCES users (id),
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         revoked_at timestamptz,
         user_agent text,
         ip text
       )`,
      `CREATE INDEX browser_sessions_live_by_user ON browser_sessions (user_id) WHERE revoked_at IS NULL`,
      // One-time authorization codes (SHA-256 only), bound to their client, redirect URI and PKCE
      // challenge; session_id is the session the code was exchanged for (revoked on reuse).
      `CREATE TABLE authorization_codes (
         code_hash text PRIMARY KEY,
         client_id text NOT NULL,
         redirect_uri text NOT NULL,
         code_challenge text NOT NULL,
         user_id uuid NOT NULL REFERENCES users (id),
         browser_session_id uuid REFERENCES browser_sessions (id),
         requested_scope text,
         auth_time bigint NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         used_at timestamptz,
         session_id uuid REFERENCES sessions (id)
       )`,
      `CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at)`,
      // A session opened by a code: the browser session it came from (a logout ends both), and
      // when the user authenticated (NULL: when the session was created, as for /auth/login).
      `ALTER TABLE sessions ADD COLUMN browser_session_id uuid REFERENCES browser_sessions (id)`,
      `ALTER TABLE sessions ADD COLUMN auth_time bigint`,
      // Client cutoffs: client-credentials tokens of a client (sub = client_id) with iat at or
      // before it are revoked, as a user cutoff revokes a user's.
      `CREATE TABLE client_cutoffs (
         client_id text PRIMARY KEY,
         tokens_revoked_before bigint NOT NULL
       )`,
      // Revocations of clients name the client id, not a user id.
      `ALTER TABLE revocations ALTER COLUMN user_id TYPE text`,
    ],
  },
  {
    version: 14,
    statements: [
      // Revocations of an identity provider's tokens (its signals): `iss` is the provider's
      // issuer (NULL: this service's own), user_id its `sub` and session_id its `sid`, neither
      // of which is a UUID (Keycloak's sid is a 24-character string).
      `ALTER TABLE revocations ALTER COLUMN session_id TYPE text`,
      `ALTER TABLE revocations ADD COLUMN iss text`,
      // Every signal accepted from a provider, by its jti, kept until it expires: a second
      // delivery of the same signal changes nothing, and another signal reusing its jti is a
      // replay. digest: the SHA-256 of the signal as received.
      `CREATE TABLE signal_receipts (
         iss text NOT NULL,
         jti text NOT NULL,
         channel text NOT NULL,
         digest text NOT NULL,
         received_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         PRIMARY KEY (iss, jti)
       )`,
      `CREATE INDEX signal_receipts_by_expiry ON signal_receipts (expires_at)`,
      // The Shared Signals stream each provider transmits to us on: its id and audience there,
      // the SHA-256 of the Authorization header it pushes with (push delivery), and the state
      // of the last verification asked for and when one came back.
      `CREATE TABLE ssf_streams (
         provider_id text PRIMARY KEY,
         stream_id text,
         audience text[] NOT NULL DEFAULT '{}',
         delivery text NOT NULL,
         endpoint_url text,
         push_token_hash text,
         verification_state text,
         verified_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
];

/**
 * Brings the schema up to date (or, for upgrade tests, up to `upTo`). Safe to run from several
 * instances at once.
 */
export async function migrate(
  db: Database,
  options: { readonly upTo?: number } = {},
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7283401)');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    let count = 0;
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      if (options.upTo !== undefined && migration.version > options.upTo) break;
      await migration.check?.(tx);
      for (const sql of migration.statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
      count++;
    }
    return count;
  });
}
