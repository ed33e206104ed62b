import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PROJECT = join(ROOT, 'test/java-consumer');
const MAIN_CLASS = 'dev.tokenfence.consumer.RevocationTopicConsumer';
const CLASS_FILE = join(
  PROJECT,
  'target/classes/dev/tokenfence/consumer/RevocationTopicConsumer.class',
);

/** Newest modification time under `dir` (the pom and the sources). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * Builds test/java-consumer with Maven unless its classes and runtime jars are newer than its pom
 * and sources (CI builds it in a phase of its own, bounded and timed, before the e2e phase).
 * Offline first (`-o`: a warm ~/.m2 needs no network), online when something is missing.
 */
export function buildJavaConsumer(timeoutMs = 600_000): { seconds: number; how: string } {
  const started = Date.now();
  const sources = Math.max(newest(join(PROJECT, 'pom.xml')), newest(join(PROJECT, 'src')));
  if (
    existsSync(CLASS_FILE) &&
    existsSync(join(PROJECT, 'target/lib')) &&
    statSync(CLASS_FILE).mtimeMs >= sources &&
    statSync(join(PROJECT, 'target/lib')).mtimeMs >= newest(join(PROJECT, 'pom.xml'))
  ) {
    return { seconds: 0, how: 'up to date' };
  }
  let last = '';
  for (const [how, flags] of [
    ['offline', ['-o']],
    ['online', []],
  ] as const) {
    const remaining = timeoutMs - (Date.now() - started);
    if (remaining <= 0) break;
    const result = spawnSync(
      'mvn',
      ['-B', '-q', ...flags, '-f', join(PROJECT, 'pom.xml'), 'package'],
      {
        encoding: 'utf8',
        timeout: remaining,
      },
    );
    if (result.status === 0) return { seconds: (Date.now() - started) / 1000, how };
    last = `${result.error?.message ?? ''}${result.stdout ?? ''}${result.stderr ?? ''}`.slice(
      -3000,
    );
  }
  throw new Error(`building test/java-consumer failed:\n${last}`);
}

/** The Java consumer running against one topic; its stdout lines are kept for the test. */
export class JavaConsumer {
  readonly lines: string[] = [];
  private readonly errors: string[] = [];
  private child: ChildProcess | undefined;
  private exitCode: number | null | undefined;

  constructor(private readonly env: { brokers: string; topic: string; issuer: string }) {}

  async start(readyTimeoutMs = 60_000): Promise<this> {
    const child = spawn(
      'java',
      ['-cp', `${join(PROJECT, 'target/classes')}:${join(PROJECT, 'target/lib')}/*`, MAIN_CLASS],
      {
        env: {
          PATH: process.env.PATH,
          JAVA_HOME: process.env.JAVA_HOME,
          KAFKA_BROKERS: this.env.brokers,
          REVOCATION_TOPIC: this.env.topic,
          AUTH_ISSUER: this.env.issuer,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', (code) => {
      this.exitCode = code;
      process.removeListener('exit', killOnExit);
    });
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts.filter(Boolean));
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.errors.push(chunk);
      if (this.errors.length > 100) this.errors.splice(0, 50);
    });
    await this.waitForLine('READY', (line) => line.startsWith('READY'), readyTimeoutMs);
    return this;
  }

  /** Polls the lines until one matches; a consumer that died is reported with its stderr. */
  waitForLine(
    what: string,
    matches: (line: string) => boolean,
    timeoutMs = 30_000,
  ): Promise<string> {
    return waitFor(
      `the Java consumer to report ${what}`,
      () => {
        if (this.exitCode !== undefined) {
          throw new Error(`it exited (${this.exitCode}): ${this.errors.join('').slice(-2000)}`);
        }
        return Promise.resolve(this.lines.find(matches));
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exitCode !== undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
