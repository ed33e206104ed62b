// Bytes per entry of the denylist alone, in a fresh process: node --expose-gc denylist-memory.mjs N
import { randomUUID } from 'node:crypto';
import { Denylist } from '@tokenfence/revocation-guard';

const count = Number(process.argv[2] ?? 100_000);
const memory = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const nowS = Math.floor(Date.now() / 1000);
const before = memory();
const list = new Denylist(5);
for (let i = 0; i < count; i++) {
  list.apply({
    v: 1,
    id: 'e',
    iss: 'https://auth.example.test',
    sub: 'u',
    scope: 'session',
    sid: randomUUID(),
    revokedAtMs: 0,
    expiresAt: nowS + 900,
    reason: 'logout',
  });
}
const after = memory();
process.stdout.write(
  JSON.stringify({ count, entries: list.size().session, bytesPerEntry: (after - before) / count }),
);
