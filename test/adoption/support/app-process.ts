import { spawn, type ChildProcess } from 'node:child_process';
import { call } from '../../support/http.js';
import { waitFor } from '../../support/wait-for.js';

/**
 * A built adoption app running as its own process (`node dist/main.js`), configured through the
 * environment only, as in production. Its output is kept for failure messages.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private readonly output: string[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly name: string,
    private readonly options: {
      readonly node: string;
      readonly cwd: string;
      readonly main: string;
      readonly port: number;
      readonly env: Record<string, string>;
    },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** The environment it was started with (beside PATH, NO_COLOR and PORT). */
  get env(): Readonly<Record<string, string>> {
    return this.options.env;
  }

  /** Still running: it never crashed, nor exited by itself. */
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it, then polls `readyPath` until it answers 200. */
  async start(readyPath: string, readyTimeoutMs = 60_000): Promise<this> {
    const child = spawn(this.options.node, [this.options.main], {
      cwd: this.options.cwd,
      env: {
        PATH: process.env.PATH ?? '',
        NO_COLOR: '1',
        ...this.options.env,
        PORT: String(this.options.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const killOnExit = () => child.kill('SIGKILL'); // never outlive the test process
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        resolve({ code, signal });
      }),
    );
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.splice(0, 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitFor(
        `${this.name} (pid ${child.pid}) to answer 200 on ${readyPath}`,
        async () => {
          if (!this.alive) throw new Error(`exited (${child.exitCode ?? child.signalCode})`);
          return (await call(`${this.url}${readyPath}`)).status === 200 ? true : undefined;
        },
        { timeoutMs: readyTimeoutMs, intervalMs: 50 },
      );
    } catch (err) {
      await this.kill();
      throw new Error(`${(err as Error).message}\n${this.recentOutput()}`, { cause: err });
    }
    return this;
  }

  /**
   * SIGTERM, then waits (bounded) for the exit. Returns how it ended: Nest's shutdown hooks close
   * the app, then raise the signal again, so a clean exit ends by SIGTERM after the app logged
   * its shutdown.
   */
  async stop(
    timeoutMs = 20_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    if (!this.child || !this.exited) throw new Error(`${this.name} was not started`);
    const started = Date.now();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.exited,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!ended) {
      await this.kill();
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms of SIGTERM`);
    }
    return { ...ended, ms: Date.now() - started };
  }

  /** SIGKILL, for clean-up after a failure. */
  async kill(): Promise<void> {
    if (this.alive) this.child?.kill('SIGKILL');
    await this.exited;
  }

  allOutput(): string {
    return this.output.join('');
  }

  recentOutput(): string {
    return this.allOutput().split('\n').slice(-40).join('\n');
  }
}
