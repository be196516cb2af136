/**
 * The matcher: flows against the compiled requirement index (src/requirements/). `observe(flow)` costs one
 * binary search over the transport's port segments and, only for flows on a requirement port, one binary
 * search per endpoint over the inventory's address segments. Flows are never stored: matches are
 * aggregated into groups (product, requirement, confidence, src, dst, transport, port) as they stream by;
 * `result()` groups them further per requirement and destination (`by: 'host'` keeps host pairs).
 *
 * Which requirement a flow counts for, and with which confidence, is decided by the index
 * (rulesets/README.md, "How a flow is attributed to requirements"): one owner per port within a pair of
 * roles, well-known ports not claimed by wide ranges on port alone, confirmed / conditional / probable /
 * port-only. Hostname requirements resolve through the inventory `hosts`/`--hosts` file and through
 * Flow.host (PAN-OS URL logs) learned while reading: a flow whose dst is not yet known is kept as a
 * candidate aggregate keyed by dst and decided at the end. Roles are inferred from allowed traffic in
 * port-only mode: a host that accepts a distinctive product port (all ports >= 1024, <= 100 ports) from
 * >= `inferMinPeers` distinct sources is reported as `<to-role>?`.
 */
import type { Flow } from '../model/flow.js';
import { compareStatus } from '../model/status.js';
import type { Confidence, EvidenceRef, Finding, MatrixRow } from '../model/finding.js';
import type { Requirement, Ruleset } from '../model/ruleset.js';
import { isoUtc } from '../model/time.js';
import type { Inventory } from '../inventory/load.js';
import type { AddrIndexWire } from '../requirements/lookup.js';
import {
  Classification, compileRequirements, hostMatches, isPublicIpv6, normalizeHost, WIDE_RANGE,
  type CompiledRequirement, type NotApplicable, type RequirementIndex,
} from '../requirements/index.js';
import { groupFindings, type FindingsBy } from './group.js';
import { remediationFor } from './remediation.js';
import { windowCoverage } from './window.js';
import { ipv4ToInt } from '../model/ip.js';
import { unpackGroups, type GroupState, type MatcherPartial, type MatcherSeed, type OmittedGroup } from './partial.js';

export { hostMatches, isPublicIpv6 };
export type { NotApplicable, FindingsBy };

export interface MatcherOptions {
  /** Evidence refs kept per finding (default 5). */
  maxEvidence?: number;
  /** Distinct devices / rules kept per finding (default 10). */
  maxSet?: number;
  /** Port-only mode skips requirements whose ports span more than this (default 1000). */
  portOnlyMaxPorts?: number;
  /** Distinct allowed peers before a role is inferred (default 3). */
  inferMinPeers?: number;
  /** One finding per requirement × destination (default) or per host pair (`--by host`). */
  by?: FindingsBy;
  /** IANA zone of requirement `window`s (agent check-in 10:00-17:00 local), default UTC. */
  tz?: string;
  /** Port-only and probable groups kept (bounded memory); flows beyond are counted in `omitted`. Default 10,000. */
  maxGroups?: number;
  /**
   * A matcher of one part of the input (a worker thread's task) that must behave as if the parts before it
   * had been read by this same matcher: what they decided (src/matcher/partial.ts, `MatcherSeed`).
   */
  seed?: MatcherSeed;
  /**
   * A requirement index compiled before from the same rulesets and inventory, reused (a worker thread matches
   * many parts with one index). Its URL-learned state is reset by `reusableIndex`.
   */
  index?: RequirementIndex;
}

/**
 * Compiles the index once for many matchers in turn (one per part of the input): `next()` gives the index
 * with the state a fresh compile has (learned host addresses and conditional deny counters back to start).
 */
