import { describe, expect, it } from '@jest/globals';
import { EventError } from './event-error.js';
import { encodeRevocationEvent, parseRevocationEvent } from './parse-revocation-event.js';
import type { RevocationEvent } from './revocation-event.js';
import { MAX_EVENT_BYTES } from './topic.js';

const valid: RevocationEvent = {
  v: 1,
  id: '5f0c1f7e-9d7a-4a53-9b39-0f7b2c1d6e11',
  iss: 'https://auth.example.test',
  sub: 'user-1',
  revokedAtMs: 1_800_000_000_000,
  expiresAt: 1_800_000_901,
  reason: 'logout',
  scope: 'session',
  sid: 'sid-1',
  eventType: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
};

function codeOf(input: string | Uint8Array): string | undefined {
  try {
    parseRevocationEvent(input);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(EventError);
    return (err as EventError).code;
  }
}

describe('parseRevocationEvent', () => {
  it('round-trips every scope', () => {
    const events: RevocationEvent[] = [
      valid,
      { ...valid, scope: 'token', jti: 'jti-1' },
      { ...valid, scope: 'user', cutoff: 1_800_000_000 },
    ];
    for (const event of events) {
      const parsed = parseRevocationEvent(encodeRevocationEvent(event));
      expect(parsed).toMatchObject({
        scope: event.scope,
        sub: 'user-1',
        expiresAt: event.expiresAt,
      });
    }
  });

  it('keeps the event type, and derives it for events written before the field existed', () => {
    expect(parseRevocationEvent(encodeRevocationEvent(valid)).eventType).toBe(valid.eventType);
    const older = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== 'eventType'));
    expect(parseRevocationEvent(JSON.stringify({ ...older, reason: 'password-change' }))).toEqual({
      ...valid,
      reason: 'password-change',
      eventType: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
    });
    const olderToken = { ...older, scope: 'token', jti: 'jti-1', sid: undefined };
    expect(parseRevocationEvent(JSON.stringify(olderToken)).eventType).toBe(
      'https://tokenfence.dev/secevent/token-revoked',
    );
  });

  it('keeps an unknown https event type: the revocation still applies by its scope', () => {
    const future = 'https://schemas.openid.net/secevent/caep/event-type/some-future-event';
    expect(parseRevocationEvent(JSON.stringify({ ...valid, eventType: future }))).toMatchObject({
      scope: 'session',
      sid: 'sid-1',
      eventType: future,
    });
  });

  it('drops unknown fields instead of passing them on', () => {
    const parsed = parseRevocationEvent(JSON.stringify({ ...valid, extra: 'x', jti: 'stray' }));
    expect(parsed).not.toHaveProperty('extra');
    expect(parsed).not.toHaveProperty('jti');
  });

  it.each([
    ['not JSON', '{nope', 'EVENT_NOT_JSON'],
    ['an array', '[]', 'EVENT_INVALID'],
    ['null', 'null', 'EVENT_INVALID'],
    ['a later version', JSON.stringify({ ...valid, v: 2 }), 'EVENT_VERSION_UNSUPPORTED'],
    [
      'an unknown scope',
      JSON.stringify({ ...valid, scope: 'planet' }),
      'EVENT_VERSION_UNSUPPORTED',
    ],
    ['a version 0', JSON.stringify({ ...valid, v: 0 }), 'EVENT_INVALID'],
    ['a version as string', JSON.stringify({ ...valid, v: '1' }), 'EVENT_INVALID'],
    ['a scope that is no name', JSON.stringify({ ...valid, scope: 'A B' }), 'EVENT_INVALID'],
    ['an event without iss', JSON.stringify({ ...valid, iss: undefined }), 'EVENT_INVALID'],
    ['a session without sid', JSON.stringify({ ...valid, sid: undefined }), 'EVENT_INVALID'],
    [
      'a user cutoff as string',
      JSON.stringify({ ...valid, scope: 'user', cutoff: '1' }),
      'EVENT_INVALID',
    ],
    ['a negative expiry', JSON.stringify({ ...valid, expiresAt: -1 }), 'EVENT_INVALID'],
    ['a fractional expiry', JSON.stringify({ ...valid, expiresAt: 1.5 }), 'EVENT_INVALID'],
    ['an empty id', JSON.stringify({ ...valid, id: '' }), 'EVENT_INVALID'],
    [
      'an event type that is no string',
      JSON.stringify({ ...valid, eventType: 7 }),
      'EVENT_INVALID',
    ],
    ['an empty event type', JSON.stringify({ ...valid, eventType: '' }), 'EVENT_INVALID'],
    [
      'an event type that is no https URI',
      JSON.stringify({ ...valid, eventType: 'session-revoked' }),
      'EVENT_INVALID',
    ],
    [
      'an overlong event type',
      JSON.stringify({ ...valid, eventType: `https://x.test/${'a'.repeat(300)}` }),
      'EVENT_INVALID',
    ],
  ])('rejects %s', (_name, input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('rejects an oversized message before parsing it', () => {
    const big = JSON.stringify({ ...valid, reason: 'x'.repeat(MAX_EVENT_BYTES) });
    expect(codeOf(Buffer.from(big))).toBe('EVENT_TOO_LARGE');
  });
});
