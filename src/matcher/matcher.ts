/**
 * The matcher: rulesets + inventory compiled once into an index; `observe(flow)` costs one binary
 * search over the transport's port segments and, only for flows on a requirement port, one binary
 * search per endpoint over the inventory's address segments. Flows are never stored: matches are
 * aggregated into groups (product, requirement, src, dst, transport, port) as they stream by.
 *
 * Semantics (README "Findings"):
 * - Active requirements only: `when` is evaluated against the deployment's params over the ruleset
 *   defaults. Inactive and `local_only` requirements never produce findings and are left out of the
 *   matrix; they are listed in `result().not_applicable` with the reason.
 * - confirmed: a deny whose src holds the `from` role and whose dst holds the `to` role (or resolves
 *   to one of `hosts`), on the requirement's transport and port.
 * - probable: a deny with one endpoint in the right inventory role and the other endpoint in no role
 *   of any deployment. The outside endpoint must stand in for an inventory role: `internet` and
 *   `hosts` destinations never give probable (any public address would do), and the outside endpoint
 *   must be a non-public address: an unlisted internal host may be a misconfigured agent, while a
 *   public address knocking on a product port is internet noise (scans), not a broken requirement.
 * - An endpoint that is in the inventory in another role → no finding for that requirement.
 * - `internet` = any public address (isPublicIpv4; IPv6 global unicast 2000::/3 minus 2001:db8::/32),
 *   unless the deployment lists an `internet` role explicitly.
 * - Hostname requirements resolve through the inventory `hosts`/`--hosts` file and through Flow.host
 *   (PAN-OS URL logs) learned while reading: a flow whose dst is not yet known is kept as a candidate
 *   aggregate keyed by dst and decided at the end.
 * - Without an inventory: port-only findings for denies on a requirement's transport+port, when both
 *   endpoints are non-public (internal requirements) or the src is non-public and the dst public
 *   (`internet`/`hosts` requirements). `when` is ignored (any version may run), `local_only` and
 *   requirements whose ports span more than `portOnlyMaxPorts` (dynamic RPC ranges) are skipped.
 *   One finding per (src, dst, transport, port) lists every candidate requirement. Roles are inferred
 *   from allowed traffic: a host that accepts a distinctive product port (all ports ≥ 1024, ≤ 100 ports)
 *   from ≥ `inferMinPeers` distinct sources is reported as `<to-role>?`.
 */
import type { Flow } from '../model/flow.js';
import { compareStatus } from '../model/status.js';
import type { Confidence, EvidenceRef, Finding, MatrixRow } from '../model/finding.js';
import { ipv4ToInt, ipv6ToBigInt, isPublicIpv4 } from '../model/ip.js';
import type { PortIntervals, Requirement, Ruleset } from '../model/ruleset.js';
import { isoUtc } from '../model/time.js';
import { formatIntervals, resolvePorts } from '../rulesets/ports.js';
import type { AddrSet } from '../inventory/addr.js';
import type { Inventory } from '../inventory/load.js';
import { paramValues, requirementApplies } from '../rulesets/load.js';
import type { ParamValues } from '../rulesets/ports.js';
import { AddrIndex, PortIndex } from './index.js';

export interface MatcherOptions {
  /** Evidence refs kept per finding (default 5). */
  maxEvidence?: number;
  /** Distinct devices / rules kept per finding (default 10). */
  maxSet?: number;
  /** Port-only mode skips requirements whose ports span more than this (default 1000). */
  portOnlyMaxPorts?: number;
  /** Distinct allowed peers before a role is inferred (default 3). */
  inferMinPeers?: number;
}

export interface InferredRole {
  ip: string;
  product: string;
  role: string;          // e.g. "master?"
  requirement: string;
  transport: string;
  ports: string;
  peers: number;         // distinct sources seen (capped at the threshold)
}

export interface NotApplicable { product: string; requirement: string; reason: 'inactive' | 'local-only'; condition: string | null }

