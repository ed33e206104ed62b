// npm run check:package: packs @tokenfence/contract and @tokenfence/revocation-guard as npm would
// publish them, installs the guard's tarball alone (it bundles the contract) into an empty project
// next to NestJS from the registry (or npm's cache), type-checks test/package-consumer/main.ts
// against the installed types with skipLibCheck off, runs it, and checks what it answers; checks
// that both packages carry their LICENSE, that the optional peers @nestjs/websockets and
// @opentelemetry/api stay out of an HTTP-only app without tracing (npm installs a required peer
// silently; an optional one only when asked), and
// that no install telemetry (@scarf/scarf) is installed or, where the repository's own tree has
// it, that it is turned off; and that the /node, /express and /fastify entries load with every
// @nestjs import made to fail. Fails on any step.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
    for (const file of ['README.md', 'LICENSE']) {
      if (!p.files.some((f) => f.path === file)) throw new Error(`${p.name} has no ${file}`);
    }
    console.log(
      `[package] ${p.name}@${p.version}: ${p.files.length} files, ${p.size} bytes packed`,
    );
  }
  const guard = packed.find((p) => p.name === '@tokenfence/revocation-guard');
  if (!guard.files.some((f) => f.path === 'node_modules/@tokenfence/contract/dist/index.js')) {
    throw new Error('the guard tarball does not bundle @tokenfence/contract');
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
      join(dir, guard.filename), // alone: the contract comes inside it
      ...[
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/terminus', // not @nestjs/websockets: an HTTP-only app runs without it
        'reflect-metadata',
        'rxjs',
        'typescript',
        '@types/node',
      ].map((name) => `${name}${pkg(name)}`),
    ],
    app,
  );
  // The consumer below runs without @nestjs/websockets (the guard loads it only for a ws context)
  // and without @opentelemetry/api (loaded only with `tracing: true`).
  for (const optionalPeer of ['@nestjs/websockets', '@opentelemetry/api']) {
    let found;
    try {
      found = createRequire(join(app, 'package.json')).resolve(optionalPeer);
    } catch {
      found = undefined;
    }
    if (found !== undefined) {
      throw new Error(`${optionalPeer} was installed with the guard (${found})`);
    }
  }
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
  // Older CommonJS setups resolve with node10, which ignores `exports`: the subpath entries
  // must still type-check there (through `typesVersions`).
  mkdirSync(join(app, 'node10'));
  writeFileSync(
    join(app, 'node10/subpaths.ts'),
    [
      "import type { RevocationGuardModule } from '@tokenfence/revocation-guard';",
      "import type { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';",
      "import type { createTestIssuer } from '@tokenfence/revocation-guard/testing';",
      "import type { createRevocationGuard } from '@tokenfence/revocation-guard/node';",
      "import type { expressGuard } from '@tokenfence/revocation-guard/express';",
      "import type { fastifyGuard } from '@tokenfence/revocation-guard/fastify';",
      'export type Entries = [RevocationGuardModule, RevocationHealthIndicator, typeof createTestIssuer];',
      'export type PlainEntries = [typeof createRevocationGuard, typeof expressGuard, typeof fastifyGuard];',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'node10/tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'commonjs',
        moduleResolution: 'node10',
        ignoreDeprecations: '6.0',
        strict: true,
        experimentalDecorators: true,
        noEmit: true,
        types: ['node'],
        typeRoots: ['../node_modules/@types'],
      },
      files: ['subpaths.ts'],
    }),
  );
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'node10'], app);
  const answer = JSON.parse(run(process.execPath, ['dist/main.js'], app));
  const expected = { public: 200, me: [401, 'TOKEN_MISSING'], health: 503, testing: [200, 401] };
  const got = {
    public: answer.public,
    me: answer.me,
    health: answer.health[0],
    testing: answer.testing,
  };
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(
      `consumer answered ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
    );
  }
  console.log(
    '[package] the guard installed from its tarball alone (no @nestjs/websockets, no @opentelemetry/api), type-checked with skipLibCheck off, and served: ok',
  );
  // The plain Node entries load without NestJS: a resolve hook makes any @nestjs import fail.
  writeFileSync(
    join(app, 'no-nest.mjs'),
    `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@nestjs/')) throw new Error('imported ' + specifier);
  return next(specifier, context);
}
`,
  );
  writeFileSync(
    join(app, 'plain-entries.mjs'),
    `import { register } from 'node:module';
register('./no-nest.mjs', import.meta.url);
const node = await import('@tokenfence/revocation-guard/node');
const { expressGuard } = await import('@tokenfence/revocation-guard/express');
const { fastifyGuard } = await import('@tokenfence/revocation-guard/fastify');
console.log([node.createRevocationGuard, expressGuard, fastifyGuard].map((f) => typeof f).join());
`,
  );
  const plain = run(process.execPath, ['plain-entries.mjs'], app).trim();
  if (plain !== 'function,function,function') {
    throw new Error(`the plain Node entries answered ${plain}`);
  }
  console.log('[package] /node, /express and /fastify load with every @nestjs import failing: ok');
  // Install telemetry: none in an app that uses the guard; off by the package's own setting
  // (`scarfSettings`) in this repository, whose services pull it in through @nestjs/swagger.
  let listed;
  try {
    listed = run(npm, ['ls', '@scarf/scarf', '--json', '--all'], app);
  } catch (err) {
    listed = err.stdout; // npm ls exits 1 when nothing matches
  }
  const scarf = JSON.parse(listed);
  if (scarf.dependencies && Object.keys(scarf.dependencies).length > 0) {
    throw new Error(`@scarf/scarf is installed with the guard: ${JSON.stringify(scarf)}`);
  }
  if (manifest.scarfSettings?.enabled !== false) {
    throw new Error('package.json must set "scarfSettings": { "enabled": false }');
  }
  console.log('[package] no @scarf/scarf with the guard; scarfSettings.enabled false here: ok');
} catch (err) {
  console.error(`[package] FAILED: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
