import { describe, expect, it } from '@jest/globals';
import { parseRevocationEvent } from '@tokenfence/contract';
import { loadAuthConfig } from '../config/auth-config.js';
import type { Queryable } from '../database/database.js';
import { RevocationRecorder } from './revocation-recorder.js';

/** Captures the statements a recording makes, in place of a transaction. */
function capturingTx(): { tx: Queryable; outbox: () => string } {
  const calls: { sql: string; params: readonly unknown[] }[] = [];
  return {
    tx: {
      query: <Row>(sql: string, params: readonly unknown[] = []) => {
        calls.push({ sql, params });
        return Promise.resolve([] as Row[]);
      },
    },
    outbox: () => {
      const insert = calls.find((c) => c.sql.includes('INSERT INTO outbox'));
      return insert?.params[2] as string;
    },
  };
}

describe('RevocationRecorder', () => {
  const recorder = new RevocationRecorder(loadAuthConfig({ KAFKA_BROKERS: 'k:1' }));

  it.each([
    [{ scope: 'session', sid: 's-1' }, 'password-change', 'caep/event-type/credential-change'],
    [{ scope: 'user', cutoff: 1 }, 'token-claims-change', 'caep/event-type/token-claims-change'],
    [{ scope: 'session', sid: 's-1' }, 'refresh-reuse', 'caep/event-type/session-revoked'],
    [{ scope: 'token', jti: 'j-1' }, 'oauth-revoke', 'tokenfence.dev/secevent/token-revoked'],
  ] as const)('queues %j for %s named %s', async (target, reason, name) => {
    const { tx, outbox } = capturingTx();
    const event = await recorder.record(tx, 'user-1', target, reason);
    expect(event.eventType.endsWith(name)).toBe(true);
    expect(parseRevocationEvent(outbox())).toEqual(event);
  });
});