export interface MatchResult {
  findings: Finding[];
  requirements: MatrixRow[];
  inferred_roles: InferredRole[];
  not_applicable: NotApplicable[];
  /** Hostname-requirement candidates whose destination never resolved to the named hosts (dropped). */
  unresolved_host_candidates: number;
}

const V6_DOC_LO = 0x20010db8n << 96n;
const V6_DOC_HI = V6_DOC_LO + (1n << 96n) - 1n;
export function isPublicIpv6(n: bigint): boolean {
  if (n >> 125n !== 1n) return false; // 2000::/3
  return n < V6_DOC_LO || n > V6_DOC_HI;
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

function normalizeHost(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.startsWith('[')) return s; // IPv6 literal
  const colon = s.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

const NO_ENTRIES: readonly Entry[] = [];
const ROLE_INTERNET = -2;
const ROLE_ANY = -3;
const ROLE_ABSENT = -1;

interface Entry {
  id: number;
  rs: Ruleset;
  req: Requirement;
  rowKey: string;
  /** Deployment index, or -1 in port-only mode. */
  dep: number;
  fromKey: number;
  toKey: number;
  /** Hostname patterns (lower-case) and the addresses they resolve to (static + learned). */
  hosts: string[] | null;
  resolved: Set<string> | null;
  ports: PortIntervals;
  /** Number of ports covered (65536 when the transport has none). */
  span: number;
  portText: string;
  /** Port-only: to/hosts is internet-facing. */
  outward: boolean;
  /** Port-only: the port set is distinctive enough to infer roles from. */
  inferable: boolean;
  fromScope: string | null;
  toScope: string | null;
}

interface Group {
  entry: Entry;
  confidence: Confidence;
  src: string;
  dst: string;
  transport: string;
  port: number | null;
  srcRole: string | null;
  dstRole: string | null;
  count: number;
  first: number | null;
  last: number | null;
  /** Distinct values (at most maxSet): small arrays are cheaper than Sets at this size. */
  devices: string[];
  rules: string[];
  evidence: EvidenceRef[];
  candidates: Set<string> | null;
  /** Wide-range requirements (dynamic RPC): one group for the whole range, with the ports seen. */
  ports: Set<number> | null;
}

interface Pending {
  entry: Entry;
  src: string;
  dst: string;
  transport: string;
  port: number | null;
  allows: number;
  allowFirst: number | null;
  allowLast: number | null;
  deny: Group | null;
}

interface RowStats { allows: number; denies: number; first: number | null; last: number | null }

/** Requirements spanning more ports than this are grouped per host pair, not per port. */
const WIDE_RANGE = 64;

const CONF_ORDER: Record<Confidence, number> = { confirmed: 0, probable: 1, 'port-only': 2 };

function roleText(set: AddrSet | undefined): string | null {
  return set ? set.text.join(', ') : null;
}

export class Matcher {
  private readonly entries: Entry[] = [];
  private readonly byTransport = new Map<string, PortIndex<Entry>>();
  private readonly addr: AddrIndex;
  private readonly hostEntries: Entry[] = [];
  /** Port-only and IPv6 groups by text key; IPv4 groups by number (src → dst·2¹⁷+port → groups). */
  private readonly groups = new Map<string, Group>();
  private readonly groups4 = new Map<number, Map<number, Group[]>>();
  private readonly groupList: Group[] = [];
  /** The current flow's addresses as integers (-1 for IPv6), set by observe for record. */
  private curS4 = -1;
  /** Whether any requirement accepts a source outside the inventory (`from: internet` / `any`). */
  private anyFromOutside = false;
  private curD4 = -1;
  private readonly pending = new Map<string, Pending>();
  private readonly rows = new Map<string, { row: Omit<MatrixRow, 'status' | 'allows' | 'denies' | 'first_seen' | 'last_seen'>; stats: RowStats }>();
  private readonly notApplicable: NotApplicable[] = [];
  private readonly infer = new Map<string, { entry: Entry; dst: string; peers: Set<string> }>();
  private readonly portOnly: boolean;
  private readonly maxEvidence: number;
  private readonly maxSet: number;
  private readonly inferMinPeers: number;
  private lastHost: string | null = null;
  private readonly scratchConfirmed: Entry[] = [];
  private readonly scratchProbable: Entry[] = [];
  private readonly scratchProbSrc: boolean[] = [];
  private lastHostEntries: Entry[] = [];
  /** Destination address → hostname, from the inventory hosts and URL logs (bounded). */
  private readonly hostOfIp = new Map<string, string>();
  /** Requirements hit by the flow being observed; only set inside `observeMatched`. */
  private hits: Entry[] | null = null;
  private readonly scratchHits: Entry[] = [];

  constructor(rulesets: Ruleset[], inventory: Inventory | null, opts: MatcherOptions = {}) {
    this.maxEvidence = opts.maxEvidence ?? 5;
    this.maxSet = opts.maxSet ?? 10;
    this.inferMinPeers = opts.inferMinPeers ?? 3;
    const portOnlyMax = opts.portOnlyMaxPorts ?? 1000;
    this.portOnly = inventory === null;
    const indexItems = new Map<string, Array<{ ports: PortIntervals; entry: Entry }>>();
    const addItem = (e: Entry) => {
      this.entries.push(e);
      if (e.hosts) this.hostEntries.push(e);
      const t = e.req.transport.toLowerCase();
      let list = indexItems.get(t);
      if (!list) indexItems.set(t, (list = []));
      list.push({ ports: e.ports, entry: e });
    };

    const sets: Array<{ set: AddrSet; key: number }> = [];
    if (inventory) {
      const staticHosts = inventory.hosts;
      let nextKey = 0;
      inventory.deployments.forEach((d, di) => {
        const keyOf = new Map<string, number>();
        for (const [role, set] of d.roles) {
          const k = nextKey++;
          keyOf.set(role, k);
          sets.push({ set, key: k });
        }
        const params = paramValues(d.ruleset, d.params);
        for (const req of d.ruleset.requirements) {
          const rowKey = `${d.product}\u0000${req.id}`;
          const active = requirementApplies(req, params);
          if (!active || req.local_only) {
            if (!this.notApplicable.some((n) => n.product === d.product && n.requirement === req.id)) {
              this.notApplicable.push({ product: d.product, requirement: req.id, reason: active ? 'local-only' : 'inactive', condition: req.condition ?? null });
            }
            continue;
          }
          this.ensureRow(d.ruleset, req, rowKey);
          const e = this.makeEntry(d.ruleset, req, params, di, rowKey, keyOf);
          e.fromScope = roleText(d.roles.get(req.from)) ?? (req.from === 'internet' ? 'the internet' : null);
          if (e.hosts) {
            for (const [name, ips] of staticHosts) {
              if (e.hosts.some((p) => hostMatches(name, p))) for (const ip of ips) { e.resolved!.add(ip); this.hostOfIp.set(ip, name); }
            }
            e.toScope = e.hosts.join(', ') + (e.resolved!.size ? ` (${[...e.resolved!].join(', ')})` : '');
          } else if (req.to) {
            e.toScope = roleText(d.roles.get(req.to)) ?? (req.to === 'internet' ? 'the internet' : null);
          }
          addItem(e);
        }
      });
    } else {
      for (const rs of rulesets) {
        const params = paramValues(rs);
        for (const req of rs.requirements) {
          if (req.local_only) continue;
          let e: Entry;
          try {
            e = this.makeEntry(rs, req, params, -1, `${rs.id}\u0000${req.id}`, new Map());
          } catch {
            continue; // ports depending on a parameter without a default cannot be matched on port alone
          }
          const span = e.span;
          if (span > portOnlyMax) continue;
          e.inferable = !!req.to && req.to !== 'internet' && e.ports.length > 0 && e.ports[0]![0] >= 1024 && span <= 100;
          addItem(e);
        }
      }
    }
    this.addr = new AddrIndex(sets);
    for (const [t, items] of indexItems) this.byTransport.set(t, new PortIndex(items));
    this.anyFromOutside = this.entries.some((e) => e.fromKey === ROLE_INTERNET || e.fromKey === ROLE_ANY);
  }

  private makeEntry(rs: Ruleset, req: Requirement, params: ParamValues, dep: number, rowKey: string, keyOf: Map<string, number>): Entry {
    const ports = resolvePorts(req.ports, params);
    const special = (role: string | undefined): number =>
      role === undefined ? ROLE_ABSENT : keyOf.get(role) ?? (role === 'internet' ? ROLE_INTERNET : role === 'any' ? ROLE_ANY : ROLE_ABSENT);
    const hosts = req.hosts && req.hosts.length ? req.hosts.map((h) => h.toLowerCase()) : null;
    return {
      id: this.entries.length, rs, req, rowKey, dep,
      fromKey: special(req.from), toKey: special(req.to),
      hosts, resolved: hosts ? new Set() : null,
      ports, span: ports.length ? ports.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) : 65536, portText: formatIntervals(ports),
      outward: !!hosts || req.to === 'internet',
      inferable: false, fromScope: null, toScope: null,
    };
  }

  private ensureRow(rs: Ruleset, req: Requirement, rowKey: string): void {
    if (this.rows.has(rowKey)) return;
    this.rows.set(rowKey, {
      row: { product: rs.id, requirement: req.id, necessity: req.necessity, purpose: req.purpose, source: sourceText(req) },
      stats: { allows: 0, denies: 0, first: null, last: null },
    });
  }

  /**
   * Like `observe`, and returns the requirements this flow matched on transport, port and roles (allowed or
   * denied, confirmed, probable, hostname candidate or port-only candidate) as "product/requirement;…", else null.
   * Used by the store to keep matched flows and label them.
   */
  observeMatched(f: Flow): string | null {
    const hits = this.scratchHits;
    hits.length = 0;
    this.hits = hits;
    try { this.observe(f); } finally { this.hits = null; }
    if (hits.length === 0) return null;
    if (hits.length === 1) return `${hits[0]!.rs.id}/${hits[0]!.req.id}`;
    return [...new Set(hits.map((e) => `${e.rs.id}/${e.req.id}`))].join(';');
  }

  /** Feeds one flow. Never keeps a reference to it. */
  observe(f: Flow): void {
    if (f.host !== null && f.dst_ip !== null && this.hostEntries.length > 0) this.learnHost(f.host, f.dst_ip);
    const action = f.action;
    if (action === 'unknown' || f.transport === null || f.src_ip === null || f.dst_ip === null) return;
    const idx = this.byTransport.get(f.transport);
    if (idx === undefined) return;
    const byPort = f.dst_port === null ? (idx.anyPort.length ? NO_ENTRIES : null) : idx.lookup(f.dst_port);
    if (byPort === null || (byPort.length === 0 && idx.anyPort.length === 0)) return;

    // Endpoint addresses: numbers for IPv4, bigints for IPv6.
    let srcKeys: readonly number[], dstKeys: readonly number[];
    let srcPublic: boolean, dstPublic: boolean;
    const s4 = ipv4ToInt(f.src_ip);
    if (s4 >= 0) { srcKeys = this.addr.lookup4(s4); srcPublic = isPublicIpv4(s4); } else {
      const b = ipv6ToBigInt(f.src_ip);
      if (b === null) return;
      srcKeys = this.addr.lookup6(b); srcPublic = isPublicIpv6(b);
    }
    // A public source outside the inventory can only match requirements from the internet (none in
    // the built-in rulesets): internet noise stops here, before the destination is looked at.
    if (srcKeys.length === 0 && srcPublic && !this.anyFromOutside) return;
    const d4 = ipv4ToInt(f.dst_ip);
    this.curS4 = s4; this.curD4 = d4;
    if (d4 >= 0) { dstKeys = this.addr.lookup4(d4); dstPublic = isPublicIpv4(d4); } else {
      const b = ipv6ToBigInt(f.dst_ip);
      if (b === null) return;
      dstKeys = this.addr.lookup6(b); dstPublic = isPublicIpv6(b);
    }

    if (this.portOnly) {
      this.observePortOnly(f, byPort, idx.anyPort, srcPublic, dstPublic);
      return;
    }

    const confirmed = this.scratchConfirmed, probable = this.scratchProbable, probSrc = this.scratchProbSrc;
    confirmed.length = 0; probable.length = 0; probSrc.length = 0;
    const n1 = byPort.length, n2 = idx.anyPort.length;
    for (let i = 0; i < n1 + n2; i++) {
      const e = i < n1 ? byPort[i]! : idx.anyPort[i - n1]!;
      const srcFrom = e.fromKey >= 0 ? srcKeys.includes(e.fromKey)
        : e.fromKey === ROLE_INTERNET ? srcPublic : e.fromKey === ROLE_ANY;
      let dstTo: boolean;
      if (e.hosts !== null) dstTo = e.resolved!.has(f.dst_ip) || (e.toKey >= 0 && dstKeys.includes(e.toKey));
      else dstTo = e.toKey >= 0 ? dstKeys.includes(e.toKey) : e.toKey === ROLE_INTERNET ? dstPublic : e.toKey === ROLE_ANY;
      if (srcFrom && dstTo) { confirmed.push(e); continue; }
      if (e.hosts !== null) {
        if (srcFrom && dstKeys.length === 0) this.addPending(e, f);
        continue;
      }
      // probable: the other endpoint is outside the inventory and stands in for an inventory role
      if (srcFrom && dstKeys.length === 0 && !dstPublic && e.toKey !== ROLE_INTERNET && e.toKey !== ROLE_ANY && e.fromKey >= 0) { probable.push(e); probSrc.push(true); }
      else if (dstTo && srcKeys.length === 0 && !srcPublic && e.toKey >= 0 && e.fromKey !== ROLE_INTERNET && e.fromKey !== ROLE_ANY) { probable.push(e); probSrc.push(false); }
    }
    const allowed = action === 'allow';
    if (confirmed.length === 1) this.record(confirmed[0]!, 'confirmed', f, allowed);
    else if (confirmed.length > 1) {
      // Every matching requirement counts in the matrix; a finding goes only to the most specific
      // requirement of a role pair (agent → server 1072 rather than the 1072-1170 fallback range).
      for (const e of confirmed) {
        const shadowed = confirmed.some((o) => o !== e && o.dep === e.dep && o.req.from === e.req.from && o.req.to === e.req.to && (o.span < e.span || (o.span === e.span && o.id < e.id)));
        this.record(e, 'confirmed', f, allowed || shadowed, true, allowed);
      }
    } else for (let i = 0; i < probable.length; i++) this.record(probable[i]!, 'probable', f, allowed, probSrc[i]);
  }

  private learnHost(rawHost: string, dst: string): void {
    if (rawHost !== this.lastHost) {
      this.lastHost = rawHost;
      const h = normalizeHost(rawHost);
      this.lastHostEntries = this.hostEntries.filter((e) => e.hosts!.some((p) => hostMatches(h, p)));
    }
    for (const e of this.lastHostEntries) e.resolved!.add(dst);
    if (this.lastHostEntries.length && this.hostOfIp.size < 100_000) this.hostOfIp.set(dst, normalizeHost(rawHost));
  }

  /** `noFinding`: count in the matrix only. `allowed` defaults to `noFinding`. */
  private record(e: Entry, conf: Confidence, f: Flow, noFinding: boolean, srcInside = true, allowed = noFinding): void {
    if (this.hits !== null) this.hits.push(e);
    const row = this.rows.get(e.rowKey);
    if (row) bump(row.stats, allowed, f.ts);
    if (noFinding) return;
    // A range wider than WIDE_RANGE ports (dynamic RPC, passive FTP) is one finding per host pair:
    // every ephemeral port would otherwise be a finding of its own. IPv4 groups are found by number
    // (no key text per flow); IPv6 ones by text.
    const wide = e.span > WIDE_RANGE;
    let g: Group | undefined;
    const s4 = this.curS4, d4 = this.curD4;
    if (s4 >= 0 && d4 >= 0) {
      let bySrc = this.groups4.get(s4);
      if (bySrc === undefined) { bySrc = new Map(); this.groups4.set(s4, bySrc); }
      const k2 = d4 * 131072 + (wide ? 65536 : (f.dst_port ?? 65537));
      let list = bySrc.get(k2);
      if (list === undefined) { list = []; bySrc.set(k2, list); }
      for (let i = 0; i < list.length; i++) { const x = list[i]!; if (x.entry === e && x.confidence === conf) { g = x; break; } }
      if (!g) { g = this.createGroup(e, conf, f, srcInside); list.push(g); }
    } else {
      const key = groupKey(e, conf, f.src_ip!, f.dst_ip!, f.transport!, f.dst_port);
      g = this.groups.get(key);
      if (!g) { g = this.createGroup(e, conf, f, srcInside); this.groups.set(key, g); }
    }
    this.addToGroup(g, f);
  }

  private createGroup(e: Entry, conf: Confidence, f: Flow, srcInside: boolean): Group {
    const srcRole = conf === 'confirmed' || srcInside ? e.req.from : null;
    const dstRole = conf === 'confirmed' || !srcInside ? (e.req.to ?? null) : null;
    const g = newGroup(e, conf, f, srcRole, dstRole);
    this.groupList.push(g);
    return g;
  }

  private addToGroup(g: Group, f: Flow): void {
    g.count++;
    if (g.ports !== null && f.dst_port !== null && g.ports.size < this.maxSet) g.ports.add(f.dst_port);
    const ts = f.ts;
    if (ts !== null) {
      if (g.first === null || ts < g.first) g.first = ts;
      if (g.last === null || ts > g.last) g.last = ts;
    }
    const dv = f.device, rl = f.rule;
    if (dv !== null && g.devices.length < this.maxSet && !g.devices.includes(dv)) g.devices.push(dv);
    if (rl !== null && g.rules.length < this.maxSet && !g.rules.includes(rl)) g.rules.push(rl);
    if (g.evidence.length < this.maxEvidence) g.evidence.push({ file: f.file, line: f.line });
  }

  private addPending(e: Entry, f: Flow): void {
    if (this.hits !== null) this.hits.push(e);
    const key = `${e.id}|${f.src_ip}|${f.dst_ip}|${f.transport}|${f.dst_port}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { entry: e, src: f.src_ip!, dst: f.dst_ip!, transport: f.transport!, port: f.dst_port, allows: 0, allowFirst: null, allowLast: null, deny: null };
      this.pending.set(key, p);
    }
    if (f.action === 'allow') {
      p.allows++;
      if (f.ts !== null) {
        if (p.allowFirst === null || f.ts < p.allowFirst) p.allowFirst = f.ts;
        if (p.allowLast === null || f.ts > p.allowLast) p.allowLast = f.ts;
      }
    } else {
      if (!p.deny) p.deny = newGroup(e, 'confirmed', f, e.req.from, null);
      this.addToGroup(p.deny, f);
    }
  }

  private observePortOnly(f: Flow, byPort: readonly Entry[], anyPort: readonly Entry[], srcPublic: boolean, dstPublic: boolean): void {
    if (srcPublic) return;
    let g: Group | undefined;
    const handle = (e: Entry) => {
      if (e.outward ? !dstPublic : dstPublic) return;
      if (this.hits !== null) this.hits.push(e);
      if (f.action === 'allow') {
        if (e.inferable) this.inferObserve(e, f);
        return;
      }
      const cand = `${e.rs.id}/${e.req.id}`;
      if (!g) {
        const key = `po|${f.src_ip}|${f.dst_ip}|${f.transport}|${f.dst_port}`;
        g = this.groups.get(key);
        if (!g) {
          g = newGroup(e, 'port-only', f, null, null);
          g.candidates = new Set();
          this.groups.set(key, g);
          this.groupList.push(g);
        }
        this.addToGroup(g, f);
      }
      g.candidates!.add(cand);
    };
    for (let i = 0; i < byPort.length; i++) handle(byPort[i]!);
    for (let i = 0; i < anyPort.length; i++) handle(anyPort[i]!);
  }

  private inferObserve(e: Entry, f: Flow): void {
    const key = `${e.id}|${f.dst_ip}`;
    let s = this.infer.get(key);
    if (!s) {
      if (this.infer.size >= 100_000) return; // bounded memory
      s = { entry: e, dst: f.dst_ip!, peers: new Set() };
      this.infer.set(key, s);
    }
    if (s.peers.size < this.inferMinPeers) s.peers.add(f.src_ip!);
  }

  result(): MatchResult {
    // Decide hostname candidates now that every URL log has been seen.
    let unresolved = 0;
    const groups = new Map<string, Group>();
    for (const g of this.groupList) {
      groups.set(g.confidence === 'port-only' ? `po|${g.src}|${g.dst}|${g.transport}|${g.port}` : groupKey(g.entry, g.confidence, g.src, g.dst, g.transport, g.port), g);
    }
    const rowStats = new Map<string, RowStats>();
    for (const [k, r] of this.rows) rowStats.set(k, { ...r.stats });
    for (const p of this.pending.values()) {
      if (!p.entry.resolved!.has(p.dst)) { unresolved += p.allows + (p.deny?.count ?? 0); continue; }
      const st = rowStats.get(p.entry.rowKey);
      if (st) {
        if (p.allows) { st.allows += p.allows; widen(st, p.allowFirst); widen(st, p.allowLast); }
        if (p.deny) { st.denies += p.deny.count; widen(st, p.deny.first); widen(st, p.deny.last); }
      }
      if (!p.deny) continue;
      const key = groupKey(p.entry, 'confirmed', p.src, p.dst, p.transport, p.port);
      const g = groups.get(key);
      if (!g) { groups.set(key, { ...p.deny, devices: [...p.deny.devices], rules: [...p.deny.rules], evidence: [...p.deny.evidence] }); continue; }
      const merged: Group = { ...g, devices: [...g.devices], rules: [...g.rules] };
      merged.count += p.deny.count;
      if (p.deny.first !== null && (merged.first === null || p.deny.first < merged.first)) merged.first = p.deny.first;
      if (p.deny.last !== null && (merged.last === null || p.deny.last > merged.last)) merged.last = p.deny.last;
      for (const d of p.deny.devices) if (merged.devices.length < this.maxSet && !merged.devices.includes(d)) merged.devices.push(d);
      for (const r of p.deny.rules) if (merged.rules.length < this.maxSet && !merged.rules.includes(r)) merged.rules.push(r);
      merged.evidence = [...p.deny.evidence, ...g.evidence].slice(0, this.maxEvidence);
      groups.set(key, merged);
    }

    const inferred: InferredRole[] = [];
    const inferredByIp = new Map<string, string>();
    for (const s of this.infer.values()) {
      if (s.peers.size < this.inferMinPeers) continue;
      const role = `${s.entry.req.to}?`;
      inferred.push({ ip: s.dst, product: s.entry.rs.id, role, requirement: s.entry.req.id, transport: s.entry.req.transport, ports: s.entry.portText, peers: s.peers.size });
      if (!inferredByIp.has(s.dst)) inferredByIp.set(s.dst, `${s.entry.rs.id}:${role}`);
    }
    inferred.sort((a, b) => cmpText(a.ip, b.ip) || cmpText(a.product, b.product) || cmpText(a.requirement, b.requirement));

    const findings: Finding[] = [];
    for (const g of groups.values()) {
      const e = g.entry, req = e.req;
      const fnd: Finding = {
        product: e.rs.id,
        requirement: req.id,
        confidence: g.confidence,
        transport: g.transport,
        src_ip: g.src,
        dst_ip: g.dst,
        dst_port: g.ports !== null && g.ports.size ? Math.min(...g.ports) : g.port,
        ...(g.ports !== null ? { dst_ports: [...g.ports].sort((a, b) => a - b) } : {}),
        src_role: g.srcRole,
        dst_role: g.dstRole,
        dst_host: e.hosts ? (this.hostOfIp.get(g.dst) ?? null) : null,
        count: g.count,
        first_seen: isoUtc(g.first),
        last_seen: isoUtc(g.last),
        devices: g.devices.slice().sort(),
        rules: g.rules.slice().sort(),
        symptom: req.symptom ?? null,
        purpose: req.purpose,
        source: sourceText(req),
        evidence: g.evidence.slice(),
        product_name: e.rs.product,
        necessity: req.necessity,
        ports: e.portText,
      };
      if (g.confidence === 'port-only') {
        fnd.candidates = [...g.candidates!].sort();
        fnd.src_role = inferredByIp.get(g.src) ?? null;
        fnd.dst_role = inferredByIp.get(g.dst) ?? null;
      } else {
        const ports = e.ports.length ? ` ${e.portText}` : '';
        const from = g.confidence === 'confirmed' || g.srcRole ? (e.fromScope ?? g.src) : g.src;
        const to = e.hosts ? (e.toScope ?? g.dst) : g.confidence === 'confirmed' || g.dstRole ? (e.toScope ?? g.dst) : g.dst;
        fnd.open = `${req.transport.toUpperCase()}${ports} from ${from} to ${to}`;
      }
      findings.push(fnd);
    }
    findings.sort((a, b) =>
      CONF_ORDER[a.confidence] - CONF_ORDER[b.confidence] || b.count - a.count ||
      cmpText(a.product, b.product) || cmpText(a.requirement, b.requirement) ||
      cmpText(a.src_ip, b.src_ip) || cmpText(a.dst_ip, b.dst_ip) || (a.dst_port ?? -1) - (b.dst_port ?? -1));

    const requirements: MatrixRow[] = [];
    for (const [k, r] of this.rows) {
      const st = rowStats.get(k)!;
      const status = st.denies && st.allows ? 'intermittent' : st.denies ? 'violated' : st.allows ? 'ok' : 'unobserved';
      requirements.push({ ...r.row, status, allows: st.allows, denies: st.denies, first_seen: isoUtc(st.first), last_seen: isoUtc(st.last) });
    }
    requirements.sort((a, b) => cmpText(a.product, b.product) || compareStatus(a.status, b.status) || cmpText(a.requirement, b.requirement));

    return { findings, requirements, inferred_roles: inferred, not_applicable: this.notApplicable.slice(), unresolved_host_candidates: unresolved };
  }
}

function sourceText(req: Requirement): string {
  return `${req.source.document} § ${req.source.section}`;
}

/** Plain code-unit order: deterministic, and much cheaper than localeCompare on large result sets. */
function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text key of a finding group (wide ranges group all their ports). */
function groupKey(e: Entry, conf: Confidence, src: string, dst: string, transport: string, port: number | null): string {
  return `${e.id}|${conf}|${src}|${dst}|${transport}|${e.span > WIDE_RANGE ? '*' : port}`;
}

function newGroup(e: Entry, conf: Confidence, f: Flow, srcRole: string | null, dstRole: string | null): Group {
  return {
    entry: e, confidence: conf, src: f.src_ip!, dst: f.dst_ip!, transport: f.transport!, port: f.dst_port,
    srcRole, dstRole, count: 0, first: null, last: null, devices: [], rules: [], evidence: [], candidates: null,
    ports: e.span > WIDE_RANGE ? new Set() : null,
  };
}

function widen(st: RowStats, ts: number | null): void {
  if (ts === null) return;
  if (st.first === null || ts < st.first) st.first = ts;
  if (st.last === null || ts > st.last) st.last = ts;
}

function bump(st: RowStats, allowed: boolean, ts: number | null): void {
  if (allowed) st.allows++; else st.denies++;
  widen(st, ts);
}
