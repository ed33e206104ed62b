// prepack / postpack of @tokenfence/revocation-guard: the guard ships the event contract inside its
// tarball (bundleDependencies), so it installs alone. npm bundles only what sits in the package's
// own node_modules; in this workspace the contract is a link at the root, so prepack unpacks the
// contract's own tarball (exactly what npm would publish) there, and postpack removes it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const guard = new URL('..', import.meta.url).pathname;
const target = join(guard, 'node_modules/@tokenfence/contract');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// Only the bundled contract: the workspace's own installs (lru-cache 11 sits here, the root holds
// another major) stay, or the guard's tests would load the wrong one after a pack.
rmSync(join(guard, 'node_modules/@tokenfence'), { recursive: true, force: true });
if (process.argv[2] === 'clean') process.exit(0);

const scratch = mkdtempSync(join(tmpdir(), 'tokenfence-contract-'));
try {
  const [packed] = JSON.parse(
    execFileSync(
      npm,
      [
        'pack',
        '--json',
        '--ignore-scripts',
        join(guard, '../contract'),
        '--pack-destination',
        scratch,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  mkdirSync(target, { recursive: true });
  execFileSync('tar', [
    'xzf',
    join(scratch, packed.filename),
    '-C',
    target,
    '--strip-components=1',
  ]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
