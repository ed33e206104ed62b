// npm run soak -- --duration <seconds> (default 600): the load-with-churn e2e test, for longer.
import { spawnSync } from 'node:child_process';

const at = process.argv.indexOf('--duration');
const seconds = at > 0 ? Number(process.argv[at + 1]) : 600;
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error('usage: npm run soak -- --duration <seconds>');
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--expose-gc',
    'node_modules/jest/bin/jest.js',
    '--selectProjects',
    'e2e',
    '--runInBand',
    'test/churn.e2e-spec.ts',
  ],
  { stdio: 'inherit', env: { ...process.env, CHURN_SECONDS: String(seconds) } },
);
process.exit(result.status ?? 1);
