/**
 * The compiled requirement index: rulesets + inventory compiled once into lookup structures, used by the
 * matcher (`src/matcher/`) and by `fwaudit diagnose` (rpc and symptoms). One place decides which requirement
 * a flow counts for; the rules are written down in rulesets/README.md ("How a flow is attributed").
 *
 * - Activity: `when` evaluated against the deployment's params over the ruleset defaults (port-only mode:
 *   every `when` is true unless `evaluateWhen` is asked for).
 * - One owner per port within a pair of roles: requirements grouped by (deployment, from, destination,
 *   transport) and ordered active first, fewest ports, declaration order; each owns its ports minus those of
 *   the requirements before it (`owned`). Only owned ports are indexed.
 * - Well-known ports are not claimed by wide ranges on port alone (probable, port-only, conditional).
 * - `classify(flow)` sorts the requirements a flow's (transport, port) owns into confirmed, conditional,
 *   probable, hostname candidates (destination not yet known to be one of `hosts`) and port-only.
 */
import type { Flow } from '../model/flow.js';
import { hextetsToBigInt, intToIpv4, ipv4ToInt, ipv6Into, ipv6ToBigInt, isPublicIpv4, recentAt, recentIpv4 } from '../model/ip.js';
import type { PortIntervals, Requirement, Ruleset } from '../model/ruleset.js';
import type { AddrSet } from '../inventory/addr.js';
import type { Inventory } from '../inventory/load.js';
import { paramValues, requirementApplies } from '../rulesets/conditions.js';
import { formatIntervals, resolvePorts } from '../rulesets/ports.js';
import { AddrIndex, PortIndex, type AddrIndexWire } from './lookup.js';
import { isWellKnownPort, WIDE_RANGE } from './wellknown.js';

export { WIDE_RANGE, WELL_KNOWN_PORTS, isWellKnownPort } from './wellknown.js';

export const ROLE_ABSENT = -1;
export const ROLE_INTERNET = -2;
export const ROLE_ANY = -3;

/** A machine-readable `when` and what would turn the requirement on. */
export interface WhenInfo {
  param: string;
  op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in';
  value: unknown;
  /** The parameter's value in the deployment (or the default). */
  current: number | string | boolean | null;
  /** "set `http_mode: true`", "set `version` to 11 or lower". */
  suggestion: string;
}

export interface CompiledRequirement {
  /** Position in `entries`. */
  id: number;
  rs: Ruleset;
  req: Requirement;
  /** `product\0requirement` (one matrix row per product and requirement). */
  rowKey: string;
  /** `product/requirement` (port-only candidates, matched-flow labels). */
  label: string;
  /** Deployment index, or -1 in port-only mode. */
  dep: number;
  params: Record<string, number | string | boolean>;
  active: boolean;
  localOnly: boolean;
  fromKey: number;
  toKey: number;
  /** Hostname patterns (lower-case) and the addresses they resolve to (static + learned). */
  hosts: string[] | null;
  resolved: Set<string> | null;
  /** The resolved port spec, and the part of it this requirement owns within its group. */
  ports: PortIntervals;
  owned: PortIntervals;
  /** Number of ports covered by `ports` (65536 when the transport has none). */
  span: number;
  /** More than WIDE_RANGE ports: well-known ports are not claimed on port alone. */
  wide: boolean;
  portText: string;
  /** to/hosts is internet-facing (outbound requirement). */
  outward: boolean;
  /** Port-only: the port set is distinctive enough to infer roles from. */
  inferable: boolean;
  /** Role addresses for advice (text as written in the inventory). */
  fromSet: AddrSet | null;
  toSet: AddrSet | null;
  fromScope: string | null;
  toScope: string | null;
  when: WhenInfo | null;
  /** Text of the ruleset's `version-mismatch` symptom when it lists this requirement. */
  mismatch: string | null;
  /** A portless requirement (GRE) whose transport another requirement of its pair already owns. */
  shadowed: boolean;
}

