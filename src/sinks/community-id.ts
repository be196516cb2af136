/**
 * Community ID flow hash v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed, the ordered (address, port) pair, protocol and padding; "1:" + base64.
 * ICMP type/code are not in the flow record, so ICMP flows hash without ports.
 *
 * Hot path of `fwaudit parse`: the addresses are written into one reused buffer (no allocation per
 * flow) and hashed with the one-shot `crypto.hash` where Node has it.
 */
import * as crypto from 'node:crypto';
import { ipv4ToInt, parseIpv6 } from '../model/ip.js';

const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

type OneShotHash = (alg: string, data: Buffer, enc: 'base64') => string;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const sha1b64: (b: Buffer) => string = oneShot
  ? (b) => oneShot('sha1', b, 'base64')
  : (b) => crypto.createHash('sha1').update(b).digest('base64');

// Layout of the hashed message: seed(2) a(4|16) b(4|16) proto(1) pad(1) [pa(2) pb(2)]
const MSG = Buffer.alloc(2 + 16 + 16 + 2 + 4);
const A = Buffer.alloc(16);
const B = Buffer.alloc(16);

/** Writes the address bytes into `into`; returns 4, 16, or 0 when the text is not an address. */
function ipBytes(ip: string, into: Buffer): number {
  if (ip.indexOf(':') < 0) {
    const n = ipv4ToInt(ip);
    if (n < 0) return 0;
    into.writeUInt32BE(n >>> 0, 0);
    return 4;
  }
  const h = parseIpv6(ip);
  if (!h) return 0;
  for (let i = 0; i < 8; i++) into.writeUInt16BE(h[i]!, i * 2);
  return 16;
}

function protoNumber(transport: string): number | null {
  const p = PROTO_NUM[transport];
  if (p !== undefined) return p;
  return /^\d+$/.test(transport) ? Number(transport) : null;
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
  let pa = hasPorts ? (sport ?? 0) : 0, pb = hasPorts ? (dport ?? 0) : 0;
  const cmp = A.compare(B, 0, lb, 0, la);
  let first = A, second = B;
  if (cmp > 0 || (cmp === 0 && pa > pb)) { first = B; second = A; const t = pa; pa = pb; pb = t; }
  let o = 0;
  MSG.writeUInt16BE(seed, o); o += 2;
  first.copy(MSG, o, 0, la); o += la;
  second.copy(MSG, o, 0, la); o += la;
  MSG[o++] = proto;
  MSG[o++] = 0;
  if (hasPorts) { MSG.writeUInt16BE(pa, o); o += 2; MSG.writeUInt16BE(pb, o); o += 2; }
  return `1:${sha1b64(MSG.subarray(0, o))}`;
}
