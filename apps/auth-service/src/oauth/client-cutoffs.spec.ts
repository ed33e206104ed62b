import { describe, expect, it } from '@jest/globals';
import type { Queryable } from '../database/database.js';
import { ClientCutoffs } from './client-cutoffs.js';

describe('ClientCutoffs.raise', () => {
  it('reads the clock only once the client row is locked', async () => {
    const steps: string[] = [];
    const tx = {
      query: (sql: string) => {
        steps.push(
          sql.trim().split(/\s+/).slice(0, 1)[0] + (/FOR UPDATE/.test(sql) ? ' lock' : ''),
        );
        return Promise.resolve(sql.includes('RETURNING') ? [{ tokens_revoked_before: 101 }] : []);
      },
    } as unknown as Queryable;
    const cutoff = await new ClientCutoffs().raise(tx, 'worker', () => {
      steps.push('clock');
      return 100;
    });
    // An issuance holding the row may have dated its token a second later: the cutoff's "now"
    // must be read after it committed, or the cutoff can miss that token.
    expect(steps).toEqual(['INSERT', 'SELECT lock', 'clock', 'UPDATE']);
    expect(cutoff).toBe(101);
  });
});
