/**
 * The one normalized record every parser produces and every later stage consumes.
 * Column names are fixed (README "Flow record"): JSON Lines, CSV and DuckDB use them as they are.
 */
import { recentIpv4 } from './ip.js';

export type Action = 'allow' | 'deny' | 'unknown';
export type Direction = 'inbound' | 'outbound' | 'forward' | null;

export interface Flow {
  /** Epoch milliseconds, UTC. Serialized as ISO-8601 with milliseconds (`2026-03-10T09:00:05.000Z`). */
  ts: number | null;
  /** `deny` covers drop, reject, reset and block; `unknown` when the log carries no verdict (iptables LOG without a known prefix). */
  action: Action;
  /** The vendor's own token: DROP, reset-both, [UFW BLOCK], 5157 … */
  raw_action: string | null;
  /** tcp, udp, icmp, icmpv6, gre, esp, … or the IANA protocol number as text. */
  transport: string | null;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
  direction: Direction;
  /** The host or firewall that logged the flow (not a syslog relay). */
  device: string | null;
  rule: string | null;
  app: string | null;
  bytes: number | null;
  packets: number | null;
  end_reason: string | null;
  /** Destination hostname (URL host) where the log carries one. */
  host: string | null;
  url: string | null;
  /** Detected format id, e.g. `winfw`, `wfp-json`, `iptables`, `panos-syslog`. */
  format: string;
  file: string;
  line: number;
}

/** Column order used by every tabular sink (CSV, DuckDB, Parquet). */
export const FLOW_COLUMNS = [
  'ts', 'action', 'raw_action', 'transport', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'direction',
  'device', 'rule', 'app', 'bytes', 'packets', 'end_reason', 'host', 'url', 'format', 'file', 'line',
] as const satisfies readonly (keyof Flow)[];

/** A flow with every field present (fixed object shape keeps the hot path monomorphic). */
export function newFlow(format: string, file: string, line: number): Flow {
  return {
    ts: null, action: 'unknown', raw_action: null, transport: null,
    src_ip: null, src_port: null, dst_ip: null, dst_port: null, direction: null,
    device: null, rule: null, app: null, bytes: null, packets: null, end_reason: null,
    host: null, url: null, format, file, line,
  };
}

/** IANA protocol numbers to the transport names used in `Flow.transport`. */
const PROTO_NAMES: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'icmpv6', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp', 136: 'udplite',
};
const NAME_ALIASES: Record<string, string> = { 'ipv6-icmp': 'icmpv6', icmp6: 'icmpv6', ipv6icmp: 'icmpv6' };

/** Normalizes a protocol token (name or number, any case) to the `transport` vocabulary. */
export function normalizeTransport(p: string | number | null | undefined): string | null {
  if (p === null || p === undefined || p === '' || p === '-') return null;
  if (typeof p === 'number') return PROTO_NAMES[p] ?? String(p);
  const s = p.trim();
  if (s === '') return null;
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const n = Number(s);
    return Number.isInteger(n) ? (PROTO_NAMES[n] ?? String(n)) : s.toLowerCase();
  }
  const l = s.toLowerCase();
  return NAME_ALIASES[l] ?? l;
}

// ---------------------------------------------------------------------------------------------------
// Validation: the checks every flow passes before it leaves a parser (parsers/validate.ts applies them
// to every parser's output). Cheap integer and character checks only: no regex, no allocation.
// ---------------------------------------------------------------------------------------------------

/** Transport names a flow may carry (besides the decimal numbers 0-255 of unnamed protocols). */
const KNOWN_TRANSPORTS = new Set([
  ...Object.values(PROTO_NAMES), 'hopopt', 'ggp', 'st', 'egp', 'igp', 'pup', 'idp', 'rdp', 'dccp', 'rsvp',
  'ipv6-route', 'ipv6-frag', 'ipv6-nonxt', 'ipv6-opts', 'eigrp', 'etherip', 'encap', 'l2tp', 'isis',
  'mpls-in-ip', 'ipcomp', 'ipv4', 'mobility-header', 'hip', 'shim6', 'wesp', 'rohc', 'ethernet',
]);

/** Transports whose flows carry ports; every other transport has null ports. */
const PORT_TRANSPORTS = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp']);

export function isKnownTransport(t: string): boolean {
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

export function hasPorts(transport: string | null): boolean {
  return transport === null || transport === 'tcp' || transport === 'udp' || PORT_TRANSPORTS.has(transport);
}

/** Canonical address text as the parsers write it: IPv4 dotted quad or lower-case IPv6 (≤ 45 chars). */
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
/** 1990-01-01 .. 2101-01-01 (src/model/time.ts MIN_TS/MAX_TS; repeated here to keep model/flow standalone). */
const TS_MIN = 631_152_000_000, TS_MAX = 4_133_980_800_000;

/**
 * Null when the flow may leave a parser, else the reason (naming the field) that makes the line
 * malformed. Counters are not checked here: `repairFlow` nulls bad ones first (with a note).
 */
export function validateFlow(f: Flow): string | null {
  const ts = f.ts;
  if (ts !== null && !(Number.isInteger(ts) && ts >= TS_MIN && ts < TS_MAX)) return 'invalid ts (outside 1990-2100)';
  // (the common values by `===` first: a pointer compare for the parsers' constant strings, no hashing)
  const a = f.action;
  if (a !== 'deny' && a !== 'allow' && !ACTIONS.has(a)) return 'invalid action';
  if (f.raw_action !== null && typeof f.raw_action !== 'string') return 'invalid raw_action';
  const t = f.transport;
  if (t !== null && t !== 'tcp' && t !== 'udp' && !isKnownTransport(t)) return 'invalid transport (not a protocol name or number 0-255)';
  // an address a parser noted as a dotted quad (src/model/ip.ts recentIpv4) is one, its text unread
  const src = f.src_ip, dst = f.dst_ip;
  if (recentIpv4(src, 2) < 0 && !addrShape(src)) return src === null ? 'missing src_ip' : 'invalid src_ip';
  if (recentIpv4(dst, 1) < 0 && !addrShape(dst)) return dst === null ? 'missing dst_ip' : 'invalid dst_ip';
  const sp = f.src_port, dp = f.dst_port;
  if (!portOk(sp)) return 'invalid src_port';
  if (!portOk(dp)) return 'invalid dst_port';
  if ((sp !== null || dp !== null) && !hasPorts(t)) return `ports on a ${t} flow`;
  const d = f.direction;
  if (d !== null && d !== 'inbound' && d !== 'outbound' && d !== 'forward') return 'invalid direction';
  if (!counterOk(f.bytes)) return 'invalid bytes';
  if (!counterOk(f.packets)) return 'invalid packets';
  if (!(Number.isInteger(f.line) && f.line >= 0)) return 'invalid line';
  return null;
}

/**
 * Normalizes what has one right answer before validation: ports of a protocol without ports (ICMP's
 * quoted packet, PAN-OS's 0/0) become null; counters that are not non-negative safe integers
 * (`1e+308`, -1, 2^63) become null. Returns the name of a note to count, or null.
 */
export function repairFlow(f: Flow): string | null {
  const t = f.transport;
  if (t !== null && t !== 'tcp' && t !== 'udp' && !PORT_TRANSPORTS.has(t)) { f.src_port = null; f.dst_port = null; }
  let note: string | null = null;
  if (!counterOk(f.bytes)) { f.bytes = null; note = 'counter-out-of-range'; }
  if (!counterOk(f.packets)) { f.packets = null; note = 'counter-out-of-range'; }
  return note;
}
