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
import { ipv4ToInt, parseIpv6, recentAt, recentIpv4 } from '../model/ip.js';

const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 digits for every 12-bit value. */
const B64x2: string[] = [];
for (let i = 0; i < 4096; i++) B64x2.push(B64[i >> 6]! + B64[i & 63]!);

/** The last digest of `sha1Block`: h0..h4. */
const H = new Int32Array(5);

/** SHA-1 of a message of at most 55 bytes (one padded block), as base64. */
export function sha1Base64(msg: Uint8Array, len: number): string {
  sha1Block(msg, len);
  const h0 = H[0]! >>> 0, h1 = H[1]! >>> 0, h2 = H[2]! >>> 0, h3 = H[3]! >>> 0, h4 = H[4]! >>> 0;
  // 160 bits → 13 groups of 12 bits (26 digits) + 4 bits (one digit, 2 zero bits) + '='
  return B64x2[h0 >>> 20]! + B64x2[(h0 >>> 8) & 4095]! + B64x2[((h0 & 255) << 4) | (h1 >>> 28)]!
    + B64x2[(h1 >>> 16) & 4095]! + B64x2[(h1 >>> 4) & 4095]! + B64x2[((h1 & 15) << 8) | (h2 >>> 24)]!
    + B64x2[(h2 >>> 12) & 4095]! + B64x2[h2 & 4095]!
    + B64x2[h3 >>> 20]! + B64x2[(h3 >>> 8) & 4095]! + B64x2[((h3 & 255) << 4) | (h4 >>> 28)]!
    + B64x2[(h4 >>> 16) & 4095]! + B64x2[(h4 >>> 4) & 4095]! + B64[(h4 & 15) << 2]! + '=';
}

const B64_BYTES = Uint8Array.from(B64, (c) => c.charCodeAt(0));

/** The base64 text of the last `sha1Block` digest (28 bytes) into `out` at `at`. */
function putDigestBase64(out: Uint8Array, at: number): void {
  const h0 = H[0]! >>> 0, h1 = H[1]! >>> 0, h2 = H[2]! >>> 0, h3 = H[3]! >>> 0, h4 = H[4]! >>> 0;
  const t = B64_BYTES;
  // 160 bits: 26 digits of 6 bits, the last 4 bits with 2 zero bits, '='
  out[at] = t[h0 >>> 26]!; out[at + 1] = t[(h0 >>> 20) & 63]!; out[at + 2] = t[(h0 >>> 14) & 63]!; out[at + 3] = t[(h0 >>> 8) & 63]!;
  out[at + 4] = t[(h0 >>> 2) & 63]!; out[at + 5] = t[((h0 & 3) << 4) | (h1 >>> 28)]!;
  out[at + 6] = t[(h1 >>> 22) & 63]!; out[at + 7] = t[(h1 >>> 16) & 63]!; out[at + 8] = t[(h1 >>> 10) & 63]!; out[at + 9] = t[(h1 >>> 4) & 63]!;
  out[at + 10] = t[((h1 & 15) << 2) | (h2 >>> 30)]!;
  out[at + 11] = t[(h2 >>> 24) & 63]!; out[at + 12] = t[(h2 >>> 18) & 63]!; out[at + 13] = t[(h2 >>> 12) & 63]!; out[at + 14] = t[(h2 >>> 6) & 63]!; out[at + 15] = t[h2 & 63]!;
  out[at + 16] = t[h3 >>> 26]!; out[at + 17] = t[(h3 >>> 20) & 63]!; out[at + 18] = t[(h3 >>> 14) & 63]!; out[at + 19] = t[(h3 >>> 8) & 63]!;
  out[at + 20] = t[(h3 >>> 2) & 63]!; out[at + 21] = t[((h3 & 3) << 4) | (h4 >>> 28)]!;
  out[at + 22] = t[(h4 >>> 22) & 63]!; out[at + 23] = t[(h4 >>> 16) & 63]!; out[at + 24] = t[(h4 >>> 10) & 63]!; out[at + 25] = t[(h4 >>> 4) & 63]!;
  out[at + 26] = t[(h4 & 15) << 2]!; out[at + 27] = 61; // '='
}

