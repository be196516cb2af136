/**
 * PAN-OS: what the three source forms (syslog CSV, web-UI/Panorama CSV, JSON) share: the log-type and
 * action vocabularies, the one field-alias table, the URL host rule, and the ONE typed record every
 * form fills (`PanRecord`) with the ONE conversion to a Flow and its validation (`emitPanRecord`).
 *
 * Decisions visible in the output (all forms):
 * - Every TRAFFIC record is a flow (start/end/drop/deny); `start` is also noted ('traffic-start').
 * - TRAFFIC action: `allow` → allow, the other TRAFFIC/THREAT tokens → deny. THREAT: alert/allow/continue/
 *   override → allow, the block tokens → deny. A token outside both tables is a shifted or foreign
 *   column: the record is malformed ('panos action column holds no action'), never a guessed verdict.
 * - The protocol column must hold a protocol (name or 0-255), the ports 0-65535: otherwise malformed.
 * - ICMP/ICMPv6 and other port-less protocols carry no ports (PAN-OS logs 0/0 for them).
 * - THREAT subtype `url`: url = URL/Filename as logged, host = its host (hostFromUrl). THREAT subtypes
 *   vulnerability, spyware, wildfire, file, virus … are flows of that session without url/host.
 * - device = device_name, else the serial.
 */
import { canonicalIp } from '../../src/model/ip.js';
import { hasPorts, isKnownTransport, newFlow, normalizeTransport, type Action } from '../../src/model/flow.js';
import type { ParseSink } from '../types.js';

export const FORMATS = ['panos-syslog', 'panos-csv', 'panos-json'] as const;

/** Log types that are not flows (skipped 'not-flow' with their own reason). */
export const OTHER_TYPES = new Set([
  'SYSTEM', 'CONFIG', 'GLOBALPROTECT', 'USERID', 'HIPMATCH', 'HIP-MATCH', 'CORRELATION', 'AUTHENTICATION',
  'AUTH', 'DECRYPTION', 'TUNNEL', 'GTP', 'SCTP', 'IPTAG', 'AUDIT', 'DATA', 'WILDFIRE', 'EMAIL',
]);

// ---------------------------------------------------------------------------------------------------
// Actions.
const THREAT_ALLOW = ['alert', 'allow', 'continue', 'override'];
const THREAT_DENY = [
  'block-url', 'block-continue', 'block-override', 'override-lockout', 'deny', 'drop', 'reset-client',
  'reset-server', 'reset-both', 'block-ip', 'sinkhole', 'random-drop', 'drop-all-packets', 'block',
];
const TRAFFIC_DENY = ['deny', 'drop', 'drop-icmp', 'reset-client', 'reset-server', 'reset-both'];
/** Tokens interned when read from a line (no allocation for the common values). */
export const ACTION_TOKENS = ['allow', 'deny', 'drop', 'reset-both', 'alert', 'block-url', 'reset-client',
  'reset-server', 'drop-icmp', 'continue', 'override', 'block-continue', 'block-override', 'override-lockout',
  'block-ip', 'sinkhole', 'random-drop', 'drop-all-packets', 'block'];
const THREAT_ACTIONS = new Map<string, Action>();
for (const a of THREAT_ALLOW) THREAT_ACTIONS.set(a, 'allow');
for (const a of THREAT_DENY) THREAT_ACTIONS.set(a, 'deny');
const ALL_ACTIONS = new Set([...THREAT_ALLOW, ...THREAT_DENY, ...TRAFFIC_DENY]);

/** `reset both`, `Reset-Both` → `reset-both`. */
function actionKey(raw: string): string {
  let k = raw.trim().toLowerCase();
  if (k.indexOf(' ') >= 0) k = k.split(/ +/).join('-');
  return k;
}

/** True when the token is an action of PAN-OS TRAFFIC or THREAT logs (any spelling of case/spaces). */
export function isPanAction(raw: string): boolean {
  return ALL_ACTIONS.has(raw) || ALL_ACTIONS.has(actionKey(raw));
}

/** TRAFFIC verdict: allow → allow, empty → unknown, anything else (deny, drop, reset-*) → deny. */
export function trafficAction(raw: string | null): Action {
  if (raw === null || raw === '') return 'unknown';
  return raw === 'allow' || actionKey(raw) === 'allow' ? 'allow' : 'deny';
}

/** THREAT (incl. url) verdict per the PAN-OS action table; unknown tokens → unknown. */
export function threatAction(raw: string | null): Action {
  if (raw === null || raw === '') return 'unknown';
  const a = THREAT_ACTIONS.get(raw);
  if (a) return a;
  const k = actionKey(raw);
  return THREAT_ACTIONS.get(k) ?? (k === 'drop-icmp' ? 'deny' : 'unknown');
}

