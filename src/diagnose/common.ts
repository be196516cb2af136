/**
 * Pieces shared by `fwaudit diagnose rpc` and `fwaudit diagnose --symptom`: argument errors, endpoints
 * (an address or an inventory role), the time window, evidence records, and the plain-words names of the
 * device that blocked a flow.
 */
import { parseUserTime } from '../model/time.js';
import type { Flow } from '../model/flow.js';
import { canonicalIp, ipv4ToInt, ipv6ToBigInt } from '../model/ip.js';
import type { Requirement, Ruleset } from '../model/ruleset.js';
import { isoUtc } from '../model/time.js';
import { emptyAddrSet, type AddrSet, v4InSet } from '../inventory/addr.js';
import type { Deployment, Inventory } from '../inventory/load.js';
import { formatIntervals, resolvePorts } from '../rulesets/ports.js';
import { paramValues } from '../rulesets/load.js';
import { UsageError } from '../model/errors.js';

/** A bad command-line argument of `diagnose` (exit 2 with the message). */
export class DiagnoseArgError extends UsageError {}

// ---------------------------------------------------------------------------------------------------
// Endpoints

export interface Endpoint {
  /** As given on the command line. */
  spec: string;
  /** For messages: "10.10.0.5" or "groundlabs-er:master (10.10.0.11)". */
  label: string;
  /** Role endpoints: the deployment and role. */
  role: { deployment: Deployment; role: string } | null;
  /** The addresses as written (single IP, or the role's entries). */
  addresses: string[];
  /** True when the endpoint is exactly one address. */
  single: string | null;
  has(ip: string | null): boolean;
}

function setMatcher(set: AddrSet): (ip: string | null) => boolean {
  const cache = new Map<string, boolean>();
  return (ip) => {
    if (ip === null) return false;
    const c = cache.get(ip);
    if (c !== undefined) return c;
    let r: boolean;
    if (ip.indexOf(':') < 0) {
      const n = ipv4ToInt(ip);
      r = n >= 0 && v4InSet(n, set.v4);
    } else {
      const b = ipv6ToBigInt(ip);
      r = false;
      if (b !== null) for (const [lo, hi] of set.v6) if (b >= lo && b <= hi) { r = true; break; }
    }
    if (cache.size > 50_000) cache.clear();
    cache.set(ip, r);
    return r;
  };
}

/**
 * `--from` / `--to`: an IPv4/IPv6 address, or an inventory role `product:role` (or `role` when only one
 * deployment has it). A role with a CIDR or range means any address in it.
 */
export function parseEndpoint(spec: string, option: string, inventory: Inventory | null): Endpoint {
  const s = spec.trim();
  const ip = canonicalIp(s);
  if (ip !== null) {
    return { spec: s, label: ip, role: null, addresses: [ip], single: ip, has: (x) => x === ip };
  }
  if (!/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(s)) {
    throw new DiagnoseArgError(`${option} expects an IP address or an inventory role (product:role), got "${spec}"`);
  }
  if (!inventory) {
    throw new DiagnoseArgError(`${option} "${spec}" is not an IP address; a role needs --inventory FILE`);
  }
  const colon = s.indexOf(':');
  const product = colon >= 0 ? s.slice(0, colon) : null;
  const role = colon >= 0 ? s.slice(colon + 1) : s;
  const hits = inventory.deployments.filter((d) => (product === null || d.product === product) && d.roles.has(role));
  if (hits.length === 0) {
    const known = inventory.deployments.flatMap((d) => [...d.roles.keys()].map((r) => `${d.product}:${r}`));
    throw new DiagnoseArgError(`${option} "${spec}": no such role in ${inventory.file} (roles: ${known.join(', ') || 'none'})`);
  }
  if (hits.length > 1 && product === null) {
    throw new DiagnoseArgError(`${option} "${spec}": role "${role}" exists in several deployments; write it as ${hits.map((d) => `${d.product}:${role}`).join(' or ')}`);
  }
  const set = emptyAddrSet();
  for (const d of hits) {
    const r = d.roles.get(role)!;
    set.v4.push(...r.v4); set.v6.push(...r.v6); set.text.push(...r.text);
  }
  const d = hits[0]!;
  const single = set.text.length === 1 && canonicalIp(set.text[0]!) !== null ? canonicalIp(set.text[0]!) : null;
  return {
    spec: s, label: `${d.product}:${role} (${set.text.join(', ')})`, role: { deployment: d, role }, addresses: [...set.text],
    single, has: setMatcher(set),
  };
}