export interface NotApplicable {
  product: string;
  requirement: string;
  reason: 'inactive' | 'local-only';
  condition: string | null;
  /** The parameter that would turn it on (inactive requirements). */
  param?: string | null;
  /** Denied flows between the requirement's roles seen while it was off (conditional findings). */
  denies?: number;
}

export interface CompileOptions {
  /** Port-only mode leaves out requirements whose ports span more than this (default 1000). */
  portOnlyMaxPorts?: number;
  /** Port-only mode: evaluate `when` against the defaults and `paramOverrides` (diagnose) instead of taking it as true. */
  evaluateWhen?: boolean;
  /** Parameter overrides per ruleset id (diagnose --param), over the deployment params. */
  paramOverrides?: Record<string, Record<string, number | string | boolean>>;
  /** The address index compiled by another thread from the same inventory (src/matcher/partial.ts). */
  addrIndex?: AddrIndexWire;
}

const NO_ENTRIES: readonly CompiledRequirement[] = Object.freeze([]);

/**
 * Port-only mode: the entries of one port's candidates (then the transport's portless ones, in that order) a
 * flow counts for, precomputed for the only flow facts they depend on: `lists[2 * dstPublic + wellKnown]`.
 */
interface PortOnlySplit {
  /** Whether any entry is a wide range (else the port being well-known changes nothing). */
  wide: boolean;
  lists: Array<{ portOnly: readonly CompiledRequirement[]; conditional: readonly CompiledRequirement[] }>;
}

/** The classification of one flow; arrays are reused between calls. */
export class Classification {
  confirmed: CompiledRequirement[] = [];
  conditional: CompiledRequirement[] = [];
  probable: CompiledRequirement[] = [];
  /** For each probable entry: true when the source is the endpoint inside the inventory. */
  probSrc: boolean[] = [];
  /** Hostname requirements whose source matched and whose destination is in no role (decided later). */
  hostCandidates: CompiledRequirement[] = [];
  /** Port-only mode: a list of the index (not to be changed), replaced per flow. */
  portOnly: readonly CompiledRequirement[] = NO_ENTRIES;
  s4 = -1;
  d4 = -1;
  srcPublic = false;
  dstPublic = false;
  reset(): void {
    // (setting an array's length is a runtime call: only when the previous flow filled something)
    if (this.confirmed.length !== 0) this.confirmed.length = 0;
    if (this.conditional.length !== 0) this.conditional.length = 0;
    if (this.probable.length !== 0) { this.probable.length = 0; this.probSrc.length = 0; }
    if (this.hostCandidates.length !== 0) this.hostCandidates.length = 0;
    this.portOnly = NO_ENTRIES;
  }
  get empty(): boolean {
    return this.confirmed.length + this.conditional.length + this.probable.length + this.hostCandidates.length + this.portOnly.length === 0;
  }
}

const NO_KEYS: readonly number[] = Object.freeze([]);

const V6_DOC_LO = 0x20010db8n << 96n;
const V6_DOC_HI = V6_DOC_LO + (1n << 96n) - 1n;
/** IPv6 global unicast (2000::/3) minus the documentation prefix 2001:db8::/32. */
export function isPublicIpv6(n: bigint): boolean {
  if (n >> 125n !== 1n) return false;
  return n < V6_DOC_LO || n > V6_DOC_HI;
}

/** Public address test on text (IPv4 or IPv6); false for text that is not an address. */
export function isPublicAddress(ip: string): boolean {
  const n = ipv4ToInt(ip);
  if (n >= 0) return isPublicIpv4(n);
  const b = ipv6ToBigInt(ip);
  return b !== null && isPublicIpv6(b);
}

