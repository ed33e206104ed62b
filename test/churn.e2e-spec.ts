import { describe, expect, it } from '@jest/globals';
import { runChurn } from './support/churn.js';
import { useSystem } from './support/use-system.js';

// The CI-sized load-with-churn run; `npm run soak -- --duration <seconds>` runs the same test for
// longer (CHURN_SECONDS). Loopback only, bounded: a fixed number of request loops.
const seconds = Number(process.env.CHURN_SECONDS ?? 10);

describe('load with churn', () => {
  const system = useSystem({ database: 'embedded' });

  it(
    `${seconds} s of load on three instances while logouts stream in: no false accepts or rejects`,
    async () => {
      const extra = await system.startDownstream('orders');
      await system.waitReady(extra);
      // Heap of this whole process (auth service, three instances, the load), sampled ten times;
      // after a full collection when node runs with --expose-gc (npm run soak does).
      const heap: number[] = [];
      const sample = () => {
        (globalThis as { gc?: () => void }).gc?.();
        heap.push(Math.round(process.memoryUsage().heapUsed / 2 ** 20));
      };
      sample();
      const sampler = setInterval(sample, (seconds * 1000) / 10);
      const report = await runChurn(system.auth.url, [system.orders, system.game, extra], {
        durationMs: seconds * 1000,
        workers: 8,
        revokeEveryMs: 50,
        liveSessions: 24,
        boundMs: 1000,
        retireAfterMs: 120_000,
      }).finally(() => clearInterval(sampler));
      sample();
      console.log(
        `[churn] ${report.seconds.toFixed(1)} s, ${report.requests} requests (${report.requestsPerSec}/s) on 3 instances, ${report.revocations} revocations; false accepts ${report.falseAccepts}, false rejects ${report.falseRejects}; latest accept after a 204: ${report.maxLateAcceptMs} ms; outcomes ${JSON.stringify(report.byOutcome)}; heap MiB${(globalThis as { gc?: unknown }).gc ? ' after GC' : ''} ${heap.join(' → ')}${report.samples.length ? `; ${report.samples.join('; ')}` : ''}`,
      );
      expect(report.revocations).toBeGreaterThan(0);
      expect(report.byOutcome['401 TOKEN_REVOKED'] ?? 0).toBeGreaterThan(0);
      expect({ falseAccepts: report.falseAccepts, falseRejects: report.falseRejects }).toEqual({
        falseAccepts: 0,
        falseRejects: 0,
      });
    },
    (seconds + 120) * 1000,
  );
});
