/**
 * Compiled lookup structures of the matcher:
 * - `AddrIndex`: address → role keys, as disjoint sorted segments (IPv4 on numbers, IPv6 on bigints);
 *   one binary search per lookup.
 * - `PortIndex`: destination port → candidate entries, as disjoint sorted segments per transport.
 */
import type { AddrSet } from '../inventory/addr.js';
import type { PortIntervals } from '../model/ruleset.js';

const NONE: readonly number[] = Object.freeze([]);

/** Builds disjoint segments from (interval, key) pairs: starts[i] begins a segment carrying keys[i]. */
function segmentize<T extends number | bigint>(items: Array<{ lo: T; hi: T; key: number }>, succ: (x: T) => T): { starts: T[]; keys: Array<readonly number[]> } {
  const points = new Set<T>();
  for (const it of items) {
    points.add(it.lo);
    points.add(succ(it.hi));
  }
  const starts = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const keys: number[][] = starts.map(() => []);
  for (const it of items) {
    let i = lowerBound(starts, it.lo);
    while (i < starts.length && starts[i]! <= it.hi) {
      const k = keys[i]!;
      if (!k.includes(it.key)) k.push(it.key);
      i++;
    }
  }
  return { starts, keys: keys.map((k) => (k.length ? k : NONE)) };
}

function lowerBound<T extends number | bigint>(arr: T[], v: T): number {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Index of the last start ≤ v, or -1. */
/** Monomorphic copies for the hot lookups (one shared generic function would see three array kinds). */
function floorIndexF64(arr: Float64Array, v: number): number {
  let lo = 0, hi = arr.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! <= v) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

function floorIndexI32(arr: Int32Array, v: number): number {
  let lo = 0, hi = arr.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! <= v) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

function floorIndex<T extends number | bigint>(arr: ArrayLike<T>, v: T): number {
  let lo = 0, hi = arr.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! <= v) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

export class AddrIndex {
  private v4starts: Float64Array;
  private v4keys: Array<readonly number[]>;
  private v6starts: bigint[];
  private v6keys: Array<readonly number[]>;

  constructor(sets: Array<{ set: AddrSet; key: number }>) {
    const v4: Array<{ lo: number; hi: number; key: number }> = [];
    const v6: Array<{ lo: bigint; hi: bigint; key: number }> = [];
    for (const { set, key } of sets) {
      for (const [lo, hi] of set.v4) v4.push({ lo, hi, key });
      for (const [lo, hi] of set.v6) v6.push({ lo, hi, key });
    }
    const a = segmentize(v4, (x: number) => x + 1);
    this.v4starts = Float64Array.from(a.starts);
    this.v4keys = a.keys;
    const b = segmentize(v6, (x: bigint) => x + 1n);
    this.v6starts = b.starts;
    this.v6keys = b.keys;
  }

  /** Role keys held by an IPv4 address (uint32); an empty frozen array when none. */
  lookup4(n: number): readonly number[] {
    const i = floorIndexF64(this.v4starts, n);
    return i < 0 ? NONE : this.v4keys[i]!;
  }

  lookup6(n: bigint): readonly number[] {
    if (this.v6starts.length === 0) return NONE;
    const i = floorIndex(this.v6starts, n);
    return i < 0 ? NONE : this.v6keys[i]!;
  }
}

export class PortIndex<E> {
  private starts: Int32Array;
  private cands: Array<readonly E[]>;
  /** Entries with no ports (GRE, ICMP, ESP …): they match any flow of the transport. */
  readonly anyPort: E[] = [];

  constructor(items: Array<{ ports: PortIntervals; entry: E }>) {
    const flat: Array<{ lo: number; hi: number; key: number }> = [];
    const entries: E[] = [];
    for (const it of items) {
      if (it.ports.length === 0) { this.anyPort.push(it.entry); continue; }
      const key = entries.push(it.entry) - 1;
      for (const [lo, hi] of it.ports) flat.push({ lo, hi, key });
    }
    const s = segmentize(flat, (x: number) => x + 1);
    this.starts = Int32Array.from(s.starts);
    this.cands = s.keys.map((ks) => ks.map((k) => entries[k]!));
  }

  /** Entries whose ports cover `port` (not including `anyPort`). */
  lookup(port: number): readonly E[] {
    const i = floorIndexI32(this.starts, port);
    return i < 0 ? (NONE as readonly E[]) : this.cands[i]!;
  }
}