export function reusableIndex(rulesets: Ruleset[], inventory: Inventory | null, opts: Pick<MatcherOptions, 'portOnlyMaxPorts'> & { addrIndex?: AddrIndexWire } = {}): { next(): RequirementIndex } {
  const index = compileRequirements(rulesets, inventory, { portOnlyMaxPorts: opts.portOnlyMaxPorts ?? 1000, ...(opts.addrIndex ? { addrIndex: opts.addrIndex } : {}) });
  const resolved = index.hostEntries.map((e) => [...e.resolved!]);
  const denies = index.notApplicable.map((n) => n.denies);
  return {
    next() {
      index.hostEntries.forEach((e, i) => { e.resolved!.clear(); for (const a of resolved[i]!) e.resolved!.add(a); });
      index.notApplicable.forEach((n, i) => { if (denies[i] !== undefined) n.denies = denies[i]; });
      return index;
    },
  };
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

export interface MatchResult {
  findings: Finding[];
  requirements: MatrixRow[];
  inferred_roles: InferredRole[];
  not_applicable: NotApplicable[];
  /** Hostname-requirement candidates whose destination never resolved to the named hosts (dropped). */
  unresolved_host_candidates: number;
  /** Denied flows of port-only / probable groups beyond `maxGroups` (counted, not shown). */
  omitted?: { groups: number; flows: number };
}

type Entry = CompiledRequirement;

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
  formats: string[];
  directions: string[];
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

/** Destinations × requirements kept for role inference (bounded memory). */
const INFER_MAX = 100_000;
/** Omitted groups a partial lists for its merge check. */
const OMITTED_KEPT = 10_000;

const CONF_ORDER: Record<Confidence, number> = { confirmed: 0, conditional: 1, probable: 2, 'port-only': 3 };

export class Matcher {
  private readonly index: RequirementIndex;
  /** Port-only and IPv6 groups by text key; IPv4 groups by number (src → dst·2¹⁷+port → groups). */
  private readonly groups = new Map<string, Group>();
  private readonly groups4 = new Map<number, Map<number, Group[]>>();
  private readonly groupList: Group[] = [];
  private readonly cls = new Classification();
  private readonly pending = new Map<string, Pending>();
  private readonly rows = new Map<string, { row: Omit<MatrixRow, 'status' | 'allows' | 'denies' | 'first_seen' | 'last_seen'>; stats: RowStats; entry: Entry }>();
  private readonly infer = new Map<string, { entry: Entry; dst: string; peers: Set<string> }>();
  /** Caches of `infer` and of the port-only groups of `groups`, keyed by the flows' own strings (no key text per flow). */
  private readonly inferCache: Array<Map<string, { entry: Entry; dst: string; peers: Set<string> }> | undefined> = [];
  private readonly poCache = new Map<string, Map<string, Group[]>>();
  private readonly portOnly: boolean;
  private readonly maxEvidence: number;
  private readonly maxSet: number;
  private readonly inferMinPeers: number;
  private readonly maxGroups: number;
  private inferNew = 0;
  private inferBase = 0;
  private readonly by: FindingsBy;
  private readonly tz: string;
  /** Groups that cannot be proven by roles (port-only, probable): bounded. */
  private weakGroups = 0;
  private omittedFlows = 0;
  private readonly omittedKeys = new Set<string>();
  /** Omitted groups as data (for a partial's merge check), up to OMITTED_KEPT; `omittedAll` false beyond. */
  private readonly omittedList: OmittedGroup[] = [];
  private omittedAll = true;
  /** Seeded: weak groups the parts before this one admitted (by key), and room left for new ones. */
  private readonly seedAdmitted: Set<string> | null = null;
  /** Inference keys dropped by the 100,000 bound (a partial's merge check). */
  private inferDropped = false;
  private readonly seedInfer: Set<string> | null = null;
  /** (entry id, address) resolutions learned from URL logs, in order (a partial's merge). */
  private readonly learned: Array<[number, string]> = [];
  private readonly learnedSet = new Set<string>();
  /** hostOfIp entries set from URL logs, in order (bounded as hostOfIp). */
  private readonly hostLearned: Array<[string, string]> = [];
  private seeded = false;
  private lastHost: string | null = null;
  private lastHostEntries: Entry[] = [];
  /** Destination address → hostname, from the inventory hosts and URL logs (bounded). */
  private readonly hostOfIp = new Map<string, string>();
  /** Requirements hit by the flow being observed; only set inside `observeMatched`. */
  private hits: Entry[] | null = null;
  private readonly scratchHits: Entry[] = [];
  /** Time span of every flow seen (check-in window coverage). */
  private spanFirst: number | null = null;
  private spanLast: number | null = null;

  constructor(rulesets: Ruleset[], inventory: Inventory | null, opts: MatcherOptions = {}) {
    this.maxEvidence = opts.maxEvidence ?? 5;
    this.maxSet = opts.maxSet ?? 10;
    this.inferMinPeers = opts.inferMinPeers ?? 3;
    this.maxGroups = opts.maxGroups ?? 10_000;
    this.by = opts.by ?? 'requirement';
    this.tz = opts.tz ?? 'UTC';
    this.portOnly = inventory === null;
    this.index = opts.index ?? compileRequirements(rulesets, inventory, { portOnlyMaxPorts: opts.portOnlyMaxPorts ?? 1000 });
    for (const [ip, name] of this.index.staticHostOfIp) this.hostOfIp.set(ip, name);
    const seed = opts.seed;
    if (seed) {
      this.seedAdmitted = new Set(seed.admitted);
      this.weakGroups = seed.weakGroups;
      this.seedInfer = new Set(seed.inferKeys);
      this.inferBase = seed.inferKeys.length;
      for (const [id, dst] of seed.learned) this.resolve(id, dst);
      for (const [ip, name] of seed.hostOfIp) this.hostOfIp.set(ip, name);
      this.learned.length = 0; this.learnedSet.clear(); // a partial reports what it learned itself
      this.seeded = true;
    }
    if (inventory) {
      for (const e of this.index.entries) {
        if (!e.active || e.localOnly) continue;
        if (this.rows.has(e.rowKey)) continue;
        this.rows.set(e.rowKey, {
          row: { product: e.rs.id, requirement: e.req.id, necessity: e.req.necessity, purpose: e.req.purpose, source: sourceText(e.req) },
          stats: { allows: 0, denies: 0, first: null, last: null }, entry: e,
        });
      }
    }
  }

  /** The compiled requirement index this matcher uses (shared with diagnose). */
  get requirementIndex(): RequirementIndex { return this.index; }

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
    if (hits.length === 1) return hits[0]!.label;
    return [...new Set(hits.map((e) => e.label))].join(';');
  }

  /** Feeds one flow. Never keeps a reference to it. */
  observe(f: Flow): void {
    const ts = f.ts;
    if (ts !== null) {
      if (this.spanFirst === null || ts < this.spanFirst) this.spanFirst = ts;
      if (this.spanLast === null || ts > this.spanLast) this.spanLast = ts;
    }
    if (f.host !== null && f.dst_ip !== null && this.index.hostEntries.length > 0) this.learnHost(f.host, f.dst_ip);
    const action = f.action;
    if (action === 'unknown') return;
    const c = this.cls;
    if (!this.index.classify(f, c)) return;
    const allowed = action === 'allow';

    if (this.portOnly) {
      if (c.portOnly.length) this.recordPortOnly(f, c.portOnly, allowed);
      return;
    }
    for (let i = 0; i < c.hostCandidates.length; i++) this.addPending(c.hostCandidates[i]!, f);
    if (c.confirmed.length) {
      for (let i = 0; i < c.confirmed.length; i++) this.record(c.confirmed[i]!, 'confirmed', f, allowed, true);
    }
    if (!allowed) {
      for (let i = 0; i < c.conditional.length; i++) {
        const e = c.conditional[i]!;
        if (this.hits !== null) this.hits.push(e);
        const na = this.index.notApplicableEntry(e);
        if (na && na.denies !== undefined) na.denies++;
        this.record(e, 'conditional', f, false, true);
      }
    } else if (this.hits !== null) for (let i = 0; i < c.conditional.length; i++) this.hits.push(c.conditional[i]!);
    for (let i = 0; i < c.probable.length; i++) this.record(c.probable[i]!, 'probable', f, allowed, c.probSrc[i]!);
  }

  private learnHost(rawHost: string, dst: string): void {
    if (rawHost !== this.lastHost) {
      this.lastHost = rawHost;
      const h = normalizeHost(rawHost);
      this.lastHostEntries = this.index.hostEntries.filter((e) => e.hosts!.some((p) => hostMatches(h, p)));
    }
    for (const e of this.lastHostEntries) this.resolve(e.id, dst);
    if (this.lastHostEntries.length && this.hostOfIp.size < 100_000) {
      const name = normalizeHost(rawHost);
      this.hostOfIp.set(dst, name);
      this.hostLearned.push([dst, name]);
    }
  }

  /** A hostname requirement's destination learned from a URL log (recorded for the merge of partials). */
  private resolve(id: number, dst: string): void {
    const e = this.index.entries[id]!;
    if (e.resolved!.has(dst)) return;
    e.resolved!.add(dst);
    const k = `${id}|${dst}`;
    if (!this.learnedSet.has(k)) { this.learnedSet.add(k); this.learned.push([id, dst]); }
  }

  /** Counts a flow for a requirement (matrix for confirmed) and aggregates denies into a finding group. */
  private record(e: Entry, conf: Confidence, f: Flow, allowed: boolean, srcInside: boolean): void {
    if (this.hits !== null) this.hits.push(e);
    if (conf === 'confirmed' || conf === 'probable') {
      const row = this.rows.get(e.rowKey);
      if (row) bump(row.stats, allowed, f.ts);
    }
    if (allowed) return;
    // A range wider than WIDE_RANGE ports (dynamic RPC, passive FTP) is one finding per host pair:
    // every ephemeral port would otherwise be a finding of its own. IPv4 groups are found by number
    // (no key text per flow); IPv6 ones by text.
    const wide = e.span > WIDE_RANGE;
    let g: Group | undefined;
    const s4 = this.cls.s4, d4 = this.cls.d4;
    if (s4 >= 0 && d4 >= 0) {
      let bySrc = this.groups4.get(s4);
      if (bySrc === undefined) { bySrc = new Map(); this.groups4.set(s4, bySrc); }
      const k2 = d4 * 131072 + (wide ? 65536 : (f.dst_port ?? 65537));
      let list = bySrc.get(k2);
      if (list === undefined) { list = []; bySrc.set(k2, list); }
      for (let i = 0; i < list.length; i++) { const x = list[i]!; if (x.entry === e && x.confidence === conf) { g = x; break; } }
      if (!g) {
        if (!this.admit(conf, e, f.src_ip!, f.dst_ip!, f.transport!, f.dst_port)) return;
        g = this.createGroup(e, conf, f, srcInside); list.push(g);
      }
    } else {
      const key = groupKey(e, conf, f.src_ip!, f.dst_ip!, f.transport!, f.dst_port);
      g = this.groups.get(key);
      if (!g) {
        if (!this.admit(conf, e, f.src_ip!, f.dst_ip!, f.transport!, f.dst_port, key)) return;
        g = this.createGroup(e, conf, f, srcInside); this.groups.set(key, g);
      }
    }
    this.addToGroup(g, f);
  }

  /**
   * Bounded memory: port-only and probable groups beyond maxGroups are counted, not kept. Called when the
   * group does not exist yet (so once per omitted flow for an omitted group).
   */
  private admit(conf: Confidence, e: Entry, src: string, dst: string, transport: string, port: number | null, known?: string, count = 1): boolean {
    if (conf !== 'probable' && conf !== 'port-only') return true;
    const key = known ?? (conf === 'port-only' ? `po|${src}|${dst}|${transport}|${port}` : groupKey(e, conf, src, dst, transport, port));
    if (this.seedAdmitted !== null && this.seedAdmitted.has(key)) return true;
    if (this.weakGroups < this.maxGroups) { this.weakGroups++; return true; }
    this.omittedFlows += count;
    if (this.omittedKeys.size < 10_000 && !this.omittedKeys.has(key)) {
      this.omittedKeys.add(key);
      if (this.omittedList.length < OMITTED_KEPT) this.omittedList.push({ e: e.id, conf, src, dst, transport, port });
      else this.omittedAll = false;
    } else if (!this.omittedKeys.has(key)) this.omittedAll = false;
    return false;
  }

  private createGroup(e: Entry, conf: Confidence, f: Flow, srcInside: boolean): Group {
    const both = conf === 'confirmed' || conf === 'conditional';
    const srcRole = both || srcInside ? e.req.from : null;
    const dstRole = both || !srcInside ? (e.req.to ?? null) : null;
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
    // A pfirewall.log names no device: the firewall that decided is the Windows host's own.
    const dv = f.device ?? (f.format === 'winfw' ? this.winDevice(f) : null), rl = f.rule;
    if (dv !== null && g.devices.length < this.maxSet && !g.devices.includes(dv)) g.devices.push(dv);
    if (rl !== null && g.rules.length < this.maxSet && !g.rules.includes(rl)) g.rules.push(rl);
    if (g.formats.length < 4 && !g.formats.includes(f.format)) g.formats.push(f.format);
    const dir = f.direction;
    if (dir !== null && g.directions.length < 3 && !g.directions.includes(dir)) g.directions.push(dir);
    if (g.evidence.length < this.maxEvidence) g.evidence.push({ file: f.file, line: f.line });
  }

  private lastWinHost = '';
  private lastWinDevice = '';
  private winDevice(f: Flow): string {
    const host = (f.direction === 'outbound' ? f.src_ip : f.dst_ip) ?? '?';
    if (host !== this.lastWinHost) { this.lastWinHost = host; this.lastWinDevice = `Windows Firewall of ${host}`; }
    return this.lastWinDevice;
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

  private recordPortOnly(f: Flow, entries: readonly Entry[], allowed: boolean): void {
    let g: Group | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (this.hits !== null) this.hits.push(e);
      if (allowed) {
        if (e.inferable) this.inferObserve(e, f);
        continue;
      }
      if (!g) {
        g = this.portOnlyGroup(f);
        if (!g) {
          const key = `po|${f.src_ip}|${f.dst_ip}|${f.transport}|${f.dst_port}`;
          g = this.groups.get(key);
          if (!g) {
            if (!this.admit('port-only', e, f.src_ip!, f.dst_ip!, f.transport!, f.dst_port, key)) return;
            g = newGroup(e, 'port-only', f, null, null);
            g.candidates = new Set();
            this.groups.set(key, g);
            this.groupList.push(g);
          }
          let byDst = this.poCache.get(g.src);
          if (byDst === undefined) { byDst = new Map(); this.poCache.set(g.src, byDst); }
          const list = byDst.get(g.dst);
          if (list === undefined) byDst.set(g.dst, [g]); else list.push(g);
        }
        this.addToGroup(g, f);
      }
      g.candidates!.add(e.label);
    }
  }

  /**
   * The port-only group of this flow from `poCache` (source text → destination text → groups), which holds
   * groups of `groups` by their address strings: no key text per flow. Undefined when not cached yet.
   */
  private portOnlyGroup(f: Flow): Group | undefined {
    const list = this.poCache.get(f.src_ip!)?.get(f.dst_ip!);
    if (list === undefined) return undefined;
    const t = f.transport, p = f.dst_port;
    for (let i = 0; i < list.length; i++) { const x = list[i]!; if (x.port === p && x.transport === t) return x; }
    return undefined;
  }

  private inferObserve(e: Entry, f: Flow): void {
    // `inferCache` (entry → destination text → state) holds states of `infer` without a key text per flow
    let byDst = this.inferCache[e.id];
    if (byDst === undefined) { byDst = new Map(); this.inferCache[e.id] = byDst; }
    let s = byDst.get(f.dst_ip!);
    if (s === undefined) {
      const key = `${e.id}|${f.dst_ip}`;
      s = this.infer.get(key);
      if (!s) {
        if (this.seedInfer === null || !this.seedInfer.has(key)) {
          if (this.inferBase + this.inferNew >= INFER_MAX) { this.inferDropped = true; return; } // bounded memory
          this.inferNew++;
        }
        s = { entry: e, dst: f.dst_ip!, peers: new Set() };
        this.infer.set(key, s);
      }
      byDst.set(f.dst_ip!, s);
    }
    if (s.peers.size < this.inferMinPeers) s.peers.add(f.src_ip!);
  }

  /** This matcher's state as data, for `merge` in another thread (src/matcher/partial.ts). */
  partial(): MatcherPartial {
    const rows: MatcherPartial['rows'] = [];
    for (const [k, r] of this.rows) if (r.stats.allows || r.stats.denies) rows.push([k, r.stats.allows, r.stats.denies, r.stats.first, r.stats.last]);
    return {
      groups: this.groupList.map(groupState),
      pending: [...this.pending].map(([key, p]) => ({
        key, e: p.entry.id, src: p.src, dst: p.dst, transport: p.transport, port: p.port,
        allows: p.allows, allowFirst: p.allowFirst, allowLast: p.allowLast, deny: p.deny ? groupState(p.deny) : null,
      })),
      rows,
      infer: [...this.infer].map(([key, v]) => ({ key, e: v.entry.id, dst: v.dst, peers: [...v.peers] })),
      inferDropped: this.inferDropped,
      notApplicableDenies: this.index.notApplicable.map((n) => n.denies ?? 0),
      spanFirst: this.spanFirst, spanLast: this.spanLast,
      omittedFlows: this.omittedFlows, omitted: this.omittedList, omittedAll: this.omittedAll, omittedKeys: [...this.omittedKeys],
      learned: this.learned, hostOfIp: this.hostLearned, seeded: this.seeded,
    };
  }

  /**
   * Null when `p` (an unseeded partial of the input just after what this matcher has seen) merges exactly;
   * else the seed to match that part again with (src/matcher/partial.ts says which cases).
   */
  mergeNeeds(p: MatcherPartial): MatcherSeed | null {
    if (p.seeded) return null;
    let need = this.learned.length > 0 || (p.inferDropped && this.infer.size > 0);
    if (!need && p.omittedFlows > 0) {
      need = !p.omittedAll || p.omitted.some((o) => this.findGroup(this.index.entries[o.e]!, o.conf, o.src, o.dst, o.transport, o.port) !== undefined);
    }
    if (!need) return null;
    const admitted: string[] = [];
    for (const g of this.groupList) {
      if (g.confidence === 'port-only') admitted.push(`po|${g.src}|${g.dst}|${g.transport}|${g.port}`);
      else if (g.confidence === 'probable') admitted.push(groupKey(g.entry, g.confidence, g.src, g.dst, g.transport, g.port));
    }
    return { admitted, weakGroups: this.weakGroups, inferKeys: [...this.infer.keys()], learned: this.learned.slice(), hostOfIp: this.hostLearned.slice() };
  }

  /**
   * Adds the state of a part of the input read after everything this matcher has seen (in input order);
   * `lineOffset` is added to its evidence line numbers (a byte range of a file counts lines from 1).
   * Check `mergeNeeds` first.
   */
  merge(p: MatcherPartial, lineOffset = 0): void {
    const entries = this.index.entries;
    if (p.spanFirst !== null && (this.spanFirst === null || p.spanFirst < this.spanFirst)) this.spanFirst = p.spanFirst;
    if (p.spanLast !== null && (this.spanLast === null || p.spanLast > this.spanLast)) this.spanLast = p.spanLast;
    for (const [id, dst] of p.learned) this.resolve(id, dst);
    for (const [dst, name] of p.hostOfIp) if (this.hostOfIp.size < 100_000) { this.hostOfIp.set(dst, name); this.hostLearned.push([dst, name]); }
    p.notApplicableDenies.forEach((n, i) => { const na = this.index.notApplicable[i]; if (na && na.denies !== undefined) na.denies += n; });
    for (const [k, allows, denies, first, last] of p.rows) {
      const r = this.rows.get(k);
      if (!r) continue;
      r.stats.allows += allows; r.stats.denies += denies;
      widen(r.stats, first); widen(r.stats, last);
    }
    for (const gs of p.packed ? unpackGroups(p.packed) : p.groups) {
      const e = entries[gs.e]!;
      let g = this.findGroup(e, gs.conf, gs.src, gs.dst, gs.transport, gs.port);
      if (!g) {
        if (!this.admit(gs.conf, e, gs.src, gs.dst, gs.transport, gs.port, undefined, gs.count)) continue;
        g = this.fromState(gs, lineOffset);
        this.groupList.push(g);
        this.putGroup(g);
        continue;
      }
      this.mergeInto(g, gs, lineOffset);
    }
    this.omittedFlows += p.omittedFlows;
    for (const k of p.omittedKeys) if (this.omittedKeys.size < 10_000) this.omittedKeys.add(k);
    if (!p.omittedAll) this.omittedAll = false;
    for (const o of p.omitted) if (this.omittedList.length < OMITTED_KEPT) this.omittedList.push(o);
    for (const q of p.pending) {
      let t = this.pending.get(q.key);
      if (!t) {
        t = { entry: entries[q.e]!, src: q.src, dst: q.dst, transport: q.transport, port: q.port, allows: 0, allowFirst: null, allowLast: null, deny: null };
        this.pending.set(q.key, t);
      }
      t.allows += q.allows;
      if (q.allowFirst !== null && (t.allowFirst === null || q.allowFirst < t.allowFirst)) t.allowFirst = q.allowFirst;
      if (q.allowLast !== null && (t.allowLast === null || q.allowLast > t.allowLast)) t.allowLast = q.allowLast;
      if (q.deny) {
        if (!t.deny) t.deny = this.fromState(q.deny, lineOffset);
        else this.mergeInto(t.deny, q.deny, lineOffset);
      }
    }
    for (const q of p.infer) {
      let s = this.infer.get(q.key);
      if (!s) {
        if (this.infer.size >= INFER_MAX) { this.inferDropped = true; continue; }
        s = { entry: entries[q.e]!, dst: q.dst, peers: new Set() };
        this.infer.set(q.key, s);
      }
      for (const peer of q.peers) if (s.peers.size < this.inferMinPeers) s.peers.add(peer);
    }
  }

  /** The group of these fields, as `record` and `recordPortOnly` find it. */
  private findGroup(e: Entry, conf: Confidence, src: string, dst: string, transport: string, port: number | null): Group | undefined {
    if (conf === 'port-only') return this.groups.get(`po|${src}|${dst}|${transport}|${port}`);
    const s4 = ipv4ToInt(src), d4 = ipv4ToInt(dst);
    if (s4 >= 0 && d4 >= 0) {
      const list = this.groups4.get(s4)?.get(d4 * 131072 + (e.span > WIDE_RANGE ? 65536 : (port ?? 65537)));
      return list?.find((x) => x.entry === e && x.confidence === conf);
    }
    return this.groups.get(groupKey(e, conf, src, dst, transport, port));
  }

  private putGroup(g: Group): void {
    if (g.confidence === 'port-only') { this.groups.set(`po|${g.src}|${g.dst}|${g.transport}|${g.port}`, g); return; }
    const s4 = ipv4ToInt(g.src), d4 = ipv4ToInt(g.dst);
    if (s4 >= 0 && d4 >= 0) {
      let bySrc = this.groups4.get(s4);
      if (bySrc === undefined) { bySrc = new Map(); this.groups4.set(s4, bySrc); }
      const k2 = d4 * 131072 + (g.entry.span > WIDE_RANGE ? 65536 : (g.port ?? 65537));
      let list = bySrc.get(k2);
      if (list === undefined) { list = []; bySrc.set(k2, list); }
      list.push(g);
      return;
    }
    this.groups.set(groupKey(g.entry, g.confidence, g.src, g.dst, g.transport, g.port), g);
  }

  /**
   * One copy of each repeated text of merged groups (device, rule, file, role, candidate: a partial from
   * another thread brings its own copy of each, per group), up to 100,000 distinct texts.
   */
  private readonly texts = new Map<string, string>();
  private text(s: string): string {
    const t = this.texts.get(s);
    if (t !== undefined) return t;
    if (this.texts.size < 100_000) this.texts.set(s, s);
    return s;
  }
  private textOrNull(s: string | null): string | null { return s === null ? null : this.text(s); }

  private fromState(s: GroupState, lineOffset: number): Group {
    const e = this.index.entries[s.e]!;
    const t = (x: string) => this.text(x);
    return {
      entry: e, confidence: s.conf, src: s.src, dst: s.dst, transport: t(s.transport), port: s.port, srcRole: this.textOrNull(s.srcRole), dstRole: this.textOrNull(s.dstRole),
      count: s.count, first: s.first, last: s.last, devices: s.devices.map(t), rules: s.rules.map(t), formats: s.formats.map(t),
      directions: s.directions.map(t), evidence: s.evidence.map((r) => ({ file: t(r.file), line: r.line + lineOffset })),
      candidates: s.candidates ? new Set(s.candidates.map(t)) : null, ports: s.ports ? new Set(s.ports) : null,
    };
  }

  private mergeInto(g: Group, s: GroupState, lineOffset: number): void {
    g.count += s.count;
    if (s.first !== null && (g.first === null || s.first < g.first)) g.first = s.first;
    if (s.last !== null && (g.last === null || s.last > g.last)) g.last = s.last;
    if (g.ports !== null && s.ports) for (const p of s.ports) if (g.ports.size < this.maxSet) g.ports.add(p);
    for (const d of s.devices) if (g.devices.length < this.maxSet && !g.devices.includes(d)) g.devices.push(this.text(d));
    for (const r of s.rules) if (g.rules.length < this.maxSet && !g.rules.includes(r)) g.rules.push(this.text(r));
    for (const x of s.formats) if (g.formats.length < 4 && !g.formats.includes(x)) g.formats.push(this.text(x));
    for (const x of s.directions) if (g.directions.length < 3 && !g.directions.includes(x)) g.directions.push(this.text(x));
    for (const r of s.evidence) if (g.evidence.length < this.maxEvidence) g.evidence.push({ file: this.text(r.file), line: r.line + lineOffset });
    if (g.candidates !== null && s.candidates) for (const c of s.candidates) if (!g.candidates.has(c)) g.candidates.add(this.text(c));
  }

  result(opts: { by?: FindingsBy } = {}): MatchResult {
    const by = opts.by ?? this.by;
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

    let findings: Finding[] = [];
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
      // `--by host` keeps the fields of earlier versions exactly (the SQL matcher compares against it).
      if (by === 'requirement' && g.formats.length) fnd.formats = g.formats.slice().sort();
      if (by === 'requirement' && g.directions.length) fnd.directions = g.directions.slice().sort();
      if (g.confidence === 'port-only') {
        fnd.candidates = [...g.candidates!].sort();
        fnd.src_role = inferredByIp.get(g.src) ?? null;
        fnd.dst_role = inferredByIp.get(g.dst) ?? null;
      } else {
        const ports = e.ports.length ? ` ${e.portText}` : '';
        const from = g.confidence !== 'probable' || g.srcRole ? (e.fromScope ?? g.src) : g.src;
        const to = e.hosts ? (e.toScope ?? g.dst) : g.confidence !== 'probable' || g.dstRole ? (e.toScope ?? g.dst) : g.dst;
        fnd.open = `${req.transport.toUpperCase()}${ports} from ${from} to ${to}`;
      }
      findings.push(fnd);
    }
    findings.sort(compareFindings);
    if (by === 'requirement') findings = groupFindings(findings);
    if (!this.portOnly) {
      for (const f of findings) if (f.confidence !== 'port-only') {
        const e = this.entryOf(f.product, f.requirement);
        if (!e) continue;
        if (f.confidence === 'conditional') conditionalFields(f, e, this.alternativesOf(e, f));
        if (by === 'requirement') f.remediation = remediationFor(f, e);
      }
    }

    const requirements: MatrixRow[] = [];
    for (const [k, r] of this.rows) {
      const st = rowStats.get(k)!;
      const status = st.denies && st.allows ? 'intermittent' : st.denies ? 'violated' : st.allows ? 'ok' : 'unobserved';
      const row: MatrixRow = { ...r.row, status, allows: st.allows, denies: st.denies, first_seen: isoUtc(st.first), last_seen: isoUtc(st.last) };
      if (r.entry.req.window && by === 'requirement') {
        row.window = r.entry.req.window;
        row.window_covered = windowCoverage(r.entry.req.window, this.spanFirst, this.spanLast, this.tz);
      }
      requirements.push(row);
    }
    requirements.sort((a, b) => cmpText(a.product, b.product) || compareStatus(a.status, b.status) || cmpText(a.requirement, b.requirement));

    const res: MatchResult = {
      findings, requirements, inferred_roles: inferred, not_applicable: this.index.notApplicable.map((n) => ({ ...n })),
      unresolved_host_candidates: unresolved,
    };
    if (this.omittedFlows) res.omitted = { groups: this.omittedKeys.size, flows: this.omittedFlows };
    return res;
  }

  /** Other off requirements of the same deployment and role pair whose ports cover the finding's ports. */
  private alternativesOf(e: Entry, f: Finding): Entry[] {
    const ports = f.dst_ports ?? (f.dst_port !== null ? [f.dst_port] : []);
    return this.index.entries.filter((o) => o !== e && o.dep === e.dep && !o.active && !o.localOnly && o.req.from === e.req.from &&
      (o.req.to ?? '') === (e.req.to ?? '') && o.req.transport === e.req.transport &&
      (o.ports.length === 0 ? e.ports.length === 0 : ports.some((p) => o.ports.some(([lo, hi]) => p >= lo && p <= hi))));
  }

  private entryOf(product: string, requirement: string): Entry | undefined {
    const row = this.rows.get(`${product}\u0000${requirement}`);
    if (row) return row.entry;
    return this.index.entries.find((e) => e.rs.id === product && e.req.id === requirement);
  }
}

