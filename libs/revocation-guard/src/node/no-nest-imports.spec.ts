import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contract = resolve(src, '../../contract/src/index.ts');

/** Every module specifier a file imports or re-exports at run time (`import type` is erased). */
function runtimeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const [, , specifier] of code.matchAll(
    /^\s*(import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm,
  )) {
    found.push(specifier);
  }
  for (const [, specifier] of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push(specifier);
  }
  return found;
}

/** The packages a module graph loads, from its entry through every relative import. */
function packagesLoadedBy(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.'))
        visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (specifier === '@tokenfence/contract') visit(contract);
      else
        packages.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the plain Node entry points', () => {
  it.each(['node.ts', 'express.ts', 'fastify.ts'])('%s loads no @nestjs package', (entry) => {
    const { files, packages } = packagesLoadedBy(resolve(src, entry));
    // The walk reaches the core and the Kafka adapter, so an empty graph cannot pass.
    expect([...files].map((f) => f.slice(src.length + 1))).toEqual(
      expect.arrayContaining(['core/access-token-authenticator.ts', 'kafka/kafka-event-source.ts']),
    );
    expect([...packages].sort()).toEqual(expect.arrayContaining(['jose', 'kafkajs', 'lru-cache']));
    expect(
      [...packages].filter((p) => /^(@nestjs\/|express$|fastify$|prom-client$|rxjs$)/.test(p)),
    ).toEqual([]);
  });

  it('the main entry, by contrast, loads @nestjs (the walk sees it)', () => {
    expect([...packagesLoadedBy(resolve(src, 'index.ts')).packages]).toEqual(
      expect.arrayContaining(['@nestjs/common', '@nestjs/core']),
    );
  });
});