/** Verdict when the log type is unknown (JSON without a type): union of both tables. */
function anyAction(raw: string | null): Action {
  const t = threatAction(raw);
  if (t !== 'unknown' || raw === null) return t;
  return TRAFFIC_DENY.includes(actionKey(raw)) ? 'deny' : 'unknown';
}

export const TRANSPORTS = ['tcp', 'udp', 'icmp', 'icmp6', 'ipv6-icmp', 'sctp', 'gre', 'esp'];
/** normalizeTransport of each TRANSPORTS token, computed once (all of them known transports). */
const TRANSPORT_NORM = new Map(TRANSPORTS.map((t) => [t, normalizeTransport(t)!] as const));

/** True when a protocol column holds a protocol name or number that fwaudit can carry. */
export function isPanProtocol(raw: string): boolean {
  const t = normalizeTransport(raw);
  return t !== null && isKnownTransport(t);
}

/** Session end reasons (PAN-OS docs, all versions): anything else in that column is not kept. */
export const END_REASONS = new Set(['threat', 'policy-deny', 'decrypt-cert-validation', 'decrypt-unsupport-param',
  'decrypt-error', 'tcp-rst-from-client', 'tcp-rst-from-server', 'resources-unavailable', 'tcp-fin', 'tcp-reuse',
  'decoder', 'aged-out', 'unknown', 'n/a']);

// ---------------------------------------------------------------------------------------------------
// The one alias table: normalized (lower-case, letters and digits only) web-UI header names and JSON
// keys (CDL/SLS CamelCase, SLS query snake_case, `$variable` payloads) → record field.

export const ALIASES = {
  receive: ['receivetime', 'timereceived'],
  time: ['generatetime', 'timegenerated', 'generatedtime', 'generatedat', 'eventtime'],
  hires: ['highresolutiontimestamp', 'highrestimestamp', 'hightimestamp', 'timegeneratedhighresolution'],
  serial: ['serial', 'serialnumber', 'serialno', 'deviceserial', 'logsourceid', 'devicesn'],
  type: ['type', 'logtype'],
  subtype: ['threatcontenttype', 'subtype', 'contenttype', 'logsubtype'],
  src: ['sourceaddress', 'sourceip', 'src', 'srcip', 'source', 'sourceaddr'],
  dst: ['destinationaddress', 'destinationip', 'dst', 'dstip', 'destination', 'destaddress', 'destip'],
  sport: ['sourceport', 'srcport', 'sport'],
  dport: ['destinationport', 'dstport', 'dport', 'destport'],
  proto: ['ipprotocol', 'protocol', 'proto'],
  action: ['action'],
  rule: ['rule', 'rulename', 'securityrule', 'rulematched'],
  app: ['application', 'app'],
  url: ['url', 'urlfilename', 'misc', 'urlfile', 'uri'],
  device: ['devicename', 'hostname', 'logsourcename'],
  endReason: ['sessionendreason', 'endreason'],
  bytes: ['bytes', 'totalbytes', 'bytestotal'],
  packets: ['packets', 'totalpackets', 'packetstotal'],
  packetsSent: ['packetssent'],
  packetsReceived: ['packetsreceived'],
} as const;
export type AliasKey = keyof typeof ALIASES;

export function normName(h: string): string {
  return h.toLowerCase().replace(/[^a-z0-9]/g, '');
}

// ---------------------------------------------------------------------------------------------------
// URL host.

