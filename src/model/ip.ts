/**
 * Address helpers for the hot path. Parsers call `canonicalIp` once per address; the matcher works on
 * integers (`ipv4ToInt`, `ipv6ToBigInt`). `ip-num` is used at load time (inventory, rulesets), not here.
 */

/** Parses dotted-quad IPv4 into an unsigned 32-bit integer, or -1 if the text is not one. */
export function ipv4ToInt(s: string): number {
  return ipv4SliceToInt(s, 0, s.length, false);
}

/**
 * Dotted quad in `s[from, to)` as an unsigned 32-bit integer, or -1. With `noLeadingZeros`, `010.1.1.1` is
 * refused (inventories: an octal-looking octet is ambiguous, so the careful ip-num path explains it).
 */
export function ipv4SliceToInt(s: string, from: number, to: number, noLeadingZeros: boolean): number {
  let n = 0, part = 0, digits = 0, dots = 0, lead = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) lead = c === 48; else if (lead && noLeadingZeros) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part; part = 0; digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/**
 * `ipv4SliceToInt` over UTF-8 bytes b[a, e) (parsers on bytes; leading zeros allowed): the address as an
 * unsigned integer, else -1. `v4lead.lead` tells whether a part of the last address read had a leading zero.
 */
export const v4lead = { lead: false };
export function ipv4BytesToInt(b: Buffer, a: number, e: number): number {
  let n = 0, part = 0, digits = 0, dots = 0, lead = false;
  for (let i = a; i < e; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) lead = true;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part; part = 0; digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  v4lead.lead = lead;
  return n * 256 + part;
}

/**
 * Dotted quad of an unsigned 32-bit integer, as a flat string (a template literal of 13+ characters makes a
 * cons string, slower to scan and hash later; this is also the fastest of the forms measured).
 */
export function intToIpv4(n: number): string {
  const c: number[] = [];
  for (let s = 24; s >= 0; s -= 8) {
    const v = (n >>> s) & 255;
    if (v >= 100) c.push(48 + ((v / 100) | 0));
    if (v >= 10) c.push(48 + (((v / 10) | 0) % 10));
    c.push(48 + (v % 10));
    if (s !== 0) c.push(46);
  }
  return String.fromCharCode.apply(null, c);
}

/** Parses IPv6 text (with `::`, embedded IPv4, optional `%zone`) into 8 hextets, or null. */
export function parseIpv6(input: string): number[] | null {
  const h = PARSE6;
  return ipv6Into(input, h) ? [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!] : null;
}
const PARSE6 = new Uint16Array(8);

/**
 * `parseIpv6` without allocation: the 8 hextets of `input` into `out`, true when it is IPv6 text (`::` once,
 * embedded IPv4 as the last part of either side of `::`, 1-4 hex digits per part, optional `[…]` and `%zone`).
 * One pass over the text; `out` is undefined when false is returned.
 */
export function ipv6Into(input: string, out: Uint16Array): boolean {
  let e = input.indexOf('%');
  if (e < 0) e = input.length;
  let i = 0;
  if (e >= 2 && input.charCodeAt(0) === 91 && input.charCodeAt(e - 1) === 93) { i = 1; e--; }
  let n = 0, dbl = -1;
  if (i + 1 < e && input.charCodeAt(i) === 58 && input.charCodeAt(i + 1) === 58) { dbl = 0; i += 2; }
  if (i < e || dbl < 0) {
    for (;;) {
      // one part: [i, j)
      let j = i, v = 0, dot = false, hex = true;
      for (; j < e; j++) {
        const c = input.charCodeAt(j);
        if (c === 58) break;
        if (c === 46) { dot = true; continue; }
        let d: number;
        if (c >= 48 && c <= 57) d = c - 48;
        else if (c >= 97 && c <= 102) d = c - 87;
        else if (c >= 65 && c <= 70) d = c - 55;
        else { hex = false; continue; }
        v = v * 16 + d;
      }
      const len = j - i;
      const max = dbl < 0 ? 8 : 7;
      // a part with a dot is an embedded IPv4 address when it ends its side (the text or the head before `::`)
      if (dot && (j === e || (j + 1 < e && input.charCodeAt(j + 1) === 58))) {
        const v4 = ipv4SliceToInt(input, i, j, false);
        if (v4 < 0 || n + 2 > max) return false;
        out[n++] = (v4 >>> 16) & 0xffff;
        out[n++] = v4 & 0xffff;
      } else {
        if (len === 0 || len > 4 || dot || !hex || n + 1 > max) return false;
        out[n++] = v;
      }
      if (j === e) break;
      // j is a colon
      if (j + 1 < e && input.charCodeAt(j + 1) === 58) {
        if (dbl >= 0 || n > 7) return false;
        dbl = n;
        i = j + 2;
        if (i === e) break;
        if (input.charCodeAt(i) === 58) return false; // a third colon
      } else i = j + 1;
    }
  }
  if (dbl < 0) return n === 8;
  // move the part after `::` to the end, zeros between
  const tail = n - dbl;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = dbl; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/**
 * The run of zero hextets RFC 5952 compresses to `::` (the first longest, two or more) as start * 16 + length,
 * or -1 when there is none (no allocation: formatIpv6 and the parsers' canonical-text checks call it per address).
 */
export function zeroRun(h: ArrayLike<number>): number {
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  return bestStart < 0 ? -1 : bestStart * 16 + bestLen;
}

/** RFC 5952 text for 8 hextets; IPv4-mapped (::ffff:a.b.c.d) is returned as plain IPv4. */
export function formatIpv6(h: ArrayLike<number>): string {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff) {
    return intToIpv4(((h[6]! << 16) | h[7]!) >>> 0);
  }
  const zr = zeroRun(h);
  const bestStart = zr < 0 ? -1 : zr >> 4, bestLen = zr < 0 ? 0 : zr & 15;
  // the text as character codes, one flat string at the end (no string per hextet)
  const c: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      c.push(58, 58);
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) c.push(58);
    const x = h[i]!;
    for (let sh = 12; sh >= 0; sh -= 4) {
      const d = (x >>> sh) & 15;
      if (sh === 0 || x >>> sh !== 0) c.push(d < 10 ? 48 + d : 87 + d);
    }
  }
  return String.fromCharCode.apply(null, c);
}

