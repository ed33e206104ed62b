import { bearer, call } from './http.js';
import type { RunningService } from './system.js';
import { login, register, uniqueName, type TokenPair } from './users.js';

export interface ChurnOptions {
  readonly durationMs: number;
  /** Concurrent request loops against the downstream services (the bounded load). */
  readonly workers: number;
  /** Pause between two logouts. */
  readonly revokeEveryMs: number;
  /** Live sessions kept in rotation. */
  readonly liveSessions: number;
  /** A revoked token accepted by a request sent later than this after the 204 is a false accept. */
  readonly boundMs: number;
  /** Live tokens are retired (not revoked) after this age, before they could expire. */
  readonly retireAfterMs: number;
}

export interface ChurnReport {
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly byOutcome: Record<string, number>;
  readonly revocations: number;
  /** Requests with a revoked token sent after the 204 and the bound, yet accepted. */
  readonly falseAccepts: number;
  /** Requests with a live token (not being revoked) that were refused. */
  readonly falseRejects: number;
  /** Longest time from a logout's 204 to a request sent then that was still accepted. */
  readonly maxLateAcceptMs: number;
  readonly samples: string[];
}

interface Entry {
  readonly tokens: TokenPair;
  readonly issuedAt: number;
  logoutStartedAt?: number;
  revokedAt?: number;
}

/**
 * Sustained, bounded load on downstream services while logouts stream in. Every request is
 * classified against what the client knows at that moment: a token is live until its logout is
 * sent, and revoked once the 204 is back. Between the two, either answer is correct.
 */
export async function runChurn(
  authUrl: string,
  services: readonly RunningService[],
  options: ChurnOptions,
): Promise<ChurnReport> {
  const users = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const name = uniqueName('churn');
      await register(authUrl, name);
      return name;
    }),
  );
  const newEntry = async (): Promise<Entry> => ({
    tokens: await login(authUrl, users[Math.floor(Math.random() * users.length)]),
    issuedAt: Date.now(),
  });
  const live: Entry[] = await Promise.all(
    Array.from({ length: options.liveSessions }, () => newEntry()),
  );
  const revoked: Entry[] = [];
  const byOutcome: Record<string, number> = {};
  const samples: string[] = [];
  let requests = 0;
  let falseAccepts = 0;
  let falseRejects = 0;
  let maxLateAcceptMs = 0;
  let revocations = 0;
  const started = Date.now();
  const end = started + options.durationMs;

  const worker = async (n: number): Promise<void> => {
    for (let i = n; Date.now() < end; i++) {
      const useRevoked = revoked.length > 0 && Math.random() < 0.3;
      const pool = useRevoked ? revoked : live;
      const entry = pool[Math.floor(Math.random() * pool.length)];
      if (!entry) continue;
      const service = services[i % services.length];
      const sentAt = Date.now();
      const answer = await call<{ code?: string }>(`${service.url}/me`, {
        headers: bearer(entry.tokens.access_token),
      });
      const receivedAt = Date.now();
      requests++;
      const outcome = answer.status === 200 ? '200' : `${answer.status} ${answer.body?.code}`;
      byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
      if (answer.status === 200) {
        if (entry.revokedAt !== undefined && sentAt > entry.revokedAt) {
          maxLateAcceptMs = Math.max(maxLateAcceptMs, sentAt - entry.revokedAt);
          if (sentAt - entry.revokedAt > options.boundMs) {
            falseAccepts++;
            if (samples.length < 10)
              samples.push(`false accept ${sentAt - entry.revokedAt} ms after 204`);
          }
        }
      } else if (entry.logoutStartedAt === undefined || receivedAt < entry.logoutStartedAt) {
        falseRejects++;
        if (samples.length < 10) samples.push(`false reject: ${outcome}`);
      }
    }
  };

  const revoker = async (): Promise<void> => {
    while (Date.now() < end) {
      const index = Math.floor(Math.random() * live.length);
      const entry = live[index];
      // Replace it first, so workers never see the pool shrink.
      live[index] = await newEntry();
      entry.logoutStartedAt = Date.now();
      const answer = await call(`${authUrl}/auth/logout`, {
        method: 'POST',
        headers: bearer(entry.tokens.access_token),
      });
      if (answer.status !== 204) throw new Error(`logout answered ${answer.status}`);
      entry.revokedAt = Date.now();
      revocations++;
      revoked.push(entry);
      if (revoked.length > 200) revoked.shift();
      // Retire live tokens before they could expire (a long soak outlives the access-token TTL).
      for (let k = 0; k < live.length; k++) {
        if (Date.now() - live[k].issuedAt > options.retireAfterMs) live[k] = await newEntry();
      }
      await new Promise((resolve) => setTimeout(resolve, options.revokeEveryMs));
    }
  };

  await Promise.all([revoker(), ...Array.from({ length: options.workers }, (_, n) => worker(n))]);
  const seconds = (Date.now() - started) / 1000;
  return {
    seconds,
    requests,
    requestsPerSec: Math.round(requests / seconds),
    byOutcome,
    revocations,
    falseAccepts,
    falseRejects,
    maxLateAcceptMs,
    samples,
  };
}
