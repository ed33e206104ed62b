import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('README "Testing" section', () => {
  it('shows readme-example.spec.ts verbatim, so the code it shows is the code that runs', () => {
    const [, example] = read('./readme-example.spec.ts').split('// #region readme\n');
    expect(example).toBeDefined();
    expect(read('../../README.md')).toContain('```ts\n' + example + '```\n');
  });
});