/** Host of a PAN-OS URL field (no scheme; may carry `host:port`, path, query): lower-case, or null. */
export function hostFromUrl(url: string | null): string | null {
  if (url === null) return null;
  let s = url.trim();
  const scheme = s.indexOf('://');
  if (scheme > 0 && scheme < 10) s = s.slice(scheme + 3);
  let end = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35 || c === 32) { end = i; break; } // / ? # space
  }
  s = s.slice(0, end);
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) {
    const rb = s.indexOf(']');
    s = rb > 0 ? s.slice(1, rb) : s.slice(1);
  } else {
    const colon = s.indexOf(':');
    if (colon >= 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  }
  if (s === '' || s === '-') return null;
  return s.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------
// Numbers from text or JSON values.

/** Port value: number 0-65535, null when absent/empty, -1 when present but not a port. */
export function portValue(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : -1;
}

/** Counter value: non-negative safe integer, null when absent/empty, -1 when present but invalid. */
export function counterValue(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

// ---------------------------------------------------------------------------------------------------
// The typed record and its one conversion.

export type PanKind = 'traffic' | 'threat' | 'any';

/** One PAN-OS log record, filled by a source form (reused: one instance per parser). */
export class PanRecord {
  kind: PanKind = 'any';
  /** Lower-case subtype (`end`, `url`, `vulnerability`, …) or ''. */
  subtype = '';
  /** Epoch ms, or NaN when the record carries no time. */
  ts = NaN;
  /** Non-empty when a time field is present but invalid: the skip reason. */
  tsError = '';
  src: string | null = null;
  dst: string | null = null;
  /** True when src / dst already hold canonical address text (read from bytes): not parsed again. */
  srcCanonical = false;
  dstCanonical = false;
  /** 0-65535, null (absent), -1 (present, not a port). */
  sport: number | null = null;
  dport: number | null = null;
  proto: string | null = null;
  action: string | null = null;
  /** True when an empty action column makes the record malformed (syslog: the column always exists). */
  actionRequired = false;
  rule: string | null = null;
  app: string | null = null;
  device: string | null = null;
  url: string | null = null;
  endReason: string | null = null;
  /** Non-negative integer, null (absent), -1 (present, invalid). */
  bytes: number | null = null;
  packets: number | null = null;

  reset(): void {
    this.kind = 'any'; this.subtype = ''; this.ts = NaN; this.tsError = '';
    this.src = null; this.dst = null; this.srcCanonical = false; this.dstCanonical = false; this.sport = null; this.dport = null; this.proto = null;
    this.action = null; this.actionRequired = false; this.rule = null; this.app = null; this.device = null;
    this.url = null; this.endReason = null; this.bytes = null; this.packets = null;
  }
}

/** Canonical address text of a field (trimmed; `canonicalIp`), null when empty or no address. */
export function canonicalText(v: string | null): string | null {
  const t = v === null ? '' : v.trim();
  return t === '' ? null : canonicalIp(t);
}

/**
 * Validates the record and emits its flow, or skips the line as malformed with the reason naming the
 * field. The only place a PAN-OS flow is built. `sink` is behind the gate (parsers/validate.ts); a form
 * whose values are valid by construction (syslog: see the end) passes `direct`, the sink under the gate.
 */
export function emitPanRecord(r: PanRecord, format: string, file: string, line: number, sink: ParseSink, direct: ParseSink | null = null): void {
  if (r.tsError !== '') { sink.skip(r.tsError, line, 'malformed'); return; }
  const src = r.srcCanonical ? r.src : canonicalText(r.src);
  const dst = r.dstCanonical ? r.dst : canonicalText(r.dst);
  if (src === null || dst === null) { sink.skip('panos invalid address', line, 'malformed'); return; }
  const known = r.proto === null ? undefined : TRANSPORT_NORM.get(r.proto);
  const transport = known !== undefined ? known : r.proto === null ? null : normalizeTransport(r.proto);
  if (known === undefined && transport !== null && !isKnownTransport(transport)) { sink.skip('panos protocol column holds no protocol', line, 'malformed'); return; }
  const raw = r.action === null ? null : r.action;
  if (raw !== null && ALL_ACTIONS.has(raw)) {
    // an action token as PAN-OS writes it
  } else if (raw === null || raw.trim() === '') {
    if (r.actionRequired) { sink.skip('panos action column is empty', line, 'malformed'); return; }
  } else if (!isPanAction(raw)) { sink.skip('panos action column holds no action', line, 'malformed'); return; }
  if (r.sport === -1) { sink.skip('panos invalid source port', line, 'malformed'); return; }
  if (r.dport === -1) { sink.skip('panos invalid destination port', line, 'malformed'); return; }

  const f = newFlow(format, file, line);
  f.ts = Number.isNaN(r.ts) ? null : r.ts;
  f.src_ip = src;
  f.dst_ip = dst;
  f.transport = transport;
  f.src_port = r.sport;
  f.dst_port = r.dport;
  f.raw_action = raw === null || raw === '' ? null : raw;
  f.action = r.kind === 'traffic' ? trafficAction(f.raw_action) : r.kind === 'threat' ? threatAction(f.raw_action) : anyAction(f.raw_action);
  f.rule = r.rule;
  f.app = r.app;
  f.device = r.device;
  if (r.kind !== 'threat') {
    if (r.bytes === -1 || r.packets === -1) sink.note('counter-out-of-range', 1);
    f.bytes = r.bytes === -1 ? null : r.bytes;
    f.packets = r.packets === -1 ? null : r.packets;
    f.end_reason = r.endReason;
    if (r.subtype === 'start') sink.note('traffic-start', 1);
  }
  if (r.kind !== 'traffic' && r.url !== null && (r.subtype === 'url' || r.kind === 'any')) {
    f.url = r.url;
    f.host = hostFromUrl(r.url);
  }
  if (direct !== null) {
    // Valid by construction (the syslog form: `direct` is the sink under the gate): ts from the time
    // module (an integer inside 1990-2100), addresses canonical (a dotted quad read from the bytes or
    // canonicalIp's text), the transport known, ports 0-65535 integers, counters -1 (null, noted) or at
    // most 15 digits. What the gate would still change is done here: repairFlow's ports of a protocol
    // without ports. The fuzz test checks every flow with validateFlow.
    if (transport !== null && !hasPorts(transport)) { f.src_port = null; f.dst_port = null; }
    direct.flow(f);
    return;
  }
  sink.flow(f);
}
