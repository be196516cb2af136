/**
 * Scanning helpers for parsers that read a line as UTF-8 bytes (`RecordParser.bytes`): literals,
 * numbers and IPv4 read straight from the buffer, and strings made only for the fields a flow keeps,
 * interned (the same bytes give the same string without a new allocation).
 *
 * A kept field is decoded as UTF-8 exactly as the text path decodes the line (invalid sequences become
 * U+FFFD): field boundaries are ASCII bytes, which never occur inside a UTF-8 sequence, so decoding a
 * field alone gives the same text as slicing the decoded line.
 */
import { canonicalIp, intToIpv4, ipv4BytesToInt, noteIpv4, v4lead, zeroRun } from '../src/model/ip.js';

type Latin1 = { latin1Slice(a: number, e: number): string };
/** b.toString('latin1', a, e) without its argument checks (Node's own Buffer method). */
export function latin1(b: Buffer, a: number, e: number): string {
  return (b as unknown as Latin1).latin1Slice(a, e);
}

const fcc = String.fromCharCode;

/**
 * The ASCII text b[a, e) of 7 to 15 bytes (an IPv4 address) as one flat string made in JavaScript: about
 * half the cost of `latin1` (a call into C++) at this length. Other lengths: `latin1`.
 */
export function ascii15(b: Buffer, a: number, e: number): string {
  switch (e - a) {
    case 7: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!);
    case 8: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!);
    case 9: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!);
    case 10: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!);
    case 11: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!, b[a + 10]!);
    case 12: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!, b[a + 10]!, b[a + 11]!);
    case 13: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!, b[a + 10]!, b[a + 11]!, b[a + 12]!);
    case 14: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!, b[a + 10]!, b[a + 11]!, b[a + 12]!, b[a + 13]!);
    case 15: return fcc(b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!, b[a + 6]!, b[a + 7]!, b[a + 8]!, b[a + 9]!, b[a + 10]!, b[a + 11]!, b[a + 12]!, b[a + 13]!, b[a + 14]!);
    default: return latin1(b, a, e);
  }
}

