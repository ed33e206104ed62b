import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { call } from './http.js';
import { waitFor } from './wait-for.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = {
  auth: 'apps/auth-service/dist/main.js',
  orders: 'apps/orders-service/dist/main.js',
  game: 'apps/game-service/dist/main.js',
} as const;

export type ServiceKind = keyof typeof MAIN;

/**
 * One service running as its own OS process, as in production, so a fault test can SIGKILL it.
 * Runs the built `dist/main.js` (`npm test` builds first); output is kept for failure messages.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  /** Everything written to stdout, when asked for (a log test reads all of it). */
  private stdout: string[] | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly kind: ServiceKind,
    readonly port: number,
    private readonly env: Record<string, string>,
    options: { keepStdout?: boolean } = {},
  ) {
    if (options.keepStdout) this.stdout = [];
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until `/health/ready` answers 200. */
  async start(readyTimeoutMs = 60_000): Promise<this> {
    const main = `${ROOT}${MAIN[this.kind]}`;
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Never outlive the test process, even when a suite dies without its afterAll.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stdout?.on('data', (chunk: Buffer) => this.stdout?.push(chunk.toString()));
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(
        `${this.kind} (pid ${child.pid}) to be ready`,
        async () => {
          if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
          return (await call(`${this.url}/health/ready`)).status === 200 ? true : undefined;
        },
        { timeoutMs: readyTimeoutMs, intervalMs: 50 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.recentOutput()}`, { cause: err });
    }
    return this;
  }

  /** Sends `signal` and waits for the process to be gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** All of stdout since the start (only with `keepStdout`). */
  allStdout(): string {
    if (!this.stdout) throw new Error(`${this.kind} was not started with keepStdout`);
    return this.stdout.join('');
  }

  recentOutput(): string {
    return this.output.join('').split('\n').slice(-40).join('\n');
  }
}
