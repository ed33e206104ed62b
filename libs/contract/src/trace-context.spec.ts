import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  formatTraceparent,
  MAX_TRACEPARENT_LENGTH,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  parseTracestate,
} from './trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('parseTraceparent', () => {
  it('reads a version-00 header, as a string or as the Buffer Kafka delivers', () => {
    const expected = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 };
    expect(parseTraceparent(VALID)).toEqual(expected);
    expect(parseTraceparent(Buffer.from(VALID))).toEqual(expected);
    expect(parseTraceparent([Buffer.from(VALID), Buffer.from('garbage')])).toEqual(expected);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.traceFlags).toBe(0);
  });

  it('reads the known fields of a later version and ignores what it adds', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-03-what-comes-next`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 3,
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['a number', 42],
    ['garbage', 'not a traceparent'],
    ['upper-case hex', VALID.toUpperCase()],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['an oversized value', `01-${TRACE_ID}-${SPAN_ID}-01-${'a'.repeat(MAX_TRACEPARENT_LENGTH)}`],
    ['an oversized Buffer', Buffer.alloc(MAX_TRACEPARENT_LENGTH + 1, 'a')],
  ])('ignores %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('never throws, whatever the header holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array(), fc.anything()), (value) => {
        const parsed = parseTraceparent(value);
        if (parsed !== undefined) expect(formatTraceparent(parsed)).toMatch(/^00-/);
      }),
    );
  });

  it('round-trips through formatTraceparent', () => {
    const parsed = parseTraceparent(VALID);
    expect(parsed && formatTraceparent(parsed)).toBe(VALID);
  });
});

describe('parseTracestate', () => {
  it('keeps a printable value and drops an empty, oversized or binary one', () => {
    expect(parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')).toBe(
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
    expect(parseTracestate(Buffer.from('vendor=1'))).toBe('vendor=1');
    expect(parseTracestate('')).toBeUndefined();
    expect(parseTracestate(undefined)).toBeUndefined();
    expect(parseTracestate(`a=${'x'.repeat(MAX_TRACESTATE_LENGTH)}`)).toBeUndefined();
    expect(parseTracestate('a=\u0000b')).toBeUndefined();
  });
});
