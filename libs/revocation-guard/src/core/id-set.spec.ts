import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { IdSet } from './id-set.js';

describe('IdSet', () => {
  it('holds UUIDs exactly through growth, and nothing it was not given', () => {
    const set = new IdSet();
    const ids = Array.from({ length: 50_000 }, () => randomUUID());
    ids.forEach((id, i) => set.add(id, 1_000 + (i % 100)));
    expect(set.size).toBe(50_000);
    expect(ids.every((id) => set.has(id))).toBe(true);
    expect(ids.every((id) => set.has(id.toUpperCase()))).toBe(true);
    expect(Array.from({ length: 10_000 }, () => randomUUID()).some((id) => set.has(id))).toBe(
      false,
    );
  });

  it('keeps the latest expiry of a duplicate and prunes by expiry, shrinking the table', () => {
    const set = new IdSet();
    const early = Array.from({ length: 20_000 }, () => randomUUID());
    const late = Array.from({ length: 100 }, () => randomUUID());
    early.forEach((id) => set.add(id, 100));
    late.forEach((id) => set.add(id, 100));
    late.forEach((id) => set.add(id, 500)); // raised
    late.forEach((id) => set.add(id, 50)); // never lowered
    const bytesBefore = set.tableBytes;

    expect(set.prune(100)).toBe(0);
    expect(set.prune(101)).toBe(20_000);
    expect(set.size).toBe(100);
    expect(late.every((id) => set.has(id))).toBe(true);
    expect(early.some((id) => set.has(id))).toBe(false);
    expect(set.tableBytes).toBeLessThan(bytesBefore);
  });

  it('keeps ids that are not UUIDs in a fallback, with the same rules', () => {
    const set = new IdSet();
    set.add('session-42', 10);
    set.add('session-42', 20);
    expect(set.has('session-42')).toBe(true);
    expect(set.prune(20)).toBe(0);
    expect(set.prune(21)).toBe(1);
    expect(set.has('session-42')).toBe(false);
  });

  it('F17: keeps an expiry past 2106 (beyond 32 bits) instead of wrapping it to 1970', () => {
    const set = new IdSet();
    const id = randomUUID();
    const later = 2 ** 32 + 5; // seconds: the year 2106 and five seconds
    set.add(id, later);
    set.add(randomUUID(), 1_800_000_000); // something to prune, so the table is rebuilt
    expect(set.prune(1_800_000_001)).toBe(1);
    expect(set.has(id)).toBe(true);
    // A later expiry of the same id changes nothing past the cap, and is not taken for an earlier one.
    expect(set.add(id, later + 10)).toBe(false);
  });
});
