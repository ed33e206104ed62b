import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startLocalKafka, type LocalKafka } from '../../tools/kafka/local-kafka.mjs';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { freePort } from './free-port.js';
import { bearer, call } from './http.js';
import { ServiceProcess } from './processes.js';
import { GENEROUS_RATE_LIMITS } from './system.js';
import { login, register, uniqueName, type TokenPair } from './users.js';

export interface EnforcementCount {
  /** Revocations accepted with a 2xx. */
  readonly accepted: number;
  /** (revocation, consumer) pairs where the consumer refuses the token with TOKEN_REVOKED. */
  readonly enforced: number;
  /** accepted × consumers: what `enforced` must reach. */
  readonly expected: number;
}

/**
 * A whole deployment in separate OS processes, so faults are real: a Kafka broker of its own,
 * the auth service on a database of the given kind, and downstream consumer instances. Every
 * piece can be SIGKILLed and restarted with its state (broker log, database) intact.
 */
export class FaultRig {
  readonly topic = `faults.revocations.${randomBytes(5).toString('hex')}`;
  kafka!: LocalKafka;
  auth!: ServiceProcess;
  readonly consumers: ServiceProcess[] = [];
  private database!: TestDatabase;
  private dataDir: string | undefined;

  constructor(private readonly kind: DatabaseKind) {}

  async start(consumerKinds: readonly ('orders' | 'game')[]): Promise<this> {
    this.kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => undefined });
    this.database = await createTestDatabase(this.kind);
    if (this.kind === 'embedded') this.dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-fault-'));
    const port = await freePort();
    this.auth = new ServiceProcess('auth', port, {
      ...GENEROUS_RATE_LIMITS,
      AUTH_ISSUER: `http://127.0.0.1:${port}`,
      KAFKA_BROKERS: this.kafka.brokers,
      REVOCATION_TOPIC: this.topic,
      ACCESS_TOKEN_TTL_SECONDS: '600',
      ...(this.database.url ? { DATABASE_URL: this.database.url } : {}),
      ...(this.dataDir ? { DATA_DIR: this.dataDir } : {}),
    });
    await this.auth.start();
    for (const kind of consumerKinds) {
      this.consumers.push(
        new ServiceProcess(kind, await freePort(), {
          AUTH_ISSUER: this.auth.url,
          KAFKA_BROKERS: this.kafka.brokers,
          REVOCATION_TOPIC: this.topic,
        }),
      );
    }
    await Promise.all(this.consumers.map((c) => c.start()));
    return this;
  }

  /** Rows committed to the outbox and not yet published (PostgreSQL only; undefined otherwise). */
  async pendingOutboxRows(): Promise<number | undefined> {
    if (!this.database.url) return undefined;
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
      return Number(rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.consumers, this.auth].map((s) => s?.stop('SIGKILL')));
    await this.kafka?.stop();
    await this.database?.drop();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** `count` live sessions, spread over a few users. */
  async sessions(count: number, users = 4): Promise<TokenPair[]> {
    const names = await Promise.all(
      Array.from({ length: users }, async () => {
        const name = uniqueName('fault');
        await register(this.auth.url, name);
        return name;
      }),
    );
    const sessions: TokenPair[] = [];
    for (let i = 0; i < count; i++) sessions.push(await login(this.auth.url, names[i % users]));
    return sessions;
  }

  /**
   * Logs out each session (all at once) and returns those the auth service accepted with 204.
   * A request cut off by a fault is not accepted, and not counted.
   */
  async logout(sessions: readonly TokenPair[]): Promise<TokenPair[]> {
    const answers = await Promise.all(
      sessions.map((s) =>
        call(`${this.auth.url}/auth/logout`, {
          method: 'POST',
          headers: bearer(s.access_token),
        }).then(
          (a) => a.status,
          () => 0,
        ),
      ),
    );
    return sessions.filter((_, i) => answers[i] === 204);
  }

  /**
   * Polls every consumer with every revoked token until each refuses it with TOKEN_REVOKED or
   * `timeoutMs` passes, and counts. Anything but 200 or that refusal throws at once.
   */
  async enforcement(revoked: readonly TokenPair[], timeoutMs = 90_000): Promise<EnforcementCount> {
    let pending = revoked.flatMap((s) => this.consumers.map((c) => ({ s, c })));
    const expected = pending.length;
    const deadline = Date.now() + timeoutMs;
    while (pending.length > 0 && Date.now() < deadline) {
      const still: typeof pending = [];
      for (const pair of pending) {
        const answer = await call<{ code?: string }>(`${pair.c.url}/me`, {
          headers: bearer(pair.s.access_token),
        }).catch(() => undefined);
        if (answer?.status === 401 && answer.body.code === 'TOKEN_REVOKED') continue;
        if (answer && answer.status !== 200 && answer.status !== 503) {
          throw new Error(`${pair.c.kind} answered ${answer.status} ${answer.body.code}`);
        }
        still.push(pair);
      }
      pending = still;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { accepted: revoked.length, enforced: expected - pending.length, expected };
  }

  /** What to look at when a run fails: pending outbox rows and each process's recent output. */
  async diagnostics(): Promise<string> {
    const pending = await this.pendingOutboxRows().catch((err: unknown) => String(err));
    return [
      `outbox rows pending: ${pending}`,
      ...[this.auth, ...this.consumers].map(
        (p) => `--- ${p.kind} on ${p.url} (pid ${p.pid}):\n${p.recentOutput()}`,
      ),
    ].join('\n');
  }

  /** How many of `live` every consumer still accepts (they must all be). */
  async stillAccepted(live: readonly TokenPair[]): Promise<number> {
    let accepted = 0;
    for (const s of live) {
      const answers = await Promise.all(
        this.consumers.map((c) => call(`${c.url}/me`, { headers: bearer(s.access_token) })),
      );
      if (answers.every((a) => a.status === 200)) accepted++;
    }
    return accepted;
  }
}
