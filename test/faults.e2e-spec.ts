import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FaultRig } from './support/fault-rig.js';
import type { TokenPair } from './support/users.js';

// Every piece runs as its own OS process and is killed with SIGKILL: the broker, the auth service
// and consumer instances. After each run, every revocation the auth service accepted with a 2xx
// must be enforced by every consumer: accepted × consumers == enforced.
async function expectNothingLost(
  rig: FaultRig,
  run: string,
  accepted: readonly TokenPair[],
  live: readonly TokenPair[],
): Promise<void> {
  const c = await rig.enforcement(accepted);
  console.log(
    `[faults] ${run}: ${c.accepted} revocations accepted, ${c.enforced} of ${c.expected} (revocation, consumer) pairs enforced`,
  );
  if (c.enforced !== c.expected) console.log(await rig.diagnostics());
  expect(c.enforced).toBe(c.expected);
  // Nothing else was refused: tokens never revoked still work everywhere.
  expect(await rig.stillAccepted(live)).toBe(live.length);
}

/**
 * Stops the broker, has 20 logouts accepted (committed to the outbox, not published), SIGKILLs the
 * auth service, then brings the broker and the auth service back. Returns what was accepted.
 */
async function crashBetweenCommitAndPublish(
  rig: FaultRig,
): Promise<{ accepted: TokenPair[]; live: TokenPair[] }> {
  const sessions = await rig.sessions(24);
  const live = sessions.splice(0, 4);
  await rig.kafka.stop({ keepWorkDir: true, signal: 'SIGKILL' });
  const accepted = await rig.logout(sessions);
  expect(accepted.length).toBe(20);
  const pending = await rig.pendingOutboxRows(); // PostgreSQL only
  if (pending !== undefined) expect(pending).toBeGreaterThanOrEqual(20); // committed, not published
  await rig.auth.stop('SIGKILL');
  await rig.kafka.restart();
  await rig.auth.start();
  return { accepted, live };
}

describe('faults on PostgreSQL: broker, auth service and consumers killed mid-stream', () => {
  const rig = new FaultRig('postgres');

  beforeAll(async () => {
    await rig.start(['orders', 'orders', 'game']);
  }, 180_000);
  afterAll(() => rig.stop(), 60_000);

  it('broker SIGKILLed three times during a stream of logouts: nothing accepted is lost', async () => {
    const sessions = await rig.sessions(64);
    const live = sessions.splice(0, 4);
    const accepted: TokenPair[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      // Logouts in flight while the broker dies, then more while it is down, then it comes back.
      const [during] = await Promise.all([
        rig.logout(sessions.splice(0, 10)),
        rig.kafka.stop({ keepWorkDir: true, signal: 'SIGKILL' }),
      ]);
      accepted.push(...during, ...(await rig.logout(sessions.splice(0, 10))));
      await rig.kafka.restart();
    }
    accepted.push(...(await rig.logout(sessions)));
    expect(accepted.length).toBe(60); // the auth service never needs Kafka to accept a logout

    await expectNothingLost(rig, 'broker SIGKILL ×3', accepted, live);
  }, 300_000);

  it('auth service SIGKILLed between commit and publish: pending revocations survive and arrive', async () => {
    const { accepted, live } = await crashBetweenCommitAndPublish(rig);

    // Live tokens from before the crash still pass: signing keys and sessions survived it.
    await expectNothingLost(rig, 'auth SIGKILL with 20 unpublished revocations', accepted, live);
    expect(await rig.pendingOutboxRows()).toBe(0);
  }, 300_000);

  it('auth service SIGKILLed with logouts in flight: every one it answered 204 is enforced', async () => {
    const sessions = await rig.sessions(44);
    const live = sessions.splice(0, 4);
    // Two clients log out one session after another; the auth service dies after the 8th 204,
    // with requests in flight. Those cut off are not accepted (no 2xx) and not counted.
    const answered: TokenPair[] = [];
    const queue = sessions.slice(0, 20);
    let killed: Promise<void> | undefined;
    await Promise.all(
      [0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          answered.push(...(await rig.logout([next])));
          if (answered.length >= 8) killed ??= rig.auth.stop('SIGKILL');
        }
      }),
    );
    await killed;
    await rig.auth.start();
    const accepted = [...answered, ...(await rig.logout(sessions.slice(20)))];

    await expectNothingLost(
      rig,
      `auth SIGKILL mid-stream (${answered.length} of 20 answered before the kill)`,
      accepted,
      live,
    );
  }, 300_000);

  it('a consumer SIGKILLed mid-stream and restarted misses nothing', async () => {
    const sessions = await rig.sessions(44);
    const live = sessions.splice(0, 4);
    const victim = rig.consumers[0];
    const [before] = await Promise.all([
      rig.logout(sessions.splice(0, 20)),
      victim.stop('SIGKILL'),
    ]);
    const during = await rig.logout(sessions.splice(0, 10));
    await victim.start();
    const accepted = [...before, ...during, ...(await rig.logout(sessions))];
    expect(accepted.length).toBe(40);

    await expectNothingLost(rig, 'consumer SIGKILL and restart', accepted, live);
  }, 300_000);
});

describe('faults on the embedded database', () => {
  const rig = new FaultRig('embedded');

  beforeAll(async () => {
    await rig.start(['orders']);
  }, 180_000);
  afterAll(() => rig.stop(), 60_000);

  it('auth service SIGKILLed between commit and publish: pending revocations survive and arrive', async () => {
    const { accepted, live } = await crashBetweenCommitAndPublish(rig);

    await expectNothingLost(
      rig,
      'embedded: auth SIGKILL with 20 unpublished revocations',
      accepted,
      live,
    );
  }, 300_000);
});
