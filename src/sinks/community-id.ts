/**
 * Community ID flow hash v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed, the ordered (address, port) pair, protocol and padding; "1:" + base64.
 * ICMP type/code are not in the flow record, so ICMP flows hash without ports.
 *
 * Hot path of `fwaudit parse`: the message (at most 40 bytes) is written into one reused buffer and
 * hashed by `sha1Base64`, a one-block SHA-1 (FIPS 180-4) in plain integer arithmetic: a call into
 * OpenSSL costs more than the 80 rounds themselves (test/sinks-serialize.test.ts compares it with
 * node:crypto on random messages).
 */
import { ipv4ToInt, parseIpv6 } from '../model/ip.js';

const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

const W = new Int32Array(80);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 digits for every 12-bit value. */
const B64x2: string[] = [];
for (let i = 0; i < 4096; i++) B64x2.push(B64[i >> 6]! + B64[i & 63]!);

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** SHA-1 of a message of at most 55 bytes (one padded block), as base64. */
export function sha1Base64(msg: Uint8Array, len: number): string {
  if (len > 55) throw new RangeError('sha1Base64: message longer than one block');
  W.fill(0, 0, 16);
  for (let i = 0; i < len; i++) W[i >> 2]! |= msg[i]! << (24 - (i & 3) * 8);
  W[len >> 2]! |= 0x80 << (24 - (len & 3) * 8);
  W[15] = len * 8;
  for (let i = 16; i < 80; i++) W[i] = rotl(W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!, 1);
  let a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476, e = 0xc3d2e1f0 | 0, t = 0, i = 0;
  for (; i < 20; i++) { t = (rotl(a, 5) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]!) | 0; e = d; d = c; c = rotl(b, 30); b = a; a = t; }
  for (; i < 40; i++) { t = (rotl(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]!) | 0; e = d; d = c; c = rotl(b, 30); b = a; a = t; }
  for (; i < 60; i++) { t = (rotl(a, 5) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[i]!) | 0; e = d; d = c; c = rotl(b, 30); b = a; a = t; }
  for (; i < 80; i++) { t = (rotl(a, 5) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[i]!) | 0; e = d; d = c; c = rotl(b, 30); b = a; a = t; }
  const h0 = (0x67452301 + a) >>> 0, h1 = ((0xefcdab89 | 0) + b) >>> 0, h2 = ((0x98badcfe | 0) + c) >>> 0;
  const h3 = (0x10325476 + d) >>> 0, h4 = ((0xc3d2e1f0 | 0) + e) >>> 0;
  // 160 bits → 13 groups of 12 bits (26 digits) + 4 bits (one digit, 2 zero bits) + '='
  return B64x2[h0 >>> 20]! + B64x2[(h0 >>> 8) & 4095]! + B64x2[((h0 & 255) << 4) | (h1 >>> 28)]!
    + B64x2[(h1 >>> 16) & 4095]! + B64x2[(h1 >>> 4) & 4095]! + B64x2[((h1 & 15) << 8) | (h2 >>> 24)]!
    + B64x2[(h2 >>> 12) & 4095]! + B64x2[h2 & 4095]!
    + B64x2[h3 >>> 20]! + B64x2[(h3 >>> 8) & 4095]! + B64x2[((h3 & 255) << 4) | (h4 >>> 28)]!
    + B64x2[(h4 >>> 16) & 4095]! + B64x2[(h4 >>> 4) & 4095]! + B64[(h4 & 15) << 2]! + '=';
}

// Layout of the hashed message: seed(2) a(4|16) b(4|16) proto(1) pad(1) [pa(2) pb(2)]
const MSG = new Uint8Array(2 + 16 + 16 + 2 + 4);
const A = new Uint8Array(16);
const B = new Uint8Array(16);

/** Writes the address bytes into `into`; returns 4, 16, or 0 when the text is not an address. */
function ipBytes(ip: string, into: Uint8Array): number {
  if (ip.indexOf(':') < 0) {
    const n = ipv4ToInt(ip);
    if (n < 0) return 0;
    into[0] = n >>> 24; into[1] = (n >>> 16) & 255; into[2] = (n >>> 8) & 255; into[3] = n & 255;
    return 4;
  }
  const h = parseIpv6(ip);
  if (!h) return 0;
  for (let i = 0; i < 8; i++) { into[i * 2] = h[i]! >>> 8; into[i * 2 + 1] = h[i]! & 255; }
  return 16;
}

function protoNumber(transport: string): number | null {
  const p = PROTO_NUM[transport];
  if (p !== undefined) return p;
  return /^\d+$/.test(transport) ? Number(transport) : null;
}

function compareBytes(x: Uint8Array, y: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

function checkPort(p: number): number {
  // as Buffer.writeUInt16BE: a port that is not a 16-bit integer is a bug upstream
  if (!(p >= 0 && p <= 65535) || !Number.isInteger(p)) throw new RangeError(`community id: port out of range: ${p}`);
  return p;
}

export function communityId(
  transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null, seed = 0,
): string | null {
  if (!transport || !src || !dst) return null;
  const proto = protoNumber(transport);
  if (proto === null || proto > 255) return null;
  const la = ipBytes(src, A), lb = ipBytes(dst, B);
  if (la === 0 || lb === 0 || la !== lb) return null;
  const hasPorts = proto === 6 || proto === 17 || proto === 132;
  let pa = hasPorts ? checkPort(sport ?? 0) : 0, pb = hasPorts ? checkPort(dport ?? 0) : 0;
  const cmp = compareBytes(A, B, la);
  let first = A, second = B;
  if (cmp > 0 || (cmp === 0 && pa > pb)) { first = B; second = A; const t = pa; pa = pb; pb = t; }
  const m = MSG;
  m[0] = (seed >>> 8) & 255; m[1] = seed & 255;
  let o = 2;
  for (let i = 0; i < la; i++) m[o++] = first[i]!;
  for (let i = 0; i < la; i++) m[o++] = second[i]!;
  m[o++] = proto;
  m[o++] = 0;
  if (hasPorts) { m[o++] = pa >>> 8; m[o++] = pa & 255; m[o++] = pb >>> 8; m[o++] = pb & 255; }
  return `1:${sha1Base64(MSG, o)}`;
}
