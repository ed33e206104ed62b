import { afterEach, describe, expect, it } from '@jest/globals';
import type { RevocationPublisher } from '../kafka/revocation-publisher.js';
import { openMediumHttpApp, type MediumHttpApp } from '../testing/medium-app.js';

const PASSWORD = 'correct horse battery staple';
const METRICS_TOKEN = 'scrape-me-0123456789abcdef';

/** Never acknowledges: every revocation stays in the outbox. */
const downPublisher: RevocationPublisher = {
  ensureTopic: () => Promise.resolve({ partitions: [0], created: false }),
  partitionFor: () => 0,
  publish: () => Promise.reject(new Error('broker down (test)')),
  close: () => Promise.resolve(),
};

async function post(url: string, json: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  });
}

/** `name{labels} value` of one sample in a scrape, undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(service: MediumHttpApp, token?: string): Promise<string> {
  const answer = await fetch(`${service.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return answer.text();
}

/** Polls the scrape until `check` holds, for at most `timeoutMs`. */
async function scrapeUntil(
  service: MediumHttpApp,
  what: string,
  check: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await scrape(service);
    if (check(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last scrape:\n${text}`);
}

async function loginAnswer(service: MediumHttpApp, username: string, password: string) {
  return post(`${service.url}/auth/login`, { username, password });
}

describe('auth-service /metrics (medium: HTTP, embedded database, no broker)', () => {
  let service: MediumHttpApp | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('counts logins by outcome and lockouts, and shows the relay as leader', async () => {
    service = await openMediumHttpApp({ LOGIN_LOCKOUT_THRESHOLD: '2' });
    expect(
      (await post(`${service.url}/auth/register`, { username: 'metrics-a', password: PASSWORD }))
        .status,
    ).toBe(201);
    expect((await loginAnswer(service, 'metrics-a', PASSWORD)).status).toBe(200);
    expect((await loginAnswer(service, 'metrics-a', 'wrong password 1')).status).toBe(401);
    expect((await loginAnswer(service, 'metrics-a', 'wrong password 2')).status).toBe(401);
    expect((await loginAnswer(service, 'metrics-a', PASSWORD)).status).toBe(429);

    const text = await scrapeUntil(
      service,
      'the relay to lead',
      (t) => sample(t, 'tokenfence_auth_relay_leader') === 1,
    );
    expect({
      success: sample(text, 'tokenfence_auth_logins_total{outcome="success"}'),
      invalid: sample(text, 'tokenfence_auth_logins_total{outcome="invalid_credentials"}'),
      locked: sample(text, 'tokenfence_auth_logins_total{outcome="locked"}'),
      lockouts: sample(text, 'tokenfence_auth_lockouts_total'),
    }).toEqual({ success: 1, invalid: 2, locked: 1, lockouts: 1 });
    // The process defaults are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('counts published events by type once the broker acknowledges them', async () => {
    service = await openMediumHttpApp();
    await post(`${service.url}/auth/register`, { username: 'metrics-b', password: PASSWORD });
    const tokens = (await (await loginAnswer(service, 'metrics-b', PASSWORD)).json()) as {
      access_token: string;
    };
    const out = await post(
      `${service.url}/auth/logout`,
      {},
      { authorization: `Bearer ${tokens.access_token}` },
    );
    expect(out.status).toBe(204);
    const text = await scrapeUntil(
      service,
      'the logout to be published',
      (t) => (sample(t, 'tokenfence_auth_events_published_total{type="session"}') ?? 0) >= 1,
    );
    expect(sample(text, 'tokenfence_auth_outbox_pending_rows')).toBe(0);
    expect(sample(text, 'tokenfence_auth_outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('shows the backlog and its age while the broker is down', async () => {
    service = await openMediumHttpApp({}, downPublisher);
    await post(`${service.url}/auth/register`, { username: 'metrics-c', password: PASSWORD });
    const tokens = (await (await loginAnswer(service, 'metrics-c', PASSWORD)).json()) as {
      access_token: string;
    };
    await post(
      `${service.url}/auth/logout`,
      {},
      { authorization: `Bearer ${tokens.access_token}` },
    );
    // Backdated, so the lag is known without waiting for it.
    await service.db.query(`UPDATE outbox SET created_at = now() - interval '90 seconds'`);
    const text = await scrape(service);
    expect(sample(text, 'tokenfence_auth_outbox_pending_rows')).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'tokenfence_auth_outbox_oldest_pending_age_seconds'),
    ).toBeGreaterThanOrEqual(90);
    expect(sample(text, 'tokenfence_auth_events_published_total{type="session"}')).toBeUndefined();
  });

  it('answers 401 without the METRICS_BEARER_TOKEN, and 200 with it', async () => {
    service = await openMediumHttpApp({ METRICS_BEARER_TOKEN: METRICS_TOKEN });
    for (const authorization of [
      undefined,
      'Bearer wrong',
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN}x`,
    ]) {
      const answer = await fetch(`${service.url}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect({ authorization, status: answer.status }).toEqual({ authorization, status: 401 });
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(await answer.json()).toMatchObject({ code: 'TOKEN_MISSING' });
    }
    expect(await scrape(service, METRICS_TOKEN)).toContain('tokenfence_auth_logins_total');
  });

  it('serves /docs and /docs-json unless OPENAPI_DOCS=off', async () => {
    service = await openMediumHttpApp();
    expect((await fetch(`${service.url}/docs-json`)).status).toBe(200);
    expect((await fetch(`${service.url}/docs`)).status).toBe(200);
    await service.close();
    service = await openMediumHttpApp({ OPENAPI_DOCS: 'off' });
    expect((await fetch(`${service.url}/docs-json`)).status).toBe(404);
    expect((await fetch(`${service.url}/docs`)).status).toBe(404);
  });
});