/** Addresses of an inventory role as an endpoint-like matcher (null when the role is not in the deployment). */
export function roleMatcher(dep: Deployment, role: string): ((ip: string | null) => boolean) | null {
  const set = dep.roles.get(role);
  return set ? setMatcher(set) : null;
}

// ---------------------------------------------------------------------------------------------------
// Time window

export interface TimeWindow { at: number; from: number; to: number; minutes: number }

/** `30m`, `2h`, `90s`, `1d`, `45` (minutes). */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$/i.exec(text);
  if (!m) throw new DiagnoseArgError(`--window expects a duration such as 30m, 2h or 90s, got "${text}"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const ms = unit.startsWith('s') ? n * 1000 : unit.startsWith('m') ? n * 60_000 : unit === 'h' ? n * 3_600_000 : n * 86_400_000;
  if (!(ms > 0)) throw new DiagnoseArgError(`--window must be longer than 0, got "${text}"`);
  return ms;
}

/**
 * `--at`: ISO-8601 with an offset or Z (`2026-03-10T09:14:00Z`), or a local time in --tz
 * (`2026-03-10 09:14`, `2026-03-10T09:14:30`).
 */
export function parseAt(text: string, tz: string): number {
  try {
    return parseUserTime(text, tz, Date.now());
  } catch (e) {
    throw new DiagnoseArgError(`--at: ${(e as Error).message}`);
  }
}

export function makeWindow(at: string | undefined, windowText: string | undefined, tz: string): TimeWindow | null {
  if (at === undefined) {
    if (windowText !== undefined) throw new DiagnoseArgError('--window needs --at (the time the symptom was seen)');
    return null;
  }
  const t = parseAt(at, tz);
  const w = parseDuration(windowText ?? '30m');
  return { at: t, from: t - w, to: t + w, minutes: w / 60_000 };
}

export function windowJson(w: TimeWindow | null): { at: string; from: string; to: string; minutes: number } | null {
  return w ? { at: isoUtc(w.at)!, from: isoUtc(w.from)!, to: isoUtc(w.to)!, minutes: w.minutes } : null;
}

export function windowText(w: TimeWindow | null): string {
  return w ? `${isoUtc(w.from)} to ${isoUtc(w.to)} (±${w.minutes} min around ${isoUtc(w.at)})` : 'the whole input (no --at given)';
}

/** Inside the window (flows without a time cannot be placed in one and are left out). */
export function inWindow(w: TimeWindow | null, ts: number | null): boolean {
  if (!w) return true;
  return ts !== null && ts >= w.from && ts <= w.to;
}

// ---------------------------------------------------------------------------------------------------
// Evidence

export interface Evidence {
  file: string; line: number; ts: string | null; action: string; transport: string | null;
  src_ip: string | null; src_port: number | null; dst_ip: string | null; dst_port: number | null;
  device: string | null; rule: string | null;
}

export const EVIDENCE_CAP = 20;

export function evidenceOf(f: Flow): Evidence {
  return {
    file: f.file, line: f.line, ts: isoUtc(f.ts), action: f.action, transport: f.transport,
    src_ip: f.src_ip, src_port: f.src_port, dst_ip: f.dst_ip, dst_port: f.dst_port, device: f.device, rule: f.rule,
  };
}

export function evidenceLine(e: Evidence): string {
  const dev = [e.device ? `device ${e.device}` : null, e.rule ? `rule ${JSON.stringify(e.rule)}` : null].filter(Boolean).join(', ');
  return `${e.file}:${e.line}  ${e.ts ?? '(no time)'}  ${e.action.toUpperCase()} ${e.transport ?? '?'} ${e.src_ip ?? '?'}:${e.src_port ?? '-'} -> ${e.dst_ip ?? '?'}:${e.dst_port ?? '-'}${dev ? `  (${dev})` : ''}`;
}

/** `file:7, :8, :9` for up to `max` refs. */
export function refsText(ev: Evidence[], max = 6): string {
  const out: string[] = [];
  let lastFile = '';
  for (const e of ev.slice(0, max)) {
    out.push(e.file === lastFile ? `:${e.line}` : `${e.file}:${e.line}`);
    lastFile = e.file;
  }
  return out.join(', ') + (ev.length > max ? ', …' : '');
}

// ---------------------------------------------------------------------------------------------------
// Who blocked it

const isWinFw = (f: Flow): boolean => f.format.startsWith('winfw');
const isWfp = (f: Flow): boolean => f.format.startsWith('wfp');

export interface Blocker {
  key: string;
  /** "the Windows Firewall of 10.20.0.31 (its pfirewall.log, inbound (RECEIVE))" or "firewall PA-3220, rule \"x\"". */
  text: string;
  /** For host firewalls (pfirewall.log, WFP): the Windows computer whose firewall decided. */
  windows: string | null;
  /** Host firewalls: the flow was dropped leaving the computer (SEND). */
  outbound: boolean;
  /** PAN-OS URL filtering blocked the hostname (the security rule itself allowed the session). */
  urlBlock?: boolean;
  /** For network firewalls: the device name and the rule / log prefix in words. */
  device: string | null;
  rule: string | null;
}

/** The firewall that logged a flow, in plain words. */
export function blockerOf(f: Flow): Blocker {
  if (isWinFw(f)) {
    const host = f.direction === 'outbound' ? f.src_ip : f.dst_ip;
    const dir = f.direction === 'outbound' ? 'SEND = outbound' : 'RECEIVE = inbound';
    return { key: `winfw|${host}|${f.direction}`, text: `the Windows Firewall of ${host} (its pfirewall.log; ${dir})`, windows: host, outbound: f.direction === 'outbound', device: null, rule: null };
  }
  if (isWfp(f)) {
    const host = f.direction === 'outbound' ? f.src_ip : f.dst_ip;
    const who = f.device ? `${f.device} (${host})` : host;
    return { key: `wfp|${host}|${f.rule}`, text: `the Windows Filtering Platform of ${who} (Security event log${f.rule ? `, filter ${JSON.stringify(f.rule)}` : ''})`, windows: host, outbound: f.direction === 'outbound', device: null, rule: null };
  }
  const dev = f.device ?? 'a firewall whose name is not in the log';
  // PAN-OS URL filtering: the security rule allowed the session, its URL filtering profile blocked the host.
  const urlBlock = f.host !== null && f.raw_action !== null && /^block-(url|continue|override)$/.test(f.raw_action);
  const rule = urlBlock
    ? `URL filtering profile of rule ${JSON.stringify(f.rule ?? '?')} (${f.raw_action} of ${f.host})`
    : f.rule ? (f.format.startsWith('iptables') ? `log prefix ${JSON.stringify(f.rule)}` : `rule ${JSON.stringify(f.rule)}`) : null;
  return { key: `fw|${f.device}|${f.rule}|${urlBlock}`, text: `firewall ${dev}${rule ? `, ${rule}` : ''}`, windows: null, outbound: false, device: dev, rule, urlBlock };
}

export interface DenyGroup extends Blocker { count: number; ports: Set<number>; srcs: Set<string>; dsts: Set<string>; transport: string | null; ev: Evidence[] }

/** Groups of denied flows by the device/rule that denied them. */
export class DenyGroups {
  private readonly groups = new Map<string, DenyGroup>();
  add(f: Flow): void {
    const b = blockerOf(f);
    const key = `${b.key}|${f.transport}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { ...b, count: 0, ports: new Set(), srcs: new Set(), dsts: new Set(), transport: f.transport, ev: [] }));
    g.count++;
    if (f.dst_port !== null && g.ports.size < 50) g.ports.add(f.dst_port);
    if (f.src_ip && g.srcs.size < 20) g.srcs.add(f.src_ip);
    if (f.dst_ip && g.dsts.size < 20) g.dsts.add(f.dst_ip);
    if (g.ev.length < 6) g.ev.push(evidenceOf(f));
  }
  /** Adds another set of groups (aggregates decided later, e.g. hostname candidates). */
  merge(other: DenyGroups): void {
    for (const [key, g] of other.groups) {
      const mine = this.groups.get(key);
      if (!mine) { this.groups.set(key, { ...g, ports: new Set(g.ports), srcs: new Set(g.srcs), dsts: new Set(g.dsts), ev: [...g.ev] }); continue; }
      mine.count += g.count;
      for (const p of g.ports) if (mine.ports.size < 50) mine.ports.add(p);
      for (const x of g.srcs) if (mine.srcs.size < 20) mine.srcs.add(x);
      for (const x of g.dsts) if (mine.dsts.size < 20) mine.dsts.add(x);
      for (const e of g.ev) if (mine.ev.length < 6) mine.ev.push(e);
    }
  }
  get size(): number { return this.groups.size; }
  list(): DenyGroup[] { return [...this.groups.values()].sort((a, b) => b.count - a.count); }
}