/** The 16 big-endian words of the one padded block `sha1Words` hashes. */
const MW = new Int32Array(16);

/** SHA-1 of a message of at most 55 bytes (one padded block) into H. */
function sha1Block(msg: Uint8Array, len: number): void {
  if (len > 55) throw new RangeError('sha1Base64: message longer than one block');
  const m = MW;
  m.fill(0);
  for (let i = 0; i < len; i++) m[i >> 2]! |= msg[i]! << (24 - (i & 3) * 8);
  m[len >> 2]! |= 0x80 << (24 - (len & 3) * 8);
  m[15] = len * 8;
  sha1Words();
}

/**
 * The SHA-1 compression of the block in MW from the initial state, into H. The 80 rounds are written out, the
 * message schedule kept in 16 locals and the five working variables renamed at each round instead of moved
 * (round t writes the variable round t-1 read as `e`): 1.5 × faster than the loop over an 80-word array it
 * replaces. Round constants: 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc (−0x70e44324), 0xca62c1d6 (−0x359d3e2a).
 */
function sha1Words(): void {
  const m = MW;
  let w0 = m[0]!, w1 = m[1]!, w2 = m[2]!, w3 = m[3]!, w4 = m[4]!, w5 = m[5]!, w6 = m[6]!, w7 = m[7]!;
  let w8 = m[8]!, w9 = m[9]!, w10 = m[10]!, w11 = m[11]!, w12 = m[12]!, w13 = m[13]!, w14 = m[14]!, w15 = m[15]!;
  let a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476, e = 0xc3d2e1f0 | 0;
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + 0x5a827999 + e + w0) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + 0x5a827999 + d + w1) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + 0x5a827999 + c + w2) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + 0x5a827999 + b + w3) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + 0x5a827999 + a + w4) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + 0x5a827999 + e + w5) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + 0x5a827999 + d + w6) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + 0x5a827999 + c + w7) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + 0x5a827999 + b + w8) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + 0x5a827999 + a + w9) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + 0x5a827999 + e + w10) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + 0x5a827999 + d + w11) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + 0x5a827999 + c + w12) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + 0x5a827999 + b + w13) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + 0x5a827999 + a + w14) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + 0x5a827999 + e + w15) | 0; b = (b << 30) | (b >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + 0x5a827999 + d + w0) | 0; a = (a << 30) | (a >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + 0x5a827999 + c + w1) | 0; e = (e << 30) | (e >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + 0x5a827999 + b + w2) | 0; d = (d << 30) | (d >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + 0x5a827999 + a + w3) | 0; c = (c << 30) | (c >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + 0x6ed9eba1 + e + w4) | 0; b = (b << 30) | (b >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + 0x6ed9eba1 + d + w5) | 0; a = (a << 30) | (a >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + 0x6ed9eba1 + c + w6) | 0; e = (e << 30) | (e >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + 0x6ed9eba1 + b + w7) | 0; d = (d << 30) | (d >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + 0x6ed9eba1 + a + w8) | 0; c = (c << 30) | (c >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + 0x6ed9eba1 + e + w9) | 0; b = (b << 30) | (b >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + 0x6ed9eba1 + d + w10) | 0; a = (a << 30) | (a >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + 0x6ed9eba1 + c + w11) | 0; e = (e << 30) | (e >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + 0x6ed9eba1 + b + w12) | 0; d = (d << 30) | (d >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + 0x6ed9eba1 + a + w13) | 0; c = (c << 30) | (c >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + 0x6ed9eba1 + e + w14) | 0; b = (b << 30) | (b >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + 0x6ed9eba1 + d + w15) | 0; a = (a << 30) | (a >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + 0x6ed9eba1 + c + w0) | 0; e = (e << 30) | (e >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + 0x6ed9eba1 + b + w1) | 0; d = (d << 30) | (d >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + 0x6ed9eba1 + a + w2) | 0; c = (c << 30) | (c >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + 0x6ed9eba1 + e + w3) | 0; b = (b << 30) | (b >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + 0x6ed9eba1 + d + w4) | 0; a = (a << 30) | (a >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + 0x6ed9eba1 + c + w5) | 0; e = (e << 30) | (e >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + 0x6ed9eba1 + b + w6) | 0; d = (d << 30) | (d >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + 0x6ed9eba1 + a + w7) | 0; c = (c << 30) | (c >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) - 0x70e44324 + e + w8) | 0; b = (b << 30) | (b >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) - 0x70e44324 + d + w9) | 0; a = (a << 30) | (a >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) - 0x70e44324 + c + w10) | 0; e = (e << 30) | (e >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) - 0x70e44324 + b + w11) | 0; d = (d << 30) | (d >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) - 0x70e44324 + a + w12) | 0; c = (c << 30) | (c >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) - 0x70e44324 + e + w13) | 0; b = (b << 30) | (b >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) - 0x70e44324 + d + w14) | 0; a = (a << 30) | (a >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) - 0x70e44324 + c + w15) | 0; e = (e << 30) | (e >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) - 0x70e44324 + b + w0) | 0; d = (d << 30) | (d >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) - 0x70e44324 + a + w1) | 0; c = (c << 30) | (c >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) - 0x70e44324 + e + w2) | 0; b = (b << 30) | (b >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) - 0x70e44324 + d + w3) | 0; a = (a << 30) | (a >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) - 0x70e44324 + c + w4) | 0; e = (e << 30) | (e >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) - 0x70e44324 + b + w5) | 0; d = (d << 30) | (d >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) - 0x70e44324 + a + w6) | 0; c = (c << 30) | (c >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) - 0x70e44324 + e + w7) | 0; b = (b << 30) | (b >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) - 0x70e44324 + d + w8) | 0; a = (a << 30) | (a >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) - 0x70e44324 + c + w9) | 0; e = (e << 30) | (e >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) - 0x70e44324 + b + w10) | 0; d = (d << 30) | (d >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) - 0x70e44324 + a + w11) | 0; c = (c << 30) | (c >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) - 0x359d3e2a + e + w12) | 0; b = (b << 30) | (b >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) - 0x359d3e2a + d + w13) | 0; a = (a << 30) | (a >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) - 0x359d3e2a + c + w14) | 0; e = (e << 30) | (e >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) - 0x359d3e2a + b + w15) | 0; d = (d << 30) | (d >>> 2);
  w0 = w13 ^ w8 ^ w2 ^ w0; w0 = (w0 << 1) | (w0 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) - 0x359d3e2a + a + w0) | 0; c = (c << 30) | (c >>> 2);
  w1 = w14 ^ w9 ^ w3 ^ w1; w1 = (w1 << 1) | (w1 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) - 0x359d3e2a + e + w1) | 0; b = (b << 30) | (b >>> 2);
  w2 = w15 ^ w10 ^ w4 ^ w2; w2 = (w2 << 1) | (w2 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) - 0x359d3e2a + d + w2) | 0; a = (a << 30) | (a >>> 2);
  w3 = w0 ^ w11 ^ w5 ^ w3; w3 = (w3 << 1) | (w3 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) - 0x359d3e2a + c + w3) | 0; e = (e << 30) | (e >>> 2);
  w4 = w1 ^ w12 ^ w6 ^ w4; w4 = (w4 << 1) | (w4 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) - 0x359d3e2a + b + w4) | 0; d = (d << 30) | (d >>> 2);
  w5 = w2 ^ w13 ^ w7 ^ w5; w5 = (w5 << 1) | (w5 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) - 0x359d3e2a + a + w5) | 0; c = (c << 30) | (c >>> 2);
  w6 = w3 ^ w14 ^ w8 ^ w6; w6 = (w6 << 1) | (w6 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) - 0x359d3e2a + e + w6) | 0; b = (b << 30) | (b >>> 2);
  w7 = w4 ^ w15 ^ w9 ^ w7; w7 = (w7 << 1) | (w7 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) - 0x359d3e2a + d + w7) | 0; a = (a << 30) | (a >>> 2);
  w8 = w5 ^ w0 ^ w10 ^ w8; w8 = (w8 << 1) | (w8 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) - 0x359d3e2a + c + w8) | 0; e = (e << 30) | (e >>> 2);
  w9 = w6 ^ w1 ^ w11 ^ w9; w9 = (w9 << 1) | (w9 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) - 0x359d3e2a + b + w9) | 0; d = (d << 30) | (d >>> 2);
  w10 = w7 ^ w2 ^ w12 ^ w10; w10 = (w10 << 1) | (w10 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) - 0x359d3e2a + a + w10) | 0; c = (c << 30) | (c >>> 2);
  w11 = w8 ^ w3 ^ w13 ^ w11; w11 = (w11 << 1) | (w11 >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) - 0x359d3e2a + e + w11) | 0; b = (b << 30) | (b >>> 2);
  w12 = w9 ^ w4 ^ w14 ^ w12; w12 = (w12 << 1) | (w12 >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) - 0x359d3e2a + d + w12) | 0; a = (a << 30) | (a >>> 2);
  w13 = w10 ^ w5 ^ w15 ^ w13; w13 = (w13 << 1) | (w13 >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) - 0x359d3e2a + c + w13) | 0; e = (e << 30) | (e >>> 2);
  w14 = w11 ^ w6 ^ w0 ^ w14; w14 = (w14 << 1) | (w14 >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) - 0x359d3e2a + b + w14) | 0; d = (d << 30) | (d >>> 2);
  w15 = w12 ^ w7 ^ w1 ^ w15; w15 = (w15 << 1) | (w15 >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) - 0x359d3e2a + a + w15) | 0; c = (c << 30) | (c >>> 2);
  H[0] = 0x67452301 + a; H[1] = (0xefcdab89 | 0) + b; H[2] = (0x98badcfe | 0) + c;
  H[3] = 0x10325476 + d; H[4] = (0xc3d2e1f0 | 0) + e;
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
  const fast = ipv6Hex(ip, into);
  if (fast >= 0) return fast;
  const h = parseIpv6(ip);
  if (!h) return 0;
  for (let i = 0; i < 8; i++) { into[i * 2] = h[i]! >>> 8; into[i * 2 + 1] = h[i]! & 255; }
  return 16;
}

