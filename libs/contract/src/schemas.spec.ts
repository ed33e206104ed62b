import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { EventError } from './event-error.js';
import { validateRevocationEvent } from './parse-revocation-event.js';
import type { RevocationEvent, RevocationReason, RevocationScope } from './revocation-event.js';
import { revocationEventType } from './revocation-event-types.js';
import {
  heartbeatClaims,
  parseSecurityEvent,
  revocationBatchClaims,
  type SnapshotMarker,
} from './security-event.js';

/** The draft 2020-12 schemas of libs/contract/schemas, by file name, compiled together. */
const DIR = new URL('../schemas/', import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.schema.json'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
for (const file of FILES)
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as object);
const SCHEMA_BASE = 'https://tokenfence.dev/schemas/contract/';
const validate = (file: string, value: unknown): boolean => {
  const check = ajv.getSchema(`${SCHEMA_BASE}${file}`);
  if (!check) throw new Error(`no schema ${file}`);
  return check(value) === true;
};
const errorsOf = (file: string, value: unknown): string =>
  validate(file, value) ? '' : ajv.errorsText(ajv.getSchema(`${SCHEMA_BASE}${file}`)?.errors);

const ISS = 'https://auth.example.test';
const base = { iss: ISS, iat: 1_800_000_000, jti: 'set-1' };
const common = {
  v: 1 as const,
  iss: ISS,
  sub: 'user-1',
  revokedAtMs: 1_800_000_000_123,
  expiresAt: 1_800_000_901,
};

/** Every revocation the auth service writes: each scope with each reason it uses. */
const WRITTEN: [RevocationScope, RevocationReason, Record<string, unknown>][] = [
  ['session', 'logout', { sid: 'sid-1' }],
  ['session', 'refresh-reuse', { sid: 'sid-2' }],
  ['session', 'authorization-code-reuse', { sid: 'sid-2b' }],
  ['session', 'oauth-revoke', { sid: 'sid-3' }],
  ['session', 'password-change', { sid: 'sid-4' }],
  ['user', 'logout-all', { cutoff: 1_800_000_000 }],
  ['user', 'admin', { cutoff: 1_800_000_000 }],
  ['user', 'token-claims-change', { cutoff: 1_800_000_000 }],
  ['user', 'account-disabled', { cutoff: 1_800_000_000 }],
  ['token', 'oauth-revoke', { jti: 'jti-1' }],
  ['all', 'emergency', { cutoff: 1_800_000_000 }],
  ['key', 'key-compromise', { kid: 'tokens-2026-11-30' }],
];
const written: RevocationEvent[] = WRITTEN.map(
  ([scope, reason, target], i) =>
    ({
      ...common,
      id: `event-${i}`,
      scope,
      reason,
      eventType: revocationEventType(scope, reason),
      ...target,
    }) as RevocationEvent,
);
const valid = written[0] as unknown as Record<string, unknown>;

