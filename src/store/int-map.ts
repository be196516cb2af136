/**
 * A map from 32-bit integers to non-negative integers (open addressing, linear probing, in typed arrays): a lookup per
 * flow on a key with many distinct values (the local IPv4 address of a host firewall's log, ~1 per 20 flows) costs a
 * multiply and one or two array reads, where a Map costs a hash-table walk through heap objects.
 */
export class IntMap {
  private keys: Int32Array;
  /** Value + 1 per slot; 0 = empty. */
  private vals: Int32Array;
  private shift: number;
  size = 0;

  constructor(capacity = 1024) {
    let bits = 4;
    while ((1 << bits) < capacity * 2) bits++;
    this.keys = new Int32Array(1 << bits);
    this.vals = new Int32Array(1 << bits);
    this.shift = 32 - bits;
  }

  /** The value of key `k` (any 32-bit integer: `k | 0` is used), or -1. */
  get(k: number): number {
    const keys = this.keys, vals = this.vals, m = keys.length - 1;
    k |= 0;
    for (let i = Math.imul(k, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & m) {
      const v = vals[i]!;
      if (v === 0) return -1;
      if (keys[i] === k) return v - 1;
    }
  }

  /** Sets key `k` to `v` (0 ≤ v < 2^31 - 1). */
  set(k: number, v: number): void {
    if (!(v >= 0 && v < 0x7fffffff && Number.isInteger(v))) throw new RangeError(`IntMap value out of range: ${v}`);
    k |= 0;
    const keys = this.keys, vals = this.vals, m = keys.length - 1;
    for (let i = Math.imul(k, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & m) {
      if (vals[i] === 0) {
        keys[i] = k; vals[i] = v + 1;
        if (++this.size * 2 > keys.length) this.grow();
        return;
      }
      if (keys[i] === k) { vals[i] = v + 1; return; }
    }
  }

  private grow(): void {
    const oldK = this.keys, oldV = this.vals;
    this.keys = new Int32Array(oldK.length * 2);
    this.vals = new Int32Array(oldK.length * 2);
    this.shift--;
    this.size = 0;
    for (let i = 0; i < oldK.length; i++) if (oldV[i] !== 0) this.set(oldK[i]!, oldV[i]! - 1);
  }
}