const G = new Int32Array(8);
const hexVal = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/**
 * IPv6 text of hex digits and colons only (what the parsers write) into 16 bytes, as `parseIpv6` reads it:
 * 16, or 0 when it is not an address; -1 for any other character (an embedded IPv4, a zone, brackets):
 * then `parseIpv6` decides.
 */
export function ipv6Hex(s: string, into: Uint8Array): number {
  const n = s.length;
  let i = 0, count = 0, dbl = -1;
  if (n >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) { dbl = 0; i = 2; }
  while (i < n) {
    let v = 0, digits = 0;
    for (; i < n; i++) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      if (++digits > 4) return 0;
    }
    if (i < n && s.charCodeAt(i) !== 58) return -1; // not a hex digit nor a colon
    if (digits === 0 || count === 8) return 0;
    G[count++] = v;
    if (i === n) break;
    i++; // the colon
    if (i === n) return 0; // a trailing single colon
    if (s.charCodeAt(i) === 58) {
      if (dbl >= 0) return 0;
      dbl = count;
      i++;
    }
  }
  if (dbl < 0 ? count !== 8 : count > 7) return 0;
  const zeros = dbl < 0 ? 0 : 8 - count;
  let o = 0;
  for (let k = 0; k < count; k++) {
    if (k === dbl) for (let z = 0; z < zeros; z++) { into[o++] = 0; into[o++] = 0; }
    into[o++] = G[k]! >>> 8; into[o++] = G[k]! & 255;
  }
  if (dbl === count) for (let z = 0; z < zeros; z++) { into[o++] = 0; into[o++] = 0; }
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
  const o = message(transport, src, dst, sport, dport, seed);
  return o < 0 ? null : `1:${sha1Base64(MSG, o)}`;
}