/** Hostname pattern match, case-insensitive; `*` stands for one or more name characters (`*.x.com` matches a.x.com, a.b.x.com, not x.com). */
export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase(), p = pattern.toLowerCase();
  if (!p.includes('*')) return h === p;
  let re = GLOBS.get(p);
  if (!re) {
    re = new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[a-z0-9_.-]+')}$`);
    GLOBS.set(p, re);
  }
  return re.test(h);
}
const GLOBS = new Map<string, RegExp>();

export function normalizeHost(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.startsWith('[')) return s; // IPv6 literal
  const colon = s.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

function spanOf(ports: PortIntervals): number {
  return ports.length ? ports.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) : 65536;
}

/** ports − minus, both sorted merged intervals. */
export function subtractIntervals(ports: PortIntervals, minus: PortIntervals): PortIntervals {
  const out: PortIntervals = [];
  for (const [lo0, hi] of ports) {
    let lo = lo0;
    for (const [mlo, mhi] of minus) {
      if (mhi < lo || mlo > hi) continue;
      if (mlo > lo) out.push([lo, mlo - 1]);
      lo = Math.max(lo, mhi + 1);
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

function mergeIntervals(a: PortIntervals, b: PortIntervals): PortIntervals {
  const all = [...a, ...b].map(([x, y]) => [x, y] as [number, number]).sort((p, q) => p[0] - q[0]);
  const out: PortIntervals = [];
  for (const iv of all) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1] + 1) last[1] = Math.max(last[1], iv[1]);
    else out.push(iv);
  }
  return out;
}

function whenInfo(when: Record<string, unknown> | undefined, params: Record<string, number | string | boolean>): WhenInfo | null {
  if (!when) return null;
  const param = String(when['param']);
  const op = (['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in'] as const).find((o) => o in when);
  if (!op) return null;
  const value = when[op];
  const v = (x: unknown) => (Array.isArray(x) ? x.map((y) => JSON.stringify(y)).join(', ') : typeof x === 'string' ? x : JSON.stringify(x));
  const suggestion = op === 'eq' ? `set \`${param}: ${v(value)}\``
    : op === 'ne' ? `set \`${param}\` to a value other than ${v(value)}`
      : op === 'in' ? `set \`${param}\` to one of ${v(value)}`
        : op === 'lt' ? `set \`${param}\` below ${v(value)}`
          : op === 'lte' ? `set \`${param}\` to ${v(value)} or lower`
            : op === 'gt' ? `set \`${param}\` above ${v(value)}` : `set \`${param}\` to ${v(value)} or later`;
  return { param, op, value, current: params[param] ?? null, suggestion };
}

/** Role addresses for advice: as written when short, else merged CIDRs (first 8) with the count. */
export function roleText(set: AddrSet | undefined | null): string | null {
  if (!set) return null;
  if (set.roleText !== undefined) return set.roleText;
  let t = roleTexts.get(set);
  if (t === undefined) roleTexts.set(set, (t = roleTextOf(set)));
  return t;
}
/** Once per set (every requirement of a role asks; 100,000 entries cost ~3 ms each). */
const roleTexts = new WeakMap<AddrSet, string>();
function roleTextOf(set: AddrSet): string {
  if (set.text.length <= 8) return set.text.join(', ');
  const cidrs: string[] = [];
  let addrs = 0;
  for (const [lo, hi] of set.v4) { addrs += hi - lo + 1; if (cidrs.length < 8) cidrs.push(...rangeToCidrs(lo, hi).slice(0, 8 - cidrs.length)); }
  const total = set.v4.reduce((n, [lo, hi]) => n + rangeToCidrs(lo, hi).length, 0) + set.v6.length;
  const more = total - cidrs.length;
  return `${cidrs.join(', ')}${more > 0 ? ` and ${more} more` : ''} (${set.text.length} inventory entries, ${addrs}${set.v6.length ? '+' : ''} addresses)`;
}