/**
 * Canonical text form of an address: IPv4 dotted quad without leading zeros, IPv6 compressed
 * lower-case (RFC 5952), IPv4-mapped IPv6 as IPv4. Returns null for text that is not an address.
 */
export function canonicalIp(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  if (s.indexOf(':') < 0) {
    // One pass: validate the dotted quad and notice leading zeros (which need rebuilding).
    let part = 0, digits = 0, dots = 0, leadingZero = false;
    const n = s.length;
    if (n < 7 || n > 15) return n > 15 ? ipv4Rebuild(s) : null;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (digits === 1 && part === 0) leadingZero = true;
        part = part * 10 + (c - 48);
        if (++digits > 3 || part > 255) return null;
      } else if (c === 46) {
        if (digits === 0 || ++dots > 3) return null;
        part = 0; digits = 0;
      } else return null;
    }
    if (dots !== 3 || digits === 0) return null;
    return leadingZero ? intToIpv4(ipv4ToInt(s)) : s;
  }
  return ipv6Into(s, CANON6) ? formatIpv6(CANON6) : null;
}
const CANON6 = new Uint16Array(8);

/** Dotted quads longer than 15 characters can only be valid with zero padding ("010.000.000.001"). */
function ipv4Rebuild(s: string): string | null {
  const v = ipv4ToIntPadded(s);
  return v < 0 ? null : intToIpv4(v);
}

function ipv4ToIntPadded(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,4}$/.test(p)) return -1;
    const v = Number(p);
    if (v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

/** IPv6 text to a bigint (for prefix matching); null if not IPv6. */
export function ipv6ToBigInt(s: string): bigint | null {
  const h = SCRATCH6;
  if (!ipv6Into(s, h)) return null;
  return hextetsToBigInt(h);
}
const SCRATCH6 = new Uint16Array(8);

/** 8 hextets as one 128-bit bigint. */
export function hextetsToBigInt(h: Uint16Array): bigint {
  return (BigInt(((h[0]! << 16) | h[1]!) >>> 0) << 96n) | (BigInt(((h[2]! << 16) | h[3]!) >>> 0) << 64n) |
    (BigInt(((h[4]! << 16) | h[5]!) >>> 0) << 32n) | BigInt(((h[6]! << 16) | h[7]!) >>> 0);
}

/** True for addresses outside private, loopback, link-local, CGNAT, multicast, documentation-free public space. */
export function isPublicIpv4(n: number): boolean {
  const a = n >>> 24, b = (n >>> 16) & 255;
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Recent IPv4 texts: the gate and the matcher take a flow's address as an integer without reading its text.
// A parser that read an address as a dotted quad (parsers/bytes.ts AddrInterner) notes the string it hands
// out with its integer. A flow's address that is the same string is then recognised by `===`, which is a
// pointer compare for the same string object: its characters (an interned string allocated long ago, often
// out of the CPU cache) are not read. A text that is not in the ring is read as before, so a flow from any
// parser is checked the same way; the ring only holds canonical texts of their integers.
// ---------------------------------------------------------------------------------------------------

const RING_T: string[] = ['', '', '', ''];
const RING_N: number[] = [-1, -1, -1, -1];
let ringAt = 0;

/**
 * Records that `text` is the canonical dotted quad of `n` (no leading zeros: `intToIpv4(n) === text`).
 * For parsers, on the string they put in `Flow.src_ip` / `dst_ip`, in that order.
 */
export function noteIpv4(text: string, n: number): void {
  RING_T[ringAt] = text;
  RING_N[ringAt] = n;
  ringAt = (ringAt + 1) & 3;
}

/**
 * The integer of `text` when it is one of the last four texts noted by `noteIpv4`, else -1. `back` is where
 * to look first: 2 for a flow's source (noted before its destination), 1 for its destination.
 */
export function recentIpv4(text: string | null, back: number): number {
  const k = (ringAt - back) & 3;
  if (RING_T[k] === text) { recentAt.back = back; return RING_N[k]!; }
  for (let i = 1; i <= 4; i++) {
    const j = (ringAt - i) & 3;
    if (j !== k && RING_T[j] === text) { recentAt.back = i; return RING_N[j]!; }
  }
  return -1;
}

/**
 * Where the last hit of `recentIpv4` was (its `back`, 1-4). A caller that sees flows a line later than the
 * parser made them (the wrapped-line joiner holds each line until the next one is parsed: two more texts
 * noted) looks there first next time: a miss compares the text with other strings, which reads them.
 */
export const recentAt = { back: 0 };
