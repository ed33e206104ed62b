import { describe, expect, it } from '@jest/globals';
import type { RevocationReason, RevocationScope } from './revocation-event.js';
import {
  isKnownRevocationEventType,
  revocationEventType,
  type KnownRevocationEventType,
} from './revocation-event-types.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const OURS = 'https://tokenfence.dev/secevent/';

describe('revocationEventType', () => {
  // Every revocation the auth service records, by scope and reason.
  it.each<[RevocationScope, RevocationReason, KnownRevocationEventType]>([
    ['session', 'logout', `${CAEP}session-revoked`],
    ['session', 'refresh-reuse', `${CAEP}session-revoked`],
    ['session', 'authorization-code-reuse', `${CAEP}session-revoked`],
    ['session', 'oauth-revoke', `${CAEP}session-revoked`],
    ['user', 'logout-all', `${CAEP}session-revoked`],
    ['user', 'admin', `${CAEP}session-revoked`],
    ['session', 'password-change', `${CAEP}credential-change`],
    ['user', 'token-claims-change', `${CAEP}token-claims-change`],
    ['user', 'account-disabled', `${OURS}account-disabled`],
    ['token', 'oauth-revoke', `${OURS}token-revoked`],
    ['all', 'emergency', `${OURS}global-cutoff`],
    ['key', 'key-compromise', `${OURS}key-revoked`],
  ])('%s revoked for %s is %s', (scope, reason, name) => {
    expect(revocationEventType(scope, reason)).toBe(name);
    expect(isKnownRevocationEventType(name)).toBe(true);
  });

  it('names an unknown reason by what it ends: sessions, or by scope', () => {
    expect(revocationEventType('session', 'something-new')).toBe(`${CAEP}session-revoked`);
    expect(revocationEventType('user', 'constructor')).toBe(`${CAEP}session-revoked`);
    expect(revocationEventType('token', 'password-change')).toBe(`${OURS}token-revoked`);
  });

  it('knows only its own names', () => {
    expect(isKnownRevocationEventType(`${CAEP}assurance-level-change`)).toBe(false);
    expect(isKnownRevocationEventType(`${OURS}revocation-batch`)).toBe(false);
  });
});
