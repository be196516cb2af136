/**
 * The one-pass IPv6 parser (`ipv6Into`, behind `parseIpv6`, `ipv6ToBigInt`, `canonicalIp`) against the
 * split-based parser it replaced, kept here as the oracle: same answer on seeded random texts built from the
 * characters that matter (hex digits, colons, dots, zone, brackets) and on hand-picked edge cases.
 */
import { describe, expect, it } from 'vitest';
import { canonicalIp, formatIpv6, hextetsToBigInt, intToIpv4, ipv4ToInt, ipv6Into, ipv6ToBigInt, parseIpv6 } from '../src/model/ip.js';

/** The previous implementation (split per side, a regex per part), verbatim. */
function oracleParseIpv6(input: string): number[] | null {
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

/** The previous RFC 5952 formatter (a string per hextet, joins), verbatim but for the IPv4 formatting. */
function oracleFormatIpv6(h: number[]): string {
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

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

const EDGES = [
  '', ':', '::', ':::', '::::', '1::', '::1', '1::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8::', '1::2::3', '1:::2', ':1::', '1:', ':1', '[::1]', '[::1', '::1]', '[]', '[', '[::1]%x', '[::1%x]', 'fe80::1%eth0',
  '%', '::%', '::ffff:192.0.2.128', '::ffff:192.0.2.256', '::1.2.3.4', '1.2.3.4::', '1.2.3.4::1', '1.2.3.4:1::', '::1.2.3.4:1',
  '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:1.2.3.4', '::01.002.3.4', '::1.2.3', '::1..2.3', 'FFFF::', 'ffff::FFFF',
  '12345::', '::g', '2001:db8::', '2001:0db8:0001:0000:0000:0000:0000:0010', '0:0:0:0:0:0:0:0', '::0:0:0:0:0:0:0', '::0:0:0:0:0:0:0:0',
  '1::2:3:4:5:6:7', '1::2:3:4:5:6:7:8', '.', '::.', '1.::', 'a.b.c.d', '::1 ', ' ::1',
];

describe('ipv6Into (one pass) agrees with the split-based parser', () => {
  it('on edge cases', () => {
    for (const s of EDGES) expect(parseIpv6(s), JSON.stringify(s)).toEqual(oracleParseIpv6(s));
  });
  it('on 200,000 seeded random texts', () => {
    const r = rng(0x5eed1234);
    const alpha = '0123456789abcdefABCDEF::::::....%[]gx ';
    let valid = 0, checked = 0;
    for (let k = 0; k < 200_000; k++) {
      const len = 1 + Math.floor(r() * 30);
      let s = '';
      for (let i = 0; i < len; i++) s += alpha[Math.floor(r() * alpha.length)];
      const want = oracleParseIpv6(s);
      const got = parseIpv6(s);
      if (want !== null) valid++;
      checked++;
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, JSON.stringify(s)).toEqual(want);
    }
    expect(checked).toBe(200_000);
    expect(valid).toBeGreaterThan(100); // the generator reaches the accepting paths too
  });
  it('on mutations of valid addresses', () => {
    const r = rng(77);
    const bases = ['2001:db8::1', 'fe80::202:b3ff:fe1e:8329', '::ffff:10.1.2.3', '1:2:3:4:5:6:7:8', '64:ff9b::192.0.2.33', '::', '2a00:1450:4001:80b::200e'];
    const alpha = '0123456789abcdef:.';
    for (let k = 0; k < 50_000; k++) {
      const b = bases[k % bases.length]!;
      const at = Math.floor(r() * (b.length + 1));
      const op = Math.floor(r() * 3);
      const c = alpha[Math.floor(r() * alpha.length)]!;
      const s = op === 0 ? b.slice(0, at) + c + b.slice(at) : op === 1 ? b.slice(0, at) + b.slice(at + 1) : b.slice(0, at) + c + b.slice(at + 1);
      const want = oracleParseIpv6(s), got = parseIpv6(s);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, s).toEqual(want);
    }
  });
  it('formats as before (RFC 5952) on 100,000 seeded hextet sets with runs of zeros', () => {
    const r = rng(4242);
    const vals = [0, 0, 0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff, 0xabcd, 0x0db8];
    for (let k = 0; k < 100_000; k++) {
      const h: number[] = [];
      for (let i = 0; i < 8; i++) h.push(r() < 0.7 ? vals[Math.floor(r() * vals.length)]! : Math.floor(r() * 65536));
      if (k % 7 === 0) { h[0] = 0; h[1] = 0; h[2] = 0; h[3] = 0; h[4] = 0; h[5] = k % 14 === 0 ? 0xffff : 0; }
      const want = oracleFormatIpv6(h), got = formatIpv6(h);
      if (got !== want) expect({ h, got }).toEqual({ h, got: want });
    }
    for (const h of [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0, 1, 1]]) {
      expect(formatIpv6(h)).toBe(oracleFormatIpv6(h));
    }
    expect(formatIpv6(new Uint16Array([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
  });
  it('gives the bigint and canonical text of before', () => {
    expect(ipv6ToBigInt('2001:db8::1')).toBe((0x20010db8n << 96n) | 1n);
    expect(ipv6ToBigInt('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe((1n << 128n) - 1n);
    expect(ipv6ToBigInt('::ffff:1.2.3.4')).toBe(0xffff01020304n);
    expect(ipv6ToBigInt('1.2.3.4')).toBeNull();
    const h = new Uint16Array(8);
    expect(ipv6Into('8000::8001', h)).toBe(true);
    expect(hextetsToBigInt(h)).toBe((0x8000n << 112n) | 0x8001n);
    expect(canonicalIp('2001:0DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
  });
});