export function isDigitB(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True when b[p, p + lit.length) equals the ASCII literal `lit` and lies before `end`. */
export function litAt(b: Buffer, p: number, end: number, lit: string): boolean {
  const n = lit.length;
  if (p < 0 || p + n > end) return false;
  for (let i = 0; i < n; i++) if (b[p + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/**
 * Index of byte c in b[p, end), else -1 (a loop in JavaScript: cheaper than Buffer#indexOf for short spans),
 * four bytes a step while four remain (one bound check per step instead of one per byte).
 */
export function byteIndex(b: Buffer, c: number, p: number, end: number): number {
  let i = p;
  for (; i + 4 <= end; i += 4) {
    if (b[i] === c) return i;
    if (b[i + 1] === c) return i + 1;
    if (b[i + 2] === c) return i + 2;
    if (b[i + 3] === c) return i + 3;
  }
  for (; i < end; i++) if (b[i] === c) return i;
  return -1;
}

/** Index of the ASCII literal `lit` in b[p, end), else -1. Linear (first byte, then compare). */
export function litIndex(b: Buffer, lit: string, p: number, end: number): number {
  const c0 = lit.charCodeAt(0), n = lit.length;
  for (let i = p, last = end - n; i <= last; i++) {
    if (b[i] !== c0) continue;
    let k = 1;
    while (k < n && b[i + k] === lit.charCodeAt(k)) k++;
    if (k === n) return i;
  }
  return -1;
}

/** Last index of the ASCII literal in b[p, end), else -1. */
export function litLastIndex(b: Buffer, lit: string, p: number, end: number): number {
  const c0 = lit.charCodeAt(0), n = lit.length;
  for (let i = end - n; i >= p; i--) {
    if (b[i] !== c0) continue;
    let k = 1;
    while (k < n && b[i + k] === lit.charCodeAt(k)) k++;
    if (k === n) return i;
  }
  return -1;
}

/** Two ASCII digits at i (before end), or -1. */
export function d2B(b: Buffer, i: number, end: number): number {
  if (i < 0 || i + 2 > end) return -1;
  const x = b[i]! - 48, y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** Month number (1-12) of a three-letter English month name at p, else 0. */
export function monthAtB(b: Buffer, p: number, end: number): number {
  if (p < 0 || p + 3 > end) return 0;
  const x = b[p], y = b[p + 1], z = b[p + 2];
  switch (x) {
    case 74: // J
      if (y === 97 && z === 110) return 1; // Jan
      if (y === 117 && z === 110) return 6; // Jun
      if (y === 117 && z === 108) return 7; // Jul
      return 0;
    case 70: return y === 101 && z === 98 ? 2 : 0; // Feb
    case 77: return y === 97 ? (z === 114 ? 3 : z === 121 ? 5 : 0) : 0; // Mar, May
    case 65: // A
      if (y === 112 && z === 114) return 4; // Apr
      if (y === 117 && z === 103) return 8; // Aug
      return 0;
    case 83: return y === 101 && z === 112 ? 9 : 0; // Sep
    case 79: return y === 99 && z === 116 ? 10 : 0; // Oct
    case 78: return y === 111 && z === 118 ? 11 : 0; // Nov
    case 68: return y === 101 && z === 99 ? 12 : 0; // Dec
    default: return 0;
  }
}

/** The text b[a, e) as the text path would have it: latin1 when all ASCII (same text, cheaper), else UTF-8. */
export function text(b: Buffer, a: number, e: number): string {
  for (let i = a; i < e; i++) if (b[i]! >= 0x80) return b.toString('utf8', a, e);
  return latin1(b, a, e);
}

// 1,024 slots (12 KB): addresses that repeat (real logs: a few hosts) hit, and a miss costs about as
// much as no cache. Measured on 1 M generated lines with 112 k distinct addresses: 65,536 slots cost
// 0.35 s more CPU per analyze (random reads into 768 KB of tables) and 20 MB more peak RSS.
const V4_SHIFT = 22;
const V4_SLOTS = 1 << (32 - V4_SHIFT);
const V6_MAX = 20_000;

/**
 * Canonical address text of b[a, e) (`canonicalIp`: IPv4 without leading zeros, RFC 5952 IPv6), or null
 * when it is no address. IPv4 texts are interned by value (a small direct-mapped table), IPv6 by their text; both caches are bounded.
 */
export class AddrInterner {
  // IPv4: a direct-mapped table keyed by the address as an int32 (a Map keyed by numbers above 2^30
  // hashes heap numbers: several times slower); a collision replaces the slot.
  private readonly v4keys = new Int32Array(V4_SLOTS);
  private readonly v4vals: (string | null)[] = new Array<string | null>(V4_SLOTS).fill(null);
  private readonly v6 = new Map<string, string | null>();

  addr(b: Buffer, a: number, e: number): string | null {
    if (e <= a) return null;
    const n = ipv4BytesToInt(b, a, e);
    if (n >= 0) {
      const k = n | 0;
      const slot = Math.imul(k, 0x9e3779b1) >>> V4_SHIFT;
      const hit = this.v4vals[slot]!;
      if (hit !== null && this.v4keys[slot] === k) { noteIpv4(hit, n); return hit; } // (the gate and matcher take n: ip.ts)
      const s = v4lead.lead ? intToIpv4(n) : ascii15(b, a, e); // (digits and dots: ASCII)
      this.v4keys[slot] = k;
      this.v4vals[slot] = s;
      noteIpv4(s, n);
      return s;
    }
    if (byteIndex(b, 58, a, e) < 0) return null; // neither IPv4 nor IPv6
    const c = canonicalV6At(b, a, e); // already canonical: its own text (no lookup by text)
    if (c !== null) return c;
    const t = text(b, a, e);
    let v = this.v6.get(t);
    if (v === undefined) {
      v = canonicalIp(t);
      if (this.v6.size >= V6_MAX) this.v6.clear();
      this.v6.set(t, v);
    }
    return v;
  }
}

const SLOTS = 256;

/**
 * Interns short kept fields (device, rule, interface, zone names): a direct-mapped table keyed by a
 * hash of the bytes; a hit compares the bytes and returns the string made the first time.
 */
export class BytesInterner {
  private readonly keys: (Buffer | null)[] = new Array<Buffer | null>(SLOTS).fill(null);
  private readonly vals: string[] = new Array<string>(SLOTS).fill('');

  get(b: Buffer, a: number, e: number): string {
    const n = e - a;
    if (n <= 0) return '';
    if (n > 64) return text(b, a, e);
    let h = n;
    for (let i = a; i < e; i++) h = (Math.imul(h, 31) + b[i]!) | 0; // (integer multiply: h * 31 leaves int32 and costs a float round trip)
    const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
    const k = this.keys[slot];
    if (k !== null && k !== undefined && k.length === n) {
      let i = 0;
      while (i < n && k[i] === b[a + i]) i++;
      if (i === n) return this.vals[slot]!;
    }
    const s = text(b, a, e);
    this.keys[slot] = Buffer.from(b.subarray(a, e));
    this.vals[slot] = s;
    return s;
  }
}

const V6_HEX = new Int32Array(8);
const V6_FULL = new Int32Array(8);

/**
 * b[a, z) when it is an IPv6 address already in the canonical form `canonicalIp` gives (RFC 5952:
 * lower-case hex without leading zeros, `::` for the first longest run of two or more zero groups,
 * not IPv4-mapped), else null (the caller asks the AddrInterner). Such text is its own canonical form.
 */
export function canonicalV6At(b: Buffer, a: number, z: number): string | null {
  if (z - a < 2 || z - a > 39) return null;
  const h = V6_HEX;
  let ng = 0, dbl = -1, i = a;
  if (b[i] === 58) {
    if (b[i + 1] !== 58) return null;
    dbl = 0;
    i += 2;
  }
  while (i < z) {
    // one group: 1-4 lower-case hex digits, no leading zero
    const g0 = i;
    let v = 0;
    for (; i < z; i++) {
      const c = b[i]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else break;
      v = v * 16 + d;
    }
    const gl = i - g0;
    if (gl === 0 || gl > 4 || (gl > 1 && b[g0] === 48) || ng === 8) return null;
    h[ng++] = v;
    if (i === z) break;
    if (b[i] !== 58) return null;
    i++;
    if (i < z && b[i] === 58) {
      if (dbl >= 0) return null;
      dbl = ng;
      i++;
    } else if (i === z) return null; // a single trailing colon
  }
  if (dbl < 0 ? ng !== 8 : ng > 6) return null; // `::` stands for two or more zero groups here
  // the first longest run of zero groups (two or more) among the eight
  const run = dbl < 0 ? 0 : 8 - ng;
  const f = V6_FULL;
  for (let g = 0, k = 0; g < 8; g++) f[g] = dbl >= 0 && g >= dbl && g < dbl + run ? 0 : h[k++]!;
  if (f[0] === 0 && f[1] === 0 && f[2] === 0 && f[3] === 0 && f[4] === 0 && f[5] === 0xffff) return null; // mapped: IPv4 text
  const zr = zeroRun(f);
  if (dbl < 0 ? zr >= 0 : zr !== dbl * 16 + run) return null;
  return latin1(b, a, z);
}
