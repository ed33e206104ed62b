import { describe, expect, it } from '@jest/globals';
import { EventError } from './event-error.js';
import type { RevocationEvent } from './revocation-event.js';
import { CAEP_EVENT_TYPES } from './revocation-event-types.js';
import {
  EVENT_TYPES,
  heartbeatClaims,
  parseSecurityEvent,
  revocationBatchClaims,
} from './security-event.js';

const base = { iss: 'https://auth.example.test', iat: 1_800_000_000, jti: 'set-1' };
const member = (sid: string, extra: Record<string, unknown> = {}) =>
  ({
    v: 1,
    id: `id-${sid}`,
    iss: base.iss,
    sub: 'user-1',
    revokedAtMs: 1_800_000_000_000,
    expiresAt: 1_800_000_900,
    reason: 'logout',
    scope: 'session',
    sid,
    eventType: CAEP_EVENT_TYPES.sessionRevoked,
    ...extra,
  }) as RevocationEvent;

describe('parseSecurityEvent', () => {
  it('reads a batch: every member with its event type, one SET event type for the batch', () => {
    const claims = revocationBatchClaims(base, [
      member('a'),
      member('b', { reason: 'password-change', eventType: CAEP_EVENT_TYPES.credentialChange }),
    ]);
    expect(Object.keys(claims.events)).toEqual([EVENT_TYPES.revocationBatch]);
    const parsed = parseSecurityEvent(JSON.parse(JSON.stringify(claims)));
    expect(parsed).toEqual({
      kind: 'revocations',
      revocations: [
        member('a'),
        member('b', { reason: 'password-change', eventType: CAEP_EVENT_TYPES.credentialChange }),
      ],
      skipped: 0,
      unsupported: 0,
    });
  });

  it('applies members with unknown event types; skips and counts malformed ones', () => {
    const claims = revocationBatchClaims(base, [
      member('future', { eventType: 'https://tokenfence.dev/secevent/not-invented-yet' }),
      member('broken', { eventType: { nested: true } }),
      member('missing', { eventType: undefined }),
    ]);
    const parsed = parseSecurityEvent(JSON.parse(JSON.stringify(claims)));
    expect(parsed).toMatchObject({ kind: 'revocations', skipped: 1 });
    const names =
      parsed.kind === 'revocations'
        ? parsed.revocations.map((r) => [r.scope === 'session' && r.sid, r.eventType])
        : [];
    expect(names).toEqual([
      ['future', 'https://tokenfence.dev/secevent/not-invented-yet'],
      ['missing', CAEP_EVENT_TYPES.sessionRevoked],
    ]);
  });

  it('reads a heartbeat and refuses an unknown SET event type', () => {
    expect(parseSecurityEvent(heartbeatClaims(base, 2, 123))).toEqual({
      kind: 'heartbeat',
      partition: 2,
      publishedBeforeMs: 123,
    });
    const caepAlone = { ...base, events: { [CAEP_EVENT_TYPES.sessionRevoked]: {} } };
    expect(codeOf(caepAlone)).toBe('EVENT_INVALID');
  });

  it('calls a SET event type of ours it does not know EVENT_VERSION_UNSUPPORTED', () => {
    const newer = { ...base, events: { 'https://tokenfence.dev/secevent/key-announcement': {} } };
    expect(codeOf(newer)).toBe('EVENT_VERSION_UNSUPPORTED');
  });

  it('counts members of a later version or an unknown scope apart from malformed ones', () => {
    const claims = revocationBatchClaims(base, [
      member('ok'),
      member('v2', { v: 2 }),
      member('scope', { scope: 'device' }),
      member('v0', { v: 0 }),
      member('junk-scope', { scope: { nested: 1 } }),
    ]);
    const parsed = parseSecurityEvent(JSON.parse(JSON.stringify(claims)));
    expect(parsed).toMatchObject({ kind: 'revocations', skipped: 2, unsupported: 2 });
  });

  it('gives a member without iss (an older producer) the issuer of its SET', () => {
    const claims = revocationBatchClaims(base, [member('old', { iss: undefined })]);
    const parsed = parseSecurityEvent(JSON.parse(JSON.stringify(claims)));
    expect(parsed.kind === 'revocations' && parsed.revocations[0]?.iss).toBe(base.iss);
  });

  it('keeps a member issued for another issuer as it is, for the reader to decide', () => {
    const claims = revocationBatchClaims(base, [member('idp', { iss: 'https://idp.example' })]);
    const parsed = parseSecurityEvent(JSON.parse(JSON.stringify(claims)));
    expect(parsed.kind === 'revocations' && parsed.revocations[0]?.iss).toBe('https://idp.example');
  });

  it('reads a snapshot marker bound to its partition, and refuses a malformed one', () => {
    const marker = { id: 'snap-1', partition: 2, part: 0, last: true, reason: 'event-key-revoked' };
    const parsed = parseSecurityEvent(revocationBatchClaims(base, [member('a')], marker));
    expect(parsed).toMatchObject({ kind: 'revocations', snapshot: marker });
    const broken = revocationBatchClaims(base, [], { ...marker, part: -1 });
    expect(codeOf(broken)).toBe('EVENT_INVALID');
  });
});

function codeOf(claims: unknown): string | undefined {
  try {
    parseSecurityEvent(claims);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(EventError);
    return (err as EventError).code;
  }
}
