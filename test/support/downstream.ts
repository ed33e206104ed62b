import { expect } from '@jest/globals';
import { bearer, call } from './http.js';
import type { RunningService } from './system.js';
import { waitFor } from './wait-for.js';

/** Asserts `/me` accepts the token right now. */
export async function expectAccepted(service: RunningService, token: string): Promise<void> {
  const answer = await call(`${service.url}/me`, { headers: bearer(token) });
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status: 200 });
}

/** What `/me` answers for the token right now: status and code. */
export async function answerNow(
  service: RunningService,
  token: string,
): Promise<{ status: number; code: string | undefined }> {
  const answer = await call<{ code?: string }>(`${service.url}/me`, { headers: bearer(token) });
  return { status: answer.status, code: answer.body.code };
}

/**
 * Polls `/me` until the service answers 401 TOKEN_REVOKED, and returns how long that took from
 * `sinceMs`. Any other answer than 200 or the revoked 401 fails at once.
 */
export async function waitRejected(
  service: RunningService,
  token: string,
  sinceMs: number,
  timeoutMs = 15_000,
  /** Codes that may answer meanwhile (besides 200), e.g. a stale state while keys change. */
  meanwhile: readonly string[] = [],
): Promise<number> {
  const refused = await waitFor(
    `${service.url}/me to reject a revoked token`,
    async () => {
      const answer = await call<{ code?: string }>(`${service.url}/me`, { headers: bearer(token) });
      if (answer.status === 200 || meanwhile.includes(answer.body.code ?? '')) return undefined;
      return { answer, elapsedMs: Date.now() - sinceMs };
    },
    { timeoutMs, intervalMs: 2 },
  );
  expect({ status: refused.answer.status, code: refused.answer.body.code }).toEqual({
    status: 401,
    code: 'TOKEN_REVOKED',
  });
  return refused.elapsedMs;
}

interface TerminusBody {
  status?: string;
  details?: { revocations?: { state?: string; code?: string } };
}

/** orders-service's Terminus readiness: HTTP status, overall status, and the indicator's state. */
export async function terminusHealth(
  service: RunningService,
): Promise<{ status: number; overall?: string; state?: string; code?: string }> {
  const answer = await call<TerminusBody>(`${service.url}/health/ready`);
  const indicator = answer.body?.details?.revocations;
  return {
    status: answer.status,
    overall: answer.body?.status,
    state: indicator?.state,
    ...(indicator?.code ? { code: indicator.code } : {}),
  };
}
