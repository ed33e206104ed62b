import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const README = new URL('../../../libs/revocation-guard/README.md', import.meta.url).pathname;

/**
 * The guard README's quick start: every ```ts block right after an
 * `<!-- adoption-test: <file> ... -->` comment, keyed by the file it goes to in a `nest new` app.
 */
export async function quickStartFiles(): Promise<Map<string, string>> {
  const text = await readFile(README, 'utf8');
  const files = new Map<string, string>();
  for (const match of text.matchAll(
    /<!-- adoption-test: (\S+)[^>]*-->\s*```ts\n([\s\S]*?)\n```/g,
  )) {
    const [, file, code] = match;
    if (!file || code === undefined) continue;
    if (files.has(file)) throw new Error(`the README has two quick-start blocks for ${file}`);
    files.set(join(file), `${code}\n`);
  }
  if (files.size === 0) throw new Error(`no <!-- adoption-test: ... --> block in ${README}`);
  return files;
}

/**
 * Points the README's example addresses at the running system: `http://127.0.0.1:3000` (the auth
 * service: issuer and JWKS) and `'127.0.0.1:9092'` (the broker). Both must be there, so a README
 * that changes them fails here rather than running against something else.
 */
export function pointAt(code: string, issuer: string, brokers: string): string {
  for (const literal of ['http://127.0.0.1:3000', "'127.0.0.1:9092'"]) {
    if (!code.includes(literal)) throw new Error(`the quick start no longer has ${literal}`);
  }
  const brokerList = brokers
    .split(',')
    .map((b) => `'${b.trim()}'`)
    .join(', ');
  return code
    .replaceAll('http://127.0.0.1:3000', issuer)
    .replaceAll("'127.0.0.1:9092'", brokerList);
}
