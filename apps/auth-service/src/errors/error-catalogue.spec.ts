import { describe, expect, it } from '@jest/globals';
import { TOKEN_ERROR_CODES } from '@tokenfence/revocation-guard';
import { TOKEN_ERRORS } from '../http/api-errors.decorator.js';
import { statusOf } from './auth-error.js';

/**
 * One catalogue: every code the guard's verifier can refuse a token with is an auth-service code
 * with the same status, and is documented on every bearer route. A new token code in the library
 * can then never reach a client as `status: undefined` (a 500).
 */
describe('the error catalogue', () => {
  it('knows every token code of the guard, with its status', () => {
    expect(TOKEN_ERROR_CODES.length).toBeGreaterThan(0);
    for (const code of TOKEN_ERROR_CODES) {
      expect([code, statusOf(code)]).toEqual([code, 401]);
    }
  });

  it('documents every token code on bearer routes', () => {
    expect([...TOKEN_ERRORS].sort()).toEqual([...TOKEN_ERROR_CODES].sort());
  });
});