/** A closed uint32 range as the fewest CIDRs. */
export function rangeToCidrs(lo: number, hi: number): string[] {
  const out: string[] = [];
  let cur = lo;
  while (cur <= hi) {
    let size = 32;
    while (size > 0) {
      const block = 2 ** (32 - (size - 1));
      if (cur % block !== 0 || cur + block - 1 > hi) break;
      size--;
    }
    out.push(size === 32 ? intToIpv4(cur) : `${intToIpv4(cur)}/${size}`);
    cur += 2 ** (32 - size);
  }
  return out;
}

export class RequirementIndex {
  readonly portOnly: boolean;
  readonly entries: CompiledRequirement[] = [];
  readonly notApplicable: NotApplicable[] = [];
  /** Hostname requirements (their `resolved` sets grow as URL logs are read). */
  readonly hostEntries: CompiledRequirement[] = [];
  /** Static name resolution of the inventory (address → name). */
  readonly staticHostOfIp = new Map<string, string>();
  /** Whether any requirement accepts a source outside the inventory (`from: internet` / `any`). */
  readonly anyFromOutside: boolean;
  private readonly byTransport = new Map<string, PortIndex<CompiledRequirement>>();
  private readonly addr: AddrIndex;
  /** Whether any role holds IPv6 addresses (else an IPv6 endpoint needs no 128-bit lookup). */
  private readonly hasV6: boolean;
  /** The last transport looked up and its port index (a flow's transport is nearly always the previous one's). */
  private lastTransport: string | null = null;
  private lastPorts: PortIndex<CompiledRequirement> | undefined = undefined;
  /** `side`'s answer for one endpoint: its role keys, whether it is public, IPv4 as an integer (-1: IPv6). */
  private sideKeys: readonly number[] = NO_KEYS;
  private sidePublic = false;
  private sideV4 = -1;
  /** Where `recentIpv4` last found a flow's source / destination text (`side`). */
  private srcBack = 2;
  private dstBack = 1;
  private readonly h6 = new Uint16Array(8);
  /** Port-only splits per port index and candidate list (see PortOnlySplit). */
  private readonly splits = new Map<PortIndex<CompiledRequirement>, Map<readonly CompiledRequirement[], PortOnlySplit>>();
  private lastSplitIdx: PortIndex<CompiledRequirement> | null = null;
  private lastSplits: Map<readonly CompiledRequirement[], PortOnlySplit> | undefined = undefined;

