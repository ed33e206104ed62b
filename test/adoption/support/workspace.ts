import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const ADOPTION = join(ROOT, 'test/adoption');
const GUARD = '@tokenfence/revocation-guard';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const execFileAsync = promisify(execFile);

/** Runs a command without blocking the event loop (the auth service runs in this process). */
export async function run(
  cmd: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(cmd, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; killed?: boolean };
    const how = e.killed ? ` (killed after ${options.timeoutMs} ms)` : '';
    throw new Error(
      `${cmd} ${args.join(' ')} in ${options.cwd} failed${how}: ${e.message}\n` +
        `${e.stdout ?? ''}${e.stderr ?? ''}`.slice(-4000),
      { cause: err },
    );
  }
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/**
 * One temporary project for the whole suite: the guard packed as npm would publish it (its
 * tarball bundles @tokenfence/contract) and installed with every dependency the apps declare, in
 * one `npm install`; the apps are copied below it (`apps/<dir>`) and find that node_modules as
 * any nested project does.
 */
export class AdoptionWorkspace {
  /** Seconds per step, for the suite's report. */
  readonly timings: Record<string, number> = {};
  private compiling = 0;
  private readonly waiting: ((value: unknown) => void)[] = [];

  private constructor(readonly dir: string) {}

  static async create(
    /** Folders under test/adoption whose package.json dependencies are installed. */
    projects: readonly string[],
  ): Promise<AdoptionWorkspace> {
    const workspace = new AdoptionWorkspace(await mkdtemp(join(tmpdir(), 'tokenfence-adoption-')));
    try {
      await workspace.install(projects);
    } catch (err) {
      await workspace.remove();
      throw err;
    }
    return workspace;
  }

  private async timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      this.timings[step] = (Date.now() - started) / 1000;
    }
  }

  private async install(projects: readonly string[]): Promise<void> {
    // The libraries' dist, as `npm run build` leaves it (incremental: quick when up to date).
    await this.timed('build libs', () =>
      run(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'libs/revocation-guard'],
        { cwd: ROOT, timeoutMs: 300_000 },
      ),
    );
    // Quiet: npm lists every packed file otherwise, which this process may be too busy to read.
    const packed = await this.timed('npm pack', () =>
      run(npm, ['pack', '--loglevel=warn', '-w', GUARD, '--pack-destination', this.dir], {
        cwd: ROOT,
        timeoutMs: 120_000,
      }),
    );
    const filename = packed.stdout.trim().split('\n').pop() ?? '';
    if (!/^tokenfence-revocation-guard-.+\.tgz$/.test(filename)) {
      throw new Error(`npm pack printed no tarball name: ${packed.stdout}`);
    }
    const tarball = join(this.dir, filename);

    const wanted = new Map<string, string>();
    for (const project of projects) {
      const manifest = JSON.parse(
        await readFile(join(ADOPTION, project, 'package.json'), 'utf8'),
      ) as Manifest;
      for (const [name, range] of Object.entries({
        ...manifest.dependencies,
        ...manifest.devDependencies,
      })) {
        const spec = name === GUARD ? tarball : range;
        const known = wanted.get(name);
        if (known !== undefined && known !== spec) {
          throw new Error(
            `${project} wants ${name}@${spec}, another app ${known}: share one range`,
          );
        }
        wanted.set(name, spec);
      }
    }
    if (!wanted.has(GUARD)) throw new Error(`no app depends on ${GUARD}`);
    await writeFile(
      join(this.dir, 'package.json'),
      `${JSON.stringify({ name: 'tokenfence-adoption', private: true }, null, 2)}\n`,
    );
    const specs = [...wanted].map(([name, spec]) => (spec === tarball ? spec : `${name}@${spec}`));
    await this.timed('npm install', () =>
      run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], {
        cwd: this.dir,
        timeoutMs: 600_000,
      }),
    );
  }

  /** Copies `test/adoption/<project>` to `apps/<name>` here and returns that folder. */
  async copy(project: string, name = project): Promise<string> {
    const target = join(this.dir, 'apps', name);
    await cp(join(ADOPTION, project), target, {
      recursive: true,
      filter: (source) => !/[/\\](dist|node_modules)$/.test(source),
    });
    return target;
  }

  /**
   * Compiles an app with the installed TypeScript, as its `npm run build` would (tsconfig.build.json
   * when it has one, as `nest build` does). At most two compilers run at once;
   * resolves to the seconds it compiled.
   */
  async build(appDir: string): Promise<number> {
    const project = existsSync(join(appDir, 'tsconfig.build.json'))
      ? 'tsconfig.build.json'
      : 'tsconfig.json';
    while (this.compiling >= 2) await new Promise((resolve) => this.waiting.push(resolve));
    this.compiling += 1;
    const started = Date.now();
    try {
      await run(
        process.execPath,
        [join(this.dir, 'node_modules/typescript/bin/tsc'), '-p', project],
        { cwd: appDir, timeoutMs: 300_000 },
      );
      return (Date.now() - started) / 1000;
    } finally {
      this.compiling -= 1;
      this.waiting.shift()?.(undefined);
    }
  }

  async remove(): Promise<void> {
    if (process.env.ADOPTION_KEEP === '1') {
      process.stderr.write(`[adoption] kept ${this.dir}\n`);
      return;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