/** One sentence: who denied what, with the log lines. */
export function blockedSentence(g: DenyGroup, what: string): string {
  const verb = g.windows ? 'dropped' : 'denied';
  const t = (g.transport ?? '').toUpperCase();
  return `${capitalize(g.text)} ${verb} ${plural(g.count, `${t} connection`.trim())} from ${[...g.srcs].join(', ')} to ${[...g.dsts].join(', ')} on ${g.ports.size > 1 ? 'ports' : 'port'} ${portsText(g.ports)}${what ? ` — ${what}` : ''} (${refsText(g.ev)}).`;
}

/** What to open on the device of a deny group: a netsh rule for a Windows Firewall, an allow rule elsewhere. */
export function openSentence(g: DenyGroup, transport: string, ports: string, netshPort: string | null, tail = ''): string {
  const T = transport.toUpperCase();
  const srcs = [...g.srcs].join(','), dsts = [...g.dsts].join(', ');
  if (g.windows && g.outbound) {
    const rp = ports.replace(/\s+/g, '');
    return `Open ${T} ${ports} outbound on ${g.windows} to ${dsts} (Windows Firewall of ${g.windows}): netsh advfirewall firewall add rule name="fwaudit: ${T} ${ports} to ${dsts}" dir=out action=allow protocol=${T} remoteport=${rp} remoteip=${[...g.dsts].join(',')}${tail ? ` — ${tail}` : ''}.`;
  }
  if (g.windows) {
    const lp = netshPort ?? ports.replace(/\s+/g, '');
    return `Open ${T} ${ports} inbound on ${g.windows} from ${srcs} (Windows Firewall of ${g.windows}): netsh advfirewall firewall add rule name="fwaudit: ${T} ${ports} from ${srcs}" dir=in action=allow protocol=${T} localport=${lp} remoteip=${srcs}${tail ? ` — ${tail}` : ''}.`;
  }
  if (g.urlBlock) {
    return `Allow the hostname in the ${g.rule} on firewall ${g.device} (a URL category / custom URL list entry set to allow) for ${srcs}${tail ? ` — ${tail}` : ''}.`;
  }
  return `Open ${T} ${ports} from ${srcs} to ${dsts} on firewall ${g.device}: an allow rule above the one that denied it${g.rule ? ` (${g.rule})` : ''}${tail ? ` — ${tail}` : ''}.`;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function portsText(ports: Iterable<number>, max = 8): string {
  const a = [...ports].sort((x, y) => x - y);
  return a.slice(0, max).join(', ') + (a.length > max ? ` and ${a.length - max} more` : '');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------------
// Vendor requirements

export interface RequirementRef {
  ruleset: string;
  product: string;
  requirement: string;
  transport: string;
  ports: string;
  purpose: string;
  necessity: string;
  condition: string | null;
  source: { document: string; section: string; quote?: string };
  /** `ruleset id / requirement id / document § section`. */
  cite: string;
}

export function requirementRef(rs: Ruleset, req: Requirement, params: Record<string, number | string | boolean>): RequirementRef {
  let ports: string;
  try { ports = req.ports === null ? 'any' : formatIntervals(resolvePorts(req.ports, params)); } catch { ports = JSON.stringify(req.ports); }
  return {
    ruleset: rs.id, product: rs.product, requirement: req.id, transport: req.transport, ports,
    purpose: req.purpose, necessity: req.necessity, condition: req.condition ?? null,
    source: { document: req.source.document, section: req.source.section, ...(req.source.quote ? { quote: req.source.quote } : {}) },
    cite: `${rs.id} / ${req.id} / ${req.source.document} § ${req.source.section}`,
  };
}

/** Parameter values of a ruleset: defaults, the inventory deployment's params, then command-line overrides. */
export function effectiveParams(rs: Ruleset, inventory: Inventory | null, overrides: Record<string, number | string | boolean> = {}): Record<string, number | string | boolean> {
  const dep = inventory?.deployments.find((d) => d.product === rs.id);
  const known = new Set(rs.parameters.map((p) => p.id));
  const ov: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(overrides)) if (known.has(k)) ov[k] = v;
  return paramValues(rs, { ...(dep?.params ?? {}), ...ov });
}

/** `--param key=value` (repeatable): numbers and true/false are typed, the rest stays text. */
export function parseParams(values: string[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new DiagnoseArgError(`--param expects KEY=VALUE (e.g. version=11), got "${value}"`);
    const k = value.slice(0, eq).trim(), v = value.slice(eq + 1).trim();
    out[k] = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}