  constructor(rulesets: Ruleset[], inventory: Inventory | null, opts: CompileOptions = {}) {
    this.portOnly = inventory === null;
    const portOnlyMax = opts.portOnlyMaxPorts ?? 1000;
    const sets: Array<{ set: AddrSet; key: number }> = [];
    if (inventory) {
      let nextKey = 0;
      inventory.deployments.forEach((d, di) => {
        const keyOf = new Map<string, number>();
        for (const [role, set] of d.roles) {
          const k = nextKey++;
          keyOf.set(role, k);
          sets.push({ set, key: k });
        }
        const params = paramValues(d.ruleset, { ...d.params, ...(opts.paramOverrides?.[d.product] ?? {}) });
        const group: CompiledRequirement[] = [];
        for (const req of d.ruleset.requirements) {
          const active = requirementApplies(req, params);
          const e = this.make(d.ruleset, req, params, di, keyOf, active);
          if (!e) continue;
          e.fromSet = d.roles.get(req.from) ?? null;
          e.toSet = req.to ? d.roles.get(req.to) ?? null : null;
          e.fromScope = roleText(e.fromSet) ?? (req.from === 'internet' ? 'the internet' : null);
          if (e.hosts) {
            for (const [name, ips] of inventory.hosts) {
              if (e.hosts.some((p) => hostMatches(name, p))) for (const ip of ips) { e.resolved!.add(ip); this.staticHostOfIp.set(ip, name); }
            }
            e.toScope = e.hosts.join(', ') + (e.resolved!.size ? ` (${[...e.resolved!].join(', ')})` : '');
          } else if (req.to) {
            e.toScope = roleText(e.toSet) ?? (req.to === 'internet' ? 'the internet' : null);
          }
          if (!active || req.local_only) {
            if (!this.notApplicable.some((n) => n.product === d.product && n.requirement === req.id)) {
              this.notApplicable.push({
                product: d.product, requirement: req.id, reason: active ? 'local-only' : 'inactive', condition: req.condition ?? null,
                ...(active ? {} : { param: e.when?.param ?? null, denies: 0 }),
              });
            }
          }
          group.push(e);
        }
        this.own(group);
      });
    } else {
      for (const rs of rulesets) {
        const params = paramValues(rs, opts.paramOverrides?.[rs.id] ?? {});
        const group: CompiledRequirement[] = [];
        for (const req of rs.requirements) {
          const active = opts.evaluateWhen ? requirementApplies(req, params) : true;
          const e = this.make(rs, req, params, -1, new Map(), active, portOnlyMax);
          if (!e) continue;
          e.inferable = !!req.to && req.to !== 'internet' && e.ports.length > 0 && e.ports[0]![0] >= 1024 && e.span <= 100;
          group.push(e);
        }
        this.own(group);
      }
    }
    this.addr = opts.addrIndex ? new AddrIndex(null, opts.addrIndex) : new AddrIndex(sets);
    // (from the index itself: a worker's inventory sets carry the role text only, the addresses come in `addrIndex`)
    this.hasV6 = this.addr.hasV6;
    const indexItems = new Map<string, Array<{ ports: PortIntervals; entry: CompiledRequirement }>>();
    for (const e of this.entries) {
      if (e.hosts) this.hostEntries.push(e);
      if (e.ports.length > 0 && e.owned.length === 0) continue; // every port belongs to another requirement of the pair
      if (e.shadowed) continue;
      const t = e.req.transport.toLowerCase();
      let list = indexItems.get(t);
      if (!list) indexItems.set(t, (list = []));
      list.push({ ports: e.owned, entry: e });
    }
    for (const [t, items] of indexItems) this.byTransport.set(t, new PortIndex(items));
    this.anyFromOutside = this.entries.some((e) => e.fromKey === ROLE_INTERNET || e.fromKey === ROLE_ANY);
  }

  private make(rs: Ruleset, req: Requirement, params: Record<string, number | string | boolean>, dep: number, keyOf: Map<string, number>, active: boolean, portOnlyMax = Infinity): CompiledRequirement | null {
    let ports: PortIntervals;
    try { ports = resolvePorts(req.ports, params); } catch { return null; } // a parameter without a usable value
    const special = (role: string | undefined): number =>
      role === undefined ? ROLE_ABSENT : keyOf.get(role) ?? (role === 'internet' ? ROLE_INTERNET : role === 'any' ? ROLE_ANY : ROLE_ABSENT);
    const hosts = req.hosts && req.hosts.length ? req.hosts.map((h) => h.toLowerCase()) : null;
    const span = spanOf(ports);
    const mismatchSym = (rs.symptoms ?? []).find((s) => s.id === 'version-mismatch' && s.requirements.includes(req.id));
    const e: CompiledRequirement = {
      id: this.entries.length, rs, req, rowKey: `${rs.id}\u0000${req.id}`, label: `${rs.id}/${req.id}`, dep, params,
      active, localOnly: req.local_only === true,
      fromKey: special(req.from), toKey: special(req.to),
      hosts, resolved: hosts ? new Set() : null,
      ports, owned: ports, span, wide: ports.length > 0 && span > WIDE_RANGE, portText: formatIntervals(ports),
      outward: !!hosts || req.to === 'internet', inferable: false,
      fromSet: null, toSet: null, fromScope: null, toScope: null,
      when: whenInfo(req.when, params), mismatch: mismatchSym ? mismatchSym.text : null, shadowed: false,
    };
    if (dep < 0 && span > portOnlyMax) return null;
    this.entries.push(e);
    return e;
  }

