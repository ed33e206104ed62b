import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PROJECT = join(ROOT, 'test/java-consumer');
const MAIN_CLASS = 'dev.tokenfence.consumer.RevocationTopicConsumer';
const run = promisify(execFile);

/**
 * Builds test/java-consumer with Maven, without blocking the event loop (the suite's services run
 * in this process). Offline first (`-o`: a warm ~/.m2 needs no network), online when something is
 * missing. CI builds it in a phase of its own first, so that the download is bounded and timed
 * there; here it is a quick offline rebuild of the current sources.
 */
export async function buildJavaConsumer(
  timeoutMs = 600_000,
): Promise<{ seconds: number; how: string }> {
  const started = Date.now();
  let last = '';
  for (const [how, flags] of [
    ['offline', ['-o']],
    ['online', []],
  ] as const) {
    const remaining = timeoutMs - (Date.now() - started);
    if (remaining <= 0) break;
    try {
      await run('mvn', ['-B', '-q', ...flags, '-f', join(PROJECT, 'pom.xml'), 'package'], {
        timeout: remaining,
        maxBuffer: 16 * 1024 * 1024,
      });
      return { seconds: (Date.now() - started) / 1000, how };
    } catch (err) {
      const e = err as { message: string; stdout?: string; stderr?: string };
      last = `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(-3000);
    }
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
    return this.waitUntil(what, () => this.lines.find(matches), timeoutMs);
  }

  /** Polls `probe` over the lines until it answers; a consumer that died is reported. */
  waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    return waitFor(
      `the Java consumer to report ${what}`,
      () => {
        if (this.exitCode !== undefined) {
          throw new Error(`it exited (${this.exitCode}): ${this.errors.join('').slice(-2000)}`);
        }
        return Promise.resolve(probe());
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
