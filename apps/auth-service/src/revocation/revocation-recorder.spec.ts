import { describe, expect, it } from '@jest/globals';
import { parseRevocationEvent } from '@tokenfence/contract';
import { loadAuthConfig } from '../config/auth-config.js';
import type { Database, Queryable } from '../database/database.js';
import { systemClock } from '../time/clock.js';
import type { OutboxRelay } from './outbox.relay.js';
import { RevocationRecorder } from './revocation-recorder.js';

/** A recorder over a database that captures statements, and a relay that counts its wakes. */
function capturing(): {
  recorder: RevocationRecorder;
  outbox: () => string[];
  wakes: () => number;
} {
  const calls: { sql: string; params: readonly unknown[] }[] = [];
  const tx: Queryable = {
    query: <Row>(sql: string, params: readonly unknown[] = []) => {
      calls.push({ sql, params });
      return Promise.resolve([] as Row[]);
    },
  };
  const db = { transaction: <T>(work: (t: Queryable) => Promise<T>) => work(tx) } as Database;
  let wakes = 0;
  const relay = { wake: () => void wakes++ } as unknown as OutboxRelay;
  const config = loadAuthConfig({ KAFKA_BROKERS: 'k:1' });
  return {
    recorder: new RevocationRecorder(config, db, relay, systemClock),
    outbox: () =>
      calls.filter((c) => c.sql.includes('INSERT INTO outbox')).map((c) => c.params[2] as string),
    wakes: () => wakes,
  };
}

describe('RevocationRecorder', () => {
  it.each([
    [{ scope: 'session', sid: 's-1' }, 'password-change', 'caep/event-type/credential-change'],
    [{ scope: 'user', cutoff: 1 }, 'token-claims-change', 'caep/event-type/token-claims-change'],
    [{ scope: 'session', sid: 's-1' }, 'refresh-reuse', 'caep/event-type/session-revoked'],
    [{ scope: 'token', jti: 'j-1' }, 'oauth-revoke', 'tokenfence.dev/secevent/token-revoked'],
  ] as const)('queues %j for %s named %s', async (target, reason, name) => {
    const { recorder, outbox } = capturing();
    const event = await recorder.commit((_tx, revoke) =>
      revoke({ userId: 'user-1', target, reason }),
    );
    expect(event.eventType.endsWith(name)).toBe(true);
    expect(outbox().map((payload) => parseRevocationEvent(payload))).toEqual([event]);
  });

  it('wakes the relay once after a commit that recorded, and not after one that did not', async () => {
    const { recorder, wakes } = capturing();
    await recorder.commit(async (_tx, revoke) => {
      await revoke({ userId: 'u', target: { scope: 'session', sid: 'a' }, reason: 'logout' });
      await revoke({ userId: 'u', target: { scope: 'session', sid: 'b' }, reason: 'logout' });
    });
    expect(wakes()).toBe(1);
    await recorder.commit(() => Promise.resolve());
    expect(wakes()).toBe(1);
  });

  it('does not wake the relay when the work throws (rolled back)', async () => {
    const { recorder, wakes } = capturing();
    const failed = recorder.commit(async (_tx, revoke) => {
      await revoke({ userId: 'u', target: { scope: 'session', sid: 'a' }, reason: 'logout' });
      throw new Error('boom');
    });
    await expect(failed).rejects.toThrow('boom');
    expect(wakes()).toBe(0);
  });
});
