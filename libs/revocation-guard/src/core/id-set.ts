const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INITIAL_CAPACITY = 1024; // slots, a power of two
const MAX_LOAD = 0.7;
/** Expiries are seconds in 32 bits: later ones are kept until then (2106), never wrapped. */
const MAX_EXPIRY = 0xffff_ffff;

/**
 * A set of ids, each with an expiry (seconds since the epoch), kept exact and compact: UUIDs are
 * stored as 16 raw bytes in an open-addressing table of typed arrays (20 bytes a slot, about 30
 * bytes an entry at the usual load), anything else in a plain Map. Nothing is ever evicted to
 * save memory; entries leave only through {@link IdSet.prune}.
 */
export class IdSet {
  private keys = new Uint32Array(INITIAL_CAPACITY * 4);
  /** 0 marks an empty slot; expiries are always later than 1970. */
  private expiries = new Uint32Array(INITIAL_CAPACITY);
  private used = 0;
  private readonly others = new Map<string, number>();
  private readonly scratch = new Uint32Array(4);

  get size(): number {
    return this.used + this.others.size;
  }

  /** Bytes held by the table itself (the fallback Map is not counted). */
  get tableBytes(): number {
    return this.keys.byteLength + this.expiries.byteLength;
  }

  /** Adds `id`, or raises its expiry to `expiresAt` if later. Returns false if nothing changed. */
  add(id: string, expiresAt: number): boolean {
    expiresAt = Math.min(expiresAt, MAX_EXPIRY);
    if (!parseUuid(id, this.scratch)) {
      const known = this.others.get(id);
      if (known !== undefined && known >= expiresAt) return false;
      this.others.set(id, expiresAt);
      return true;
    }
    const slot = this.find(this.scratch);
    if (this.expiries[slot] !== 0) {
      if (expiresAt <= this.expiries[slot]) return false;
      this.expiries[slot] = expiresAt;
      return true;
    }
    this.keys.set(this.scratch, slot * 4);
    this.expiries[slot] = Math.max(1, expiresAt);
    this.used++;
    if (this.used > this.expiries.length * MAX_LOAD) this.rehash(this.expiries.length * 2, 0);
    return true;
  }

  has(id: string): boolean {
    if (!parseUuid(id, this.scratch)) return this.others.has(id);
    return this.expiries[this.find(this.scratch)] !== 0;
  }

  /** Drops every entry whose expiry is before `keepFrom`; returns how many. */
  prune(keepFrom: number): number {
    let dropped = 0;
    for (const [id, expiresAt] of this.others) {
      if (expiresAt < keepFrom) {
        this.others.delete(id);
        dropped++;
      }
    }
    const before = this.used;
    let capacity = this.expiries.length;
    let live = 0;
    for (let i = 0; i < this.expiries.length; i++) {
      const e = this.expiries[i];
      if (e !== 0 && e >= keepFrom) live++;
    }
    if (live === before) return dropped;
    while (capacity > INITIAL_CAPACITY && live < capacity * MAX_LOAD * 0.25) capacity /= 2;
    this.rehash(capacity, keepFrom);
    return dropped + (before - this.used);
  }

  /** The slot holding `key`, or the empty slot where it would go (linear probing). */
  private find(key: Uint32Array): number {
    const mask = this.expiries.length - 1;
    let slot = (Math.imul(key[0] ^ key[3], 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      if (this.expiries[slot] === 0) return slot;
      const k = slot * 4;
      if (
        this.keys[k] === key[0] &&
        this.keys[k + 1] === key[1] &&
        this.keys[k + 2] === key[2] &&
        this.keys[k + 3] === key[3]
      ) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private rehash(capacity: number, keepFrom: number): void {
    const oldKeys = this.keys;
    const oldExpiries = this.expiries;
    this.keys = new Uint32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
    this.used = 0;
    const key = new Uint32Array(4);
    for (let i = 0; i < oldExpiries.length; i++) {
      const e = oldExpiries[i];
      if (e === 0 || e < keepFrom) continue;
      key.set(oldKeys.subarray(i * 4, i * 4 + 4));
      const slot = this.find(key);
      this.keys.set(key, slot * 4);
      this.expiries[slot] = e;
      this.used++;
    }
  }
}

/** Writes a UUID's 128 bits into `out`; false for anything that is not a UUID. */
function parseUuid(id: string, out: Uint32Array): boolean {
  if (id.length !== 36 || !UUID.test(id)) return false;
  out[0] = parseInt(id.slice(0, 8), 16);
  out[1] = parseInt(id.slice(9, 13) + id.slice(14, 18), 16);
  out[2] = parseInt(id.slice(19, 23) + id.slice(24, 28), 16);
  out[3] = parseInt(id.slice(28, 36), 16);
  return true;
}