/** Bytes of a community id's text with its quotes (`"1:` + 28 base64 digits + `"`). */
export const COMMUNITY_ID_JSON_BYTES = 32;

/**
 * The community id as a JSON string (`"1:…"`, COMMUNITY_ID_JSON_BYTES) written into `out` at `at`: true; false
 * when the flow has none (JSON null), nothing written. The same text as `communityId`, without a string.
 */
export function communityIdJsonInto(
  out: Uint8Array, at: number, transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null,
): boolean {
  if (!digest(transport, src, dst, sport, dport)) return false;
  out[at] = 34; out[at + 1] = 49; out[at + 2] = 58; // "1:
  putDigestBase64(out, at + 3);
  out[at + 31] = 34;
  return true;
}

/** Bytes of a community id's text (`1:` + 28 base64 digits). */
export const COMMUNITY_ID_TEXT_BYTES = 30;

/** The community id's text (`1:…`, COMMUNITY_ID_TEXT_BYTES, as `communityId` gives it) into `out` at `at`: true; false when the flow has none, nothing written. */
export function communityIdTextInto(
  out: Uint8Array, at: number, transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null,
): boolean {
  if (!digest(transport, src, dst, sport, dport)) return false;
  out[at] = 49; out[at + 1] = 58; // 1:
  putDigestBase64(out, at + 2);
  return true;
}

