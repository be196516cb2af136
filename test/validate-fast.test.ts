/**
 * The gate's faster checks give the verdicts of before: `validateFlow` and `repairFlow` against their previous
 * implementation (kept here as the oracle) on seeded random flows mixing valid and invalid values of every
 * field, with and without the addresses noted by a parser (src/model/ip.ts `noteIpv4`). A noted address is
 * taken without reading its text; any other text is still read, so a flow cannot pass on a neighbour's note.
 */
import { describe, expect, it } from 'vitest';
import { newFlow, repairFlow, validateFlow, type Flow } from '../src/model/flow.js';
import { intToIpv4, ipv4ToInt, noteIpv4, recentAt, recentIpv4 } from '../src/model/ip.js';

// ---- the previous implementation, verbatim ----
const PROTO_NAMES: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'icmpv6', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp', 136: 'udplite',
};
const KNOWN_TRANSPORTS = new Set([
  ...Object.values(PROTO_NAMES), 'hopopt', 'ggp', 'st', 'egp', 'igp', 'pup', 'idp', 'rdp', 'dccp', 'rsvp',
  'ipv6-route', 'ipv6-frag', 'ipv6-nonxt', 'ipv6-opts', 'eigrp', 'etherip', 'encap', 'l2tp', 'isis',
  'mpls-in-ip', 'ipcomp', 'ipv4', 'mobility-header', 'hip', 'shim6', 'wesp', 'rohc', 'ethernet',
]);
const PORT_TRANSPORTS = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp']);
function isKnownTransport(t: string): boolean {
  if (KNOWN_TRANSPORTS.has(t)) return true;
  const n = t.length;
  if (n === 0 || n > 3) return false;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    v = v * 10 + c;
  }
  return v <= 255 && (n === 1 || t.charCodeAt(0) !== 48);
}
function hasPorts(transport: string | null): boolean {
  return transport === null || PORT_TRANSPORTS.has(transport);
}
function addrShape(a: string | null): boolean {
  if (a === null) return false;
  const n = a.length;
  if (n < 2 || n > 45) return false;
  let colon = false, dot = 0;
  for (let i = 0; i < n; i++) {
    const c = a.charCodeAt(i);
    if (c === 58) colon = true;
    else if (c === 46) dot++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return colon || dot === 3;
}
function portOk(p: number | null): boolean {
  return p === null || (Number.isInteger(p) && p >= 0 && p <= 65535);
}
function counterOk(n: number | null): boolean {
  return n === null || (Number.isSafeInteger(n) && n >= 0);
}
const ACTIONS = new Set<string>(['allow', 'deny', 'unknown']);
const DIRECTIONS = new Set<string | null>(['inbound', 'outbound', 'forward', null]);
const TS_MIN = 631_152_000_000, TS_MAX = 4_133_980_800_000;
function oracleValidate(f: Flow): string | null {
  if (f.ts !== null && !(Number.isInteger(f.ts) && f.ts >= TS_MIN && f.ts < TS_MAX)) return 'invalid ts (outside 1990-2100)';
  if (!ACTIONS.has(f.action)) return 'invalid action';
  if (f.raw_action !== null && typeof f.raw_action !== 'string') return 'invalid raw_action';
  if (f.transport !== null && !isKnownTransport(f.transport)) return 'invalid transport (not a protocol name or number 0-255)';
  if (!addrShape(f.src_ip)) return f.src_ip === null ? 'missing src_ip' : 'invalid src_ip';
  if (!addrShape(f.dst_ip)) return f.dst_ip === null ? 'missing dst_ip' : 'invalid dst_ip';
  if (!portOk(f.src_port)) return 'invalid src_port';
  if (!portOk(f.dst_port)) return 'invalid dst_port';
  if (!hasPorts(f.transport) && (f.src_port !== null || f.dst_port !== null)) return `ports on a ${f.transport} flow`;
  if (!DIRECTIONS.has(f.direction)) return 'invalid direction';
  if (!counterOk(f.bytes)) return 'invalid bytes';
  if (!counterOk(f.packets)) return 'invalid packets';
  if (!(Number.isInteger(f.line) && f.line >= 0)) return 'invalid line';
  return null;
}
function oracleRepair(f: Flow): string | null {
  if (f.transport !== null && !PORT_TRANSPORTS.has(f.transport)) { f.src_port = null; f.dst_port = null; }
  let note: string | null = null;
  if (!counterOk(f.bytes)) { f.bytes = null; note = 'counter-out-of-range'; }
  if (!counterOk(f.packets)) { f.packets = null; note = 'counter-out-of-range'; }
  return note;
}
// ---- end of the previous implementation ----

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

const TS = [null, 1_767_225_600_000, 1_767_225_600_000.5, TS_MIN, TS_MIN - 1, TS_MAX, TS_MAX - 1, NaN, -1, Infinity];
const ACTION = ['allow', 'deny', 'unknown', 'block', '', 'ALLOW', 'allo'];
const RAW = [null, 'DROP', '', 5157];
const TRANSPORT = [null, 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'sctp', 'udplite', 'dccp', '6', '255', '256', '017', '0', 'TCP', 'tc', 'tcpx', '', 'ipv6-frag', 'esp'];
const ADDR = [null, '10.1.2.3', '192.168.100.200', '1.2.3.4', 'fe80::1', '2001:db8::a', '::', '1.2.3', 'a.b.c.d', '10.1.2.3.4', 'host', '1', '', 'FE80::1', '10.1.2.3 ', '1:2', '0.0.0.0'];
const PORT = [null, 0, 80, 65535, 65536, -1, 1.5, NaN];
const DIRECTION = [null, 'inbound', 'outbound', 'forward', 'in', ''];
const COUNTER = [null, 0, 1, 1500, -1, 1e308, 2 ** 53, 2.5];
const LINE = [0, 1, 12345, -1, 1.5];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Copies a string into a new string object (same text, another object than the one noted). */
function fresh(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'latin1').toString('latin1');
}