describe('the JSON Schemas of the topic (draft 2020-12)', () => {
  it('compile in strict mode, one per event, each with its own $id', () => {
    expect(FILES.sort()).toEqual(
      [
        'heartbeat',
        'revocation-all',
        'revocation-batch',
        'revocation-common',
        'revocation-key',
        'revocation-session',
        'revocation-token',
        'revocation-user',
        'revocation',
        'set-header',
        'snapshot-marker',
      ]
        .map((name) => `${name}.schema.json`)
        .sort(),
    );
    for (const file of FILES) expect(ajv.getSchema(`${SCHEMA_BASE}${file}`)).toBeDefined();
  });

  it('accept every revocation the contract builds, by its scope schema and as a member', () => {
    for (const event of written) {
      // What the parser keeps of it is the event itself: the schema and the code agree.
      expect(validateRevocationEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
      expect(errorsOf(`revocation-${event.scope}.schema.json`, event)).toBe('');
      expect(errorsOf('revocation.schema.json', event)).toBe('');
    }
  });

  it('accept the batches and heartbeats the contract builds, with and without a snapshot marker', () => {
    const marker: SnapshotMarker = {
      id: 'snap-1',
      partition: 2,
      part: 0,
      last: true,
      reason: 'event-key-revoked',
    };
    const claims = [
      revocationBatchClaims(base, written),
      revocationBatchClaims(base, written.slice(0, 1), marker),
      revocationBatchClaims(base, [], { ...marker, reason: 'some-future-reason' }),
    ];
    for (const c of claims) {
      const wire = JSON.parse(JSON.stringify(c)) as unknown;
      expect(parseSecurityEvent(wire)).toMatchObject({ kind: 'revocations', skipped: 0 });
      expect(errorsOf('revocation-batch.schema.json', wire)).toBe('');
      expect(validate('heartbeat.schema.json', wire)).toBe(false);
    }
    const heartbeat = JSON.parse(JSON.stringify(heartbeatClaims(base, 2, 1_800_000_000_000)));
    expect(parseSecurityEvent(heartbeat)).toMatchObject({ kind: 'heartbeat', partition: 2 });
    expect(errorsOf('heartbeat.schema.json', heartbeat)).toBe('');
    expect(validate('revocation-batch.schema.json', heartbeat)).toBe(false);
  });

  it('accept what a reader must still read: no eventType or iss (older producers), an unknown eventType, unknown fields', () => {
    const older = Object.fromEntries(
      Object.entries(valid).filter(([k]) => k !== 'eventType' && k !== 'iss'),
    );
    for (const member of [
      older,
      { ...valid, eventType: 'https://schemas.openid.net/secevent/caep/event-type/future' },
      { ...valid, extra: { nested: true } },
      { ...valid, id: 'x'.repeat(256) },
    ]) {
      expect(() => validateRevocationEvent(member, ISS)).not.toThrow();
      expect(errorsOf('revocation.schema.json', member)).toBe('');
    }
  });

  it.each<[string, unknown]>([
    ['a later version', { ...valid, v: 2 }],
    ['a version 0', { ...valid, v: 0 }],
    ['a version as string', { ...valid, v: '1' }],
    ['an unknown scope', { ...valid, scope: 'planet' }],
    ['a scope that is no name', { ...valid, scope: 'A B' }],
    ['a session without sid', { ...valid, sid: undefined }],
    ['a token without jti', { ...valid, scope: 'token', sid: undefined }],
    ['a key without kid', { ...valid, scope: 'key', sid: undefined }],
    ['a user cutoff as string', { ...valid, scope: 'user', cutoff: '1' }],
    ['a global cutoff that is negative', { ...valid, scope: 'all', cutoff: -1 }],
    ['a negative expiry', { ...valid, expiresAt: -1 }],
    ['a fractional expiry', { ...valid, expiresAt: 1.5 }],
    ['a revocation time as string', { ...valid, revokedAtMs: '1800000000123' }],
    ['an empty id', { ...valid, id: '' }],
    ['an id over 256 characters', { ...valid, id: 'x'.repeat(257) }],
    ['no sub', { ...valid, sub: undefined }],
    ['no reason', { ...valid, reason: undefined }],
    ['an event type that is no string', { ...valid, eventType: 7 }],
    ['an empty event type', { ...valid, eventType: '' }],
    ['an event type that is no https URI', { ...valid, eventType: 'session-revoked' }],
    ['an event type with whitespace', { ...valid, eventType: 'https://x.test/a b' }],
    ['an overlong event type', { ...valid, eventType: `https://x.test/${'a'.repeat(300)}` }],
    ['an array', []],
    ['null', null],
  ])('reject %s, as the contract parser does', (_name, input) => {
    const member: unknown = JSON.parse(JSON.stringify(input));
    expect(validate('revocation.schema.json', member)).toBe(false);
    expect(() => validateRevocationEvent(member, ISS)).toThrow(EventError);
  });

  it.each<[string, unknown]>([
    ['two events in one SET', { ...base, events: { a: {}, b: {} } }],
    ['a heartbeat with a negative partition', heartbeatClaims(base, -1, 1)],
    [
      'a heartbeat without publishedBeforeMs',
      { ...base, events: { 'https://tokenfence.dev/secevent/heartbeat': { partition: 0 } } },
    ],
    [
      'a batch without revocations',
      { ...base, events: { 'https://tokenfence.dev/secevent/revocation-batch': {} } },
    ],
    [
      'a snapshot marker with a negative part',
      revocationBatchClaims(base, [], {
        id: 's',
        partition: 0,
        part: -1,
        last: false,
        reason: 'requested',
      }),
    ],
    [
      'a SET event type of a newer producer',
      { ...base, events: { 'https://tokenfence.dev/secevent/key-announcement': {} } },
    ],
  ])('reject SET claims with %s, as the contract parser does', (_name, claims) => {
    expect(validate('revocation-batch.schema.json', claims)).toBe(false);
    expect(validate('heartbeat.schema.json', claims)).toBe(false);
    expect(() => parseSecurityEvent(claims)).toThrow(EventError);
  });

  it('reject SET claims without iss, iat or jti', () => {
    const claims = revocationBatchClaims(base, written.slice(0, 1));
    for (const claim of ['iss', 'iat', 'jti']) {
      const without = Object.fromEntries(Object.entries(claims).filter(([k]) => k !== claim));
      expect(validate('revocation-batch.schema.json', without)).toBe(false);
    }
  });

  it('describe the JWS header every message carries, and nothing else', () => {
    const header = { alg: 'EdDSA', kid: 'events-2026-11-30', typ: 'secevent+jwt' };
    expect(errorsOf('set-header.schema.json', header)).toBe('');
    for (const bad of [
      { ...header, alg: 'none' },
      { ...header, alg: 'RS256' },
      { ...header, kid: 'tokens-1' },
      { ...header, typ: 'JWT' },
      { alg: 'EdDSA', typ: 'secevent+jwt' },
    ]) {
      expect(validate('set-header.schema.json', bad)).toBe(false);
    }
  });
});
