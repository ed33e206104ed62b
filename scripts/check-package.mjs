// npm run check:package: packs @tokenfence/contract and @tokenfence/revocation-guard as npm would
// publish them, installs the tarballs into an empty project next to NestJS from the registry (or
// npm's cache), type-checks test/package-consumer/main.ts against the installed types with
// skipLibCheck off, runs it, and checks what it answers. Fails on any step.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tokenfence-package-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

try {
  const packed = JSON.parse(
    run(
      npm,
      [
        'pack',
        '--json',
        '-w',
        '@tokenfence/contract',
        '-w',
        '@tokenfence/revocation-guard',
        '--pack-destination',
        dir,
      ],
      root,
    ),
  );
  for (const p of packed) {
    const bad = p.files.filter((f) => /\.spec\.|tsbuildinfo/.test(f.path)).map((f) => f.path);
    if (bad.length) throw new Error(`${p.name} would publish ${bad.join(', ')}`);
    if (!p.files.some((f) => f.path === 'README.md')) throw new Error(`${p.name} has no README.md`);
    console.log(
      `[package] ${p.name}@${p.version}: ${p.files.length} files, ${p.size} bytes packed`,
    );
  }
  const app = join(dir, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    '{ "name": "consumer", "private": true, "type": "module" }\n',
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2023',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        rootDir: 'src',
        outDir: 'dist',
        types: ['node'],
        skipLibCheck: false,
      },
    }),
  );
  copyFileSync(join(root, 'test/package-consumer/main.ts'), join(app, 'src/main.ts'));
  // The same version ranges this repository builds and tests with.
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pkg = (name) => `@${manifest.dependencies[name] ?? manifest.devDependencies[name]}`;
  run(
    npm,
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...packed.map((p) => join(dir, p.filename)),
      ...[
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/websockets',
        '@nestjs/terminus',
        'reflect-metadata',
        'rxjs',
        'typescript',
        '@types/node',
      ].map((name) => `${name}${pkg(name)}`),
    ],
    app,
  );
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
  const answer = JSON.parse(run(process.execPath, ['dist/main.js'], app));
  const expected = { public: 200, me: [401, 'TOKEN_MISSING'], health: 503 };
  const got = { public: answer.public, me: answer.me, health: answer.health[0] };
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(
      `consumer answered ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
    );
  }
  console.log(
    '[package] installed from the tarballs, type-checked with skipLibCheck off, and served: ok',
  );
} catch (err) {
  console.error(`[package] FAILED: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