describe('validateFlow and repairFlow give the verdicts of before', () => {
  it('on 100,000 seeded random flows, with the addresses noted, copied or not noted', () => {
    const r = rng(0xc0ffee);
    const reasons = new Map<string, number>();
    for (let k = 0; k < 100_000; k++) {
      const a = newFlow('iptables', 'f.log', 1);
      a.ts = pick(r, TS);
      a.action = pick(r, ACTION) as Flow['action'];
      a.raw_action = pick(r, RAW) as string | null;
      a.transport = pick(r, TRANSPORT);
      a.src_ip = fresh(pick(r, ADDR));
      a.dst_ip = fresh(pick(r, ADDR));
      a.src_port = pick(r, PORT);
      a.dst_port = pick(r, PORT);
      a.direction = pick(r, DIRECTION) as Flow['direction'];
      a.bytes = pick(r, COUNTER);
      a.packets = pick(r, COUNTER);
      a.line = pick(r, LINE);
      // as a parser does: note the dotted quads it hands out (this very string, or a copy, or not at all)
      const mode = Math.floor(r() * 3);
      for (const ip of [a.src_ip, a.dst_ip]) {
        const n = ip === null ? -1 : ipv4ToInt(ip);
        if (n >= 0 && intToIpv4(n) === ip) {
          if (mode === 0) noteIpv4(ip, n);
          else if (mode === 1) noteIpv4(fresh(ip)!, n);
        } else if (mode !== 2) { const x = Math.floor(r() * 2 ** 32); noteIpv4(intToIpv4(x), x); } // a neighbour's note
      }
      const b: Flow = { ...a };
      const na = repairFlow(a), nb = oracleRepair(b);
      if (na !== nb || a.src_port !== b.src_port || a.dst_port !== b.dst_port || a.bytes !== b.bytes || a.packets !== b.packets) {
        expect({ k, note: na, flow: a }).toEqual({ k, note: nb, flow: b });
      }
      const va = validateFlow(a), vb = oracleValidate(b);
      if (va !== vb) expect({ k, flow: a, got: va }).toEqual({ k, flow: a, got: vb });
      reasons.set(String(vb), (reasons.get(String(vb)) ?? 0) + 1);
    }
    // every verdict is reached (the generator covers each check)
    for (const want of ['null', 'invalid ts (outside 1990-2100)', 'invalid action', 'invalid raw_action', 'invalid src_ip', 'missing dst_ip',
      'invalid dst_port', 'invalid direction', 'invalid line']) expect(reasons.get(want) ?? 0, want).toBeGreaterThan(0);
  });

  it('an invalid address right after valid ones were noted is still refused', () => {
    noteIpv4('10.0.0.1', ipv4ToInt('10.0.0.1'));
    noteIpv4('10.0.0.2', ipv4ToInt('10.0.0.2'));
    const f = newFlow('iptables', 'f.log', 1);
    f.src_ip = '10.0.0.1';
    f.dst_ip = '10.0.0.x';
    expect(validateFlow(f)).toBe('invalid dst_ip');
    f.dst_ip = '10.0.0.2';
    expect(validateFlow(f)).toBeNull();
  });
});

describe('recentIpv4', () => {
  it('gives the integer of the last four noted texts (same text, any object), else -1', () => {
    const texts = ['10.0.0.1', '10.0.0.2', '192.168.1.1', '172.16.5.4', '8.8.8.8'];
    for (const t of texts) noteIpv4(t, ipv4ToInt(t));
    expect(recentIpv4('10.0.0.1', 2)).toBe(-1); // pushed out of the ring
    for (const t of texts.slice(1)) expect(recentIpv4(fresh(t), 2)).toBe(ipv4ToInt(t));
    expect(recentIpv4('8.8.8.8', 1)).toBe(ipv4ToInt('8.8.8.8'));
    expect(recentIpv4('8.8.8.9', 1)).toBe(-1);
    expect(recentIpv4(null, 1)).toBe(-1);
    expect(recentIpv4('', 2)).toBe(-1);
  });

  it('tells where it found the text (recentAt.back), whatever slot it looked at first', () => {
    const texts = ['10.0.0.1', '10.0.0.2', '192.168.1.1', '172.16.5.4'];
    for (const t of texts) noteIpv4(t, ipv4ToInt(t));
    for (const [i, t] of texts.entries()) {
      for (const first of [1, 2, 3, 4]) {
        recentAt.back = 0;
        expect(recentIpv4(fresh(t), first)).toBe(ipv4ToInt(t));
        expect(recentAt.back).toBe(4 - i);
      }
    }
    recentAt.back = 0;
    expect(recentIpv4('1.1.1.1', 3)).toBe(-1);
    expect(recentAt.back).toBe(0); // (a miss leaves it)
  });
});

describe('intToIpv4', () => {
  it('gives the dotted quad of every octet value', () => {
    const r = rng(9);
    for (let k = 0; k < 20_000; k++) {
      const n = k < 256 ? k * 0x01010101 >>> 0 : Math.floor(r() * 2 ** 32);
      const want = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const got = intToIpv4(n);
      if (got !== want) expect(got).toBe(want);
    }
    expect(intToIpv4(0)).toBe('0.0.0.0');
    expect(intToIpv4(2 ** 32 - 1)).toBe('255.255.255.255');
    expect(intToIpv4(ipv4ToInt('10.100.7.200'))).toBe('10.100.7.200');
  });
});