/** The parameter that would turn a conditional requirement on, in words. */
function conditionalFields(fnd: Finding, e: Entry, alts: Entry[] = []): void {
  const w = e.when;
  if (alts.length) {
    fnd.alternatives = alts.map((a) => ({ requirement: a.req.id, condition: a.req.condition ?? null, parameter: a.when?.param ?? null, suggestion: a.when?.suggestion ?? null }));
  }
  const altText = alts.length ? ` (or ${alts.map((a) => `${a.when ? a.when.suggestion : 'its condition'} for ${a.req.id}`).join(', or ')})` : '';
  fnd.condition = e.req.condition ?? null;
  if (w) fnd.parameter = { name: w.param, value: w.current, suggestion: w.suggestion };
  const many = fnd.hosts && fnd.hosts.side === 'src' && fnd.hosts.count > 1 ? ` (+${fnd.hosts.count - 1} more)` : '';
  const who = `${fnd.src_role ? `${fnd.src_role}s ` : ''}${fnd.src_ip}${many}`;
  const what = e.req.purpose.replace(/\.$/, '');
  const port = `${fnd.transport.toUpperCase()} ${fnd.dst_ports ? e.portText : fnd.dst_port ?? ''}`.trim();
  const turnOn = w ? `${w.suggestion} for ${e.rs.id} if that is intended` : `the requirement is off (${e.req.condition ?? 'its condition does not hold'})`;
  if (e.mismatch && w) {
    fnd.mismatch = e.mismatch;
    fnd.note = `${e.mismatch}: ${who} try ${port} (${e.req.condition ?? what}) while the deployment has \`${w.param}: ${String(w.current)}\`; agents and server may be on different versions — upgrade them to one version, or ${turnOn}`;
  } else {
    fnd.note = `${who} try ${what} on ${port}: ${turnOn}${altText}`;
  }
}

export function compareFindings(a: Finding, b: Finding): number {
  return CONF_ORDER[a.confidence] - CONF_ORDER[b.confidence] || b.count - a.count ||
    cmpText(a.product, b.product) || cmpText(a.requirement, b.requirement) ||
    cmpText(a.src_ip, b.src_ip) || cmpText(a.dst_ip, b.dst_ip) || (a.dst_port ?? -1) - (b.dst_port ?? -1);
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
    srcRole, dstRole, count: 0, first: null, last: null, devices: [], rules: [], formats: [], directions: [], evidence: [], candidates: null,
    ports: e.span > WIDE_RANGE ? new Set() : null,
  };
}

function groupState(g: Group): GroupState {
  return {
    e: g.entry.id, conf: g.confidence, src: g.src, dst: g.dst, transport: g.transport, port: g.port, srcRole: g.srcRole, dstRole: g.dstRole,
    count: g.count, first: g.first, last: g.last, devices: g.devices, rules: g.rules, formats: g.formats, directions: g.directions,
    evidence: g.evidence, candidates: g.candidates ? [...g.candidates] : null, ports: g.ports ? [...g.ports] : null,
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
