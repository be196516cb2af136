/**
 * The one normalized record every parser produces and every later stage consumes.
 * Column names are fixed (README "Flow record"): JSON Lines, CSV and DuckDB use them as they are.
 */
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