  /** Rule 3: one owner per port within (from, destination, transport) of one deployment / ruleset. */
  private own(list: CompiledRequirement[]): void {
    const groups = new Map<string, CompiledRequirement[]>();
    for (const e of list) {
      const k = `${e.req.from}\u0000${e.hosts ? `hosts:${e.hosts.join(',')}` : e.req.to ?? ''}\u0000${e.req.transport.toLowerCase()}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(e);
    }
    for (const g of groups.values()) {
      g.sort((a, b) => Number(b.active) - Number(a.active) || a.span - b.span || a.id - b.id);
      let taken: PortIntervals = [];
      let portlessTaken = false;
      for (const e of g) {
        if (e.ports.length === 0) {
          // a portless transport (GRE, ICMP): the first of the group owns it
          if (portlessTaken) e.shadowed = true;
          portlessTaken = true;
          continue;
        }
        e.owned = subtractIntervals(e.ports, taken);
        taken = mergeIntervals(taken, e.ports);
      }
    }
  }

  /** The address index as data for a worker thread (its typed arrays on shared memory). */
  addrIndexWire(): AddrIndexWire { return this.addr.wire(); }

  /** Role keys of an address, or null when it is not an address. Exposed for diagnose endpoints. */
  roleKeys(ip: string): readonly number[] | null {
    const n = ipv4ToInt(ip);
    if (n >= 0) return this.addr.lookup4(n);
    const b = ipv6ToBigInt(ip);
    return b === null ? null : this.addr.lookup6(b);
  }

  /**
   * Sorts the requirements owning the flow's (transport, port) into `c` (rulesets/README.md rule 5).
   * Returns false when the flow touches no requirement at all (the cheap, common case).
   */
  classify(f: Flow, c: Classification): boolean {
    c.reset();
    const t = f.transport;
    if (t === null || f.src_ip === null || f.dst_ip === null) return false;
    let idx: PortIndex<CompiledRequirement> | undefined;
    if (t === this.lastTransport) idx = this.lastPorts;
    else { idx = this.byTransport.get(t); this.lastTransport = t; this.lastPorts = idx; }
    if (idx === undefined) return false;
    const byPort = f.dst_port === null ? (idx.anyPort.length ? NO_ENTRIES : null) : idx.lookup(f.dst_port);
    if (byPort === null || (byPort.length === 0 && idx.anyPort.length === 0)) return false;

    if (!this.side(f.src_ip, 2)) return false;
    const srcKeys = this.sideKeys, srcPublic = this.sidePublic, s4 = this.sideV4;
    // A public source outside the inventory can only match requirements from the internet (none in the
    // built-in rulesets): internet noise stops here, before the destination is looked at.
    if (srcKeys.length === 0 && srcPublic && !this.anyFromOutside) return false;
    if (this.portOnly && srcPublic) return false;
    if (!this.side(f.dst_ip, 1)) return false;
    const dstKeys = this.sideKeys, dstPublic = this.sidePublic, d4 = this.sideV4;
    // Neither endpoint in the inventory and no requirement from outside it: no requirement's `from` holds
    // (rulesets/README.md rule 5), so nothing is confirmed, conditional, probable or a hostname candidate.
    if (!this.portOnly && srcKeys.length === 0 && dstKeys.length === 0 && !this.anyFromOutside) return false;
    c.s4 = s4; c.d4 = d4; c.srcPublic = srcPublic; c.dstPublic = dstPublic;
    const port = f.dst_port;
    const n1 = byPort.length, n2 = idx.anyPort.length;

    if (this.portOnly) {
      if (srcPublic) return false;
      const sp = this.splitOf(idx, byPort);
      const v = sp.lists[(dstPublic ? 2 : 0) + (sp.wide && port !== null && isWellKnownPort(port) ? 1 : 0)]!;
      c.portOnly = v.portOnly;
      for (let i = 0; i < v.conditional.length; i++) c.conditional.push(v.conditional[i]!);
      return !c.empty;
    }

    const wellKnown = port !== null && isWellKnownPort(port);
    for (let i = 0; i < n1 + n2; i++) {
      const e = i < n1 ? byPort[i]! : idx.anyPort[i - n1]!;
      if (e.localOnly) continue;
      const srcFrom = e.fromKey >= 0 ? srcKeys.includes(e.fromKey) : e.fromKey === ROLE_INTERNET ? srcPublic : e.fromKey === ROLE_ANY;
      let dstTo: boolean;
      if (e.hosts !== null) dstTo = e.resolved!.has(f.dst_ip) || (e.toKey >= 0 && dstKeys.includes(e.toKey));
      else dstTo = e.toKey >= 0 ? dstKeys.includes(e.toKey) : e.toKey === ROLE_INTERNET ? dstPublic : e.toKey === ROLE_ANY;
      if (!e.active) {
        if (srcFrom && dstTo && !(e.wide && wellKnown)) c.conditional.push(e);
        continue;
      }
      if (srcFrom && dstTo) { c.confirmed.push(e); continue; }
      if (e.hosts !== null) {
        if (srcFrom && dstKeys.length === 0) c.hostCandidates.push(e);
        continue;
      }
      if (e.wide && wellKnown) continue;
      // probable: the other endpoint is outside the inventory and stands in for an inventory role
      if (srcFrom && dstKeys.length === 0 && !dstPublic && e.toKey !== ROLE_INTERNET && e.toKey !== ROLE_ANY && e.fromKey >= 0) { c.probable.push(e); c.probSrc.push(true); }
      else if (dstTo && srcKeys.length === 0 && !srcPublic && e.toKey >= 0 && e.fromKey !== ROLE_INTERNET && e.fromKey !== ROLE_ANY) { c.probable.push(e); c.probSrc.push(false); }
    }
    // A deployment whose active requirement explains the flow gives no conditional finding; a flow with a
    // confirmed or conditional match in a deployment gives no probable finding there.
    if (c.conditional.length && c.confirmed.length) filterDeps(c.conditional, c.confirmed, null);
    if (c.probable.length && (c.confirmed.length || c.conditional.length)) {
      filterDeps(c.probable, c.confirmed, c.probSrc);
      if (c.probable.length) filterDeps(c.probable, c.conditional, c.probSrc);
    }
    return !c.empty;
  }

  /** The port-only split of a port's candidates (made on first use: at most one per port segment). */
  private splitOf(idx: PortIndex<CompiledRequirement>, byPort: readonly CompiledRequirement[]): PortOnlySplit {
    let m = idx === this.lastSplitIdx ? this.lastSplits : this.splits.get(idx);
    if (m === undefined) { m = new Map(); this.splits.set(idx, m); }
    this.lastSplitIdx = idx; this.lastSplits = m;
    let sp = m.get(byPort);
    if (sp !== undefined) return sp;
    const all = [...byPort, ...idx.anyPort];
    sp = { wide: all.some((e) => e.wide), lists: [] };
    for (let v = 0; v < 4; v++) {
      const dstPublic = v >= 2, wellKnown = (v & 1) === 1;
      const portOnly: CompiledRequirement[] = [], conditional: CompiledRequirement[] = [];
      for (const e of all) {
        if (e.localOnly) continue;
        if (e.outward ? !dstPublic : dstPublic) continue;
        if (e.wide && wellKnown) continue;
        if (e.active) portOnly.push(e); else conditional.push(e);
      }
      sp.lists.push({ portOnly, conditional });
    }
    if (m.size >= 65536) m.clear(); // (bounded even if a port index handed out a new array per lookup)
    m.set(byPort, sp);
    return sp;
  }

  /** One endpoint's role keys, publicness and IPv4 integer into `side*`; false when the text is no address. */
  private side(ip: string, back: 1 | 2): boolean {
    // (a text the parser noted as a dotted quad is taken as its integer without reading it: model/ip.ts)
    // (first where the last flow's text of this side was: flows come a line behind their parse, model/ip.ts recentAt)
    let n: number;
    if (back === 2) { n = recentIpv4(ip, this.srcBack); if (n >= 0) this.srcBack = recentAt.back; }
    else { n = recentIpv4(ip, this.dstBack); if (n >= 0) this.dstBack = recentAt.back; }
    if (n < 0) n = ipv4ToInt(ip);
    if (n >= 0) {
      this.sideKeys = this.addr.lookup4(n); this.sidePublic = isPublicIpv4(n); this.sideV4 = n;
      return true;
    }
    const h = this.h6;
    if (!ipv6Into(ip, h)) return false;
    // isPublicIpv6 on the first two hextets: 2000::/3 minus 2001:db8::/32
    this.sidePublic = h[0]! >>> 13 === 1 && !(h[0] === 0x2001 && h[1] === 0x0db8);
    this.sideKeys = this.hasV6 ? this.addr.lookup6(hextetsToBigInt(h)) : NO_KEYS;
    this.sideV4 = -1;
    return true;
  }

  /** Learns host name → address from a flow that carries one (PAN-OS URL logs). Returns the entries the name matched. */
  learnHost(rawHost: string, dst: string): CompiledRequirement[] {
    const h = normalizeHost(rawHost);
    const hits = this.hostEntries.filter((e) => e.hosts!.some((p) => hostMatches(h, p)));
    for (const e of hits) e.resolved!.add(dst);
    return hits;
  }

  notApplicableEntry(e: CompiledRequirement): NotApplicable | undefined {
    return this.notApplicable.find((n) => n.product === e.rs.id && n.requirement === e.req.id);
  }
}

function filterDeps(list: CompiledRequirement[], by: CompiledRequirement[], side: boolean[] | null): void {
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (by.some((o) => o.dep === e.dep)) continue;
    list[w] = e;
    if (side) side[w] = side[i]!;
    w++;
  }
  list.length = w;
  if (side) side.length = w;
}

/** Compiles rulesets + inventory (or rulesets alone: port-only mode) into the index. */
export function compileRequirements(rulesets: Ruleset[], inventory: Inventory | null, opts: CompileOptions = {}): RequirementIndex {
  return new RequirementIndex(rulesets, inventory, opts);
}

/** One row per compiled requirement, as plain data (for generated SQL and `rulesets show`-like tooling). */
export interface RequirementRow {
  product: string;
  requirement: string;
  /** Deployment index in the inventory, -1 without an inventory. */
  deployment: number;
  from_role: string;
  to_role: string | null;
  hosts: string[] | null;
  transport: string;
  necessity: string;
  active: boolean;
  local_only: boolean;
  /** Rule 4: more than WIDE_RANGE ports, no probable / port-only / conditional findings on well-known ports. */
  wide: boolean;
  /** The requirement's ports and the part it owns (rule 3) as closed intervals; [] for portless transports. */
  ports: Array<[number, number]>;
  owned: Array<[number, number]>;
  /** Portless requirement whose transport an earlier requirement of the pair owns. */
  shadowed: boolean;
  when_param: string | null;
}

export function requirementRows(index: RequirementIndex): RequirementRow[] {
  return index.entries.map((e) => ({
    product: e.rs.id, requirement: e.req.id, deployment: e.dep, from_role: e.req.from, to_role: e.req.to ?? null,
    hosts: e.hosts, transport: e.req.transport.toLowerCase(), necessity: e.req.necessity, active: e.active, local_only: e.localOnly,
    wide: e.wide, ports: e.ports.map(([a, b]) => [a, b]), owned: e.owned.map(([a, b]) => [a, b]), shadowed: e.shadowed, when_param: e.when?.param ?? null,
  }));
}
