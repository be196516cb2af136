/**
 * Community ID flow hash v1 (https://github.com/corelight/community-id-spec): SHA-1 over
 * seed, the ordered (address, port) pair, protocol and padding; "1:" + base64.
 * ICMP type/code are not in the flow record, so ICMP flows hash with ports 0.
 */
import { createHash } from 'node:crypto';
import { ipv4ToInt, parseIpv6 } from '../model/ip.js';

const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

function ipBytes(ip: string): Buffer | null {
  if (ip.indexOf(':') < 0) {
    const n = ipv4ToInt(ip);
    if (n < 0) return null;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  }
  const h = parseIpv6(ip);
  if (!h) return null;
  const b = Buffer.alloc(16);
  h.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

export function communityId(
  transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null, seed = 0,
): string | null {
  if (!transport || !src || !dst) return null;
  const proto = PROTO_NUM[transport] ?? (/^\d+$/.test(transport) ? Number(transport) : null);
  if (proto === null || proto > 255) return null;
  let a = ipBytes(src), b = ipBytes(dst);
  if (!a || !b || a.length !== b.length) return null;
  const hasPorts = proto === 6 || proto === 17 || proto === 132;
  let pa = hasPorts ? (sport ?? 0) : 0, pb = hasPorts ? (dport ?? 0) : 0;
  const cmp = Buffer.compare(a, b);
  if (cmp > 0 || (cmp === 0 && pa > pb)) { [a, b] = [b, a]; [pa, pb] = [pb, pa]; }
  const buf = Buffer.alloc(2 + a.length * 2 + 2 + (hasPorts ? 4 : 0));
  let o = 0;
  buf.writeUInt16BE(seed, o); o += 2;
  a.copy(buf, o); o += a.length;
  b.copy(buf, o); o += b.length;
  buf.writeUInt8(proto, o); o += 1;
  buf.writeUInt8(0, o); o += 1;
  if (hasPorts) { buf.writeUInt16BE(pa, o); o += 2; buf.writeUInt16BE(pb, o); }
  return `1:${createHash('sha1').update(buf).digest('base64')}`;
}