/** The flow's digest into H: true; false when the flow has no community id. */
function digest(transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null): boolean {
  if (v4Block(transport, src, dst, sport, dport)) { sha1Words(); return true; }
  const len = message(transport, src, dst, sport, dport, 0);
  if (len < 0) return false;
  sha1Block(MSG, len);
  return true;
}

let lastTransport: string | null = null;
/** Where in the recent-IPv4 ring the last flow's source and destination were (model/ip.ts recentAt). */
let srcBack = 2, dstBack = 1;
let lastProto: number | null = null;

/**
 * The padded block of an IPv4 flow's message (seed 0) written into MW as words, without the byte message: true;
 * false when the flow is anything else (IPv6, no address, no protocol number), for `message` to decide. The
 * addresses' integers come from the parser's note of them (`recentIpv4`), else from their text.
 */
function v4Block(transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null): boolean {
  if (!transport || !src || !dst) return false;
  let proto: number | null;
  if (transport === lastTransport) proto = lastProto;
  else { proto = protoNumber(transport); lastTransport = transport; lastProto = proto; }
  if (proto === null || proto > 255) return false;
  // (first where the last flow's text of this side was: flows come a line behind their parse, model/ip.ts recentAt)
  let x = recentIpv4(src, srcBack);
  if (x >= 0) srcBack = recentAt.back;
  else if (src.indexOf(':') >= 0 || (x = ipv4ToInt(src)) < 0) return false;
  let y = recentIpv4(dst, dstBack);
  if (y >= 0) dstBack = recentAt.back;
  else if (dst.indexOf(':') >= 0 || (y = ipv4ToInt(dst)) < 0) return false;
  const hasPorts = proto === 6 || proto === 17 || proto === 132;
  let pa = hasPorts ? checkPort(sport ?? 0) : 0, pb = hasPorts ? checkPort(dport ?? 0) : 0;
  // the smaller (address, port) first; addresses as unsigned integers compare as their big-endian bytes
  if (x > y || (x === y && pa > pb)) { const t = x; x = y; y = t; const q = pa; pa = pb; pb = q; }
  // seed(2) x(4) y(4) proto pad [pa pb]: 12 or 16 bytes, then 0x80 and the length in bits
  const m = MW;
  m[0] = x >>> 16;
  m[1] = ((x & 0xffff) << 16) | (y >>> 16);
  m[2] = ((y & 0xffff) << 16) | (proto << 8);
  if (hasPorts) { m[3] = (pa << 16) | pb; m[4] = 0x80000000 | 0; m[15] = 128; } else { m[3] = 0x80000000 | 0; m[4] = 0; m[15] = 96; }
  for (let i = 5; i < 15; i++) m[i] = 0;
  return true;
}

/** Writes the hashed message of a flow into MSG: its length, or -1 when the flow has no community id. */
function message(transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null, seed: number): number {
  if (!transport || !src || !dst) return -1;
  const proto = protoNumber(transport);
  if (proto === null || proto > 255) return -1;
  const la = ipBytes(src, A), lb = ipBytes(dst, B);
  if (la === 0 || lb === 0 || la !== lb) return -1;
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
  return o;
}
