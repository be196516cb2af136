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

export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses IPv6 text (with `::`, embedded IPv4, optional `%zone`) into 8 hextets, or null. */
export function parseIpv6(input: string): number[] | null {
  let s = input;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (txt: string): number[] | null => {
    if (txt === '') return [];
    const parts = txt.split(':');
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.indexOf('.') >= 0) {
        const v4 = ipv4ToInt(p);
        if (v4 < 0) return null;
        out.push((v4 >>> 16) & 0xffff, v4 & 0xffff);
        continue;
      }
      if (p.length === 0 || p.length > 4) return null;
      const v = parseInt(p, 16);
      if (Number.isNaN(v) || !/^[0-9a-fA-F]+$/.test(p)) return null;
      out.push(v);
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const all = parseSide(s);
  return all && all.length === 8 ? all : null;
}

/** RFC 5952 text for 8 hextets; IPv4-mapped (::ffff:a.b.c.d) is returned as plain IPv4. */
export function formatIpv6(h: number[]): string {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff) {
    return intToIpv4(((h[6]! << 16) | h[7]!) >>> 0);
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = h.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
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
  const h = parseIpv6(s);
  return h ? formatIpv6(h) : null;
}

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
  const h = parseIpv6(s);
  if (!h) return null;
  let v = 0n;
  for (const x of h) v = (v << 16n) | BigInt(x);
  return v;
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
