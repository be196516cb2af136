/**
 * Matcher state of one part of the input, for matching on worker threads (src/pipeline/pool.ts): each
 * worker matches its files or byte ranges with its own Matcher and returns a `MatcherPartial`; the main
 * thread merges the partials in input order (`Matcher.merge`) so the result is the one a single Matcher
 * reading every flow in order gives — same findings, same order, same first hosts and evidence lines.
 *
 * Why merging in order is exact: every piece of state is a sum (counts), a min/max (first/last seen), a
 * union (candidates), or "the first N distinct values in order" (devices, rules, evidence, ports, peers),
 * and the first N distinct of A·B are the first N distinct of (first N distinct of A)·(first N of B).
 * Three things depend on what came before and are checked at the merge (`Matcher.mergeNeeds`); when the
 * check fails the part is matched again with a `MatcherSeed` (what the parts before it decided):
 * - the bound on port-only/probable groups: a part that omitted a group the parts before it had admitted;
 * - the bound on role-inference keys (same);
 * - hostnames learned from URL logs before the part (a flow to such an address is matched differently).
 */
import type { Confidence, EvidenceRef } from '../model/finding.js';
import type { WireMatch } from '../pipeline/worker.js';
import type { Matcher } from './matcher.js';
import type { AddrSet } from '../inventory/addr.js';
import { roleText } from '../requirements/index.js';
import { BugError } from '../model/errors.js';

/** A finding group as data: `e` is the requirement's index in the compiled index (the same in every thread). */
export interface GroupState {
  e: number; conf: Confidence; src: string; dst: string; transport: string; port: number | null;
  srcRole: string | null; dstRole: string | null; count: number; first: number | null; last: number | null;
  devices: string[]; rules: string[]; formats: string[]; directions: string[]; evidence: EvidenceRef[];
  candidates: string[] | null; ports: number[] | null;
}

export interface OmittedGroup { e: number; conf: Confidence; src: string; dst: string; transport: string; port: number | null }

export interface MatcherPartial {
  groups: GroupState[];
  pending: Array<{
    key: string; e: number; src: string; dst: string; transport: string; port: number | null;
    allows: number; allowFirst: number | null; allowLast: number | null; deny: GroupState | null;
  }>;
  rows: Array<[string, number, number, number | null, number | null]>;
  infer: Array<{ key: string; e: number; dst: string; peers: string[] }>;
  inferDropped: boolean;
  notApplicableDenies: number[];
  spanFirst: number | null;
  spanLast: number | null;
  omittedFlows: number;
  /** Every omitted group when `omittedAll`, else the first ones. */
  omitted: OmittedGroup[];
  omittedAll: boolean;
  omittedKeys: string[];
  learned: Array<[number, string]>;
  hostOfIp: Array<[string, string]>;
  /** This part was matched with a seed (its merge is exact by construction). */
  seeded: boolean;
  /** `groups` in compact form (`packPartial`: between threads); `groups` is then empty. */
  packed?: PackedGroups;
}

export interface MatcherSeed {
  /** Keys of the port-only/probable groups admitted before this part, and how many there are. */
  admitted: string[];
  weakGroups: number;
  inferKeys: string[];
  learned: Array<[number, string]>;
  hostOfIp: Array<[string, string]>;
}

/**
 * What a worker thread gets to match with: the rulesets and the inventory, but the inventory's address sets
 * replaced by their role text (all a worker's compile reads of them) and the address index compiled once by
 * the main thread's matcher `into`, its typed arrays on shared memory. A worker used to clone the sets and
 * compile its own index: 13 + 19 MB per worker with 100,000 inventory entries.
 */
export function workerMatch(wire: WireMatch, into: Matcher): WireMatch {
  const inv = wire.inventory;
  if (!inv || inv.deployments.length === 0) return wire;
  const deployments = inv.deployments.map((d) => ({
    ...d, roles: new Map([...d.roles].map(([role, set]): [string, AddrSet] => [role, { v4: [], v6: [], text: [], roleText: roleText(set) }])),
  }));
  return { ...wire, inventory: { ...inv, deployments }, addrIndex: into.requirementIndex.addrIndexWire() };
}

/**
 * Finding groups in compact form for the trip to the main thread: every text once in `strings` and the
 * rest as numbers, instead of ~25 objects and strings per group. The main thread used to receive each
 * partial as an object graph (~8 MB for 4,000 port-only groups), kept it in its heap until its turn to
 * merge (long enough to be promoted to the old generation) and copied the texts it kept; now it holds a
 * string table and one typed array until the merge, which reads the groups one at a time (`unpackGroups`)
 * and keeps the table's strings.
 *
 * Per group in `nums`: e, conf, src, dst, transport, port (-1: null), srcRole, dstRole (-1: null), count,
 * first, last (NaN: null), then the lists devices, rules, formats, directions (length, texts), evidence
 * (length, then file and line each), candidates and ports (-1: null, else length and items).
 */
export interface PackedGroups { strings: string[]; nums: Float64Array; n: number }

export function packGroups(groups: readonly GroupState[]): PackedGroups {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (x: string): number => {
    let i = ids.get(x);
    if (i === undefined) { i = strings.push(x) - 1; ids.set(x, i); }
    return i;
  };
  const nums: number[] = [];
  const texts = (l: readonly string[]): void => { nums.push(l.length); for (const x of l) nums.push(id(x)); };
  for (const g of groups) {
    nums.push(g.e, id(g.conf), id(g.src), id(g.dst), id(g.transport), g.port ?? -1, g.srcRole === null ? -1 : id(g.srcRole), g.dstRole === null ? -1 : id(g.dstRole),
      g.count, g.first ?? NaN, g.last ?? NaN);
    texts(g.devices); texts(g.rules); texts(g.formats); texts(g.directions);
    nums.push(g.evidence.length);
    for (const r of g.evidence) nums.push(id(r.file), r.line);
    if (g.candidates === null) nums.push(-1); else texts(g.candidates);
    if (g.ports === null) nums.push(-1); else { nums.push(g.ports.length); for (const p of g.ports) nums.push(p); }
  }
  return { strings, nums: Float64Array.from(nums), n: groups.length };
}

/** The groups of `packGroups`, one fresh GroupState at a time (its texts are the table's strings). */
export function* unpackGroups(pg: PackedGroups): Generator<GroupState> {
  const { strings, nums } = pg;
  let k = 0;
  const str = (): string => strings[nums[k++]!]!;
  const orNull = (): string | null => { const i = nums[k++]!; return i < 0 ? null : strings[i]!; };
  const texts = (): string[] => { const n = nums[k++]!; const out = new Array<string>(n); for (let i = 0; i < n; i++) out[i] = str(); return out; };
  for (let g = 0; g < pg.n; g++) {
    const e = nums[k++]!, conf = str() as Confidence, src = str(), dst = str(), transport = str();
    const port = nums[k++]!, srcRole = orNull(), dstRole = orNull(), count = nums[k++]!, first = nums[k++]!, last = nums[k++]!;
    const devices = texts(), rules = texts(), formats = texts(), directions = texts();
    const ne = nums[k++]!;
    const evidence: EvidenceRef[] = new Array(ne);
    for (let i = 0; i < ne; i++) { const file = str(); evidence[i] = { file, line: nums[k++]! }; }
    const candidates = nums[k]! < 0 ? (k++, null) : texts();
    let ports: number[] | null = null;
    if (nums[k]! < 0) k++; else { const n = nums[k++]!; ports = new Array(n); for (let i = 0; i < n; i++) ports[i] = nums[k++]!; }
    yield {
      e, conf, src, dst, transport, port: port < 0 ? null : port, srcRole, dstRole, count,
      first: Number.isNaN(first) ? null : first, last: Number.isNaN(last) ? null : last,
      devices, rules, formats, directions, evidence, candidates, ports,
    };
  }
  if (k !== nums.length) throw new BugError(`packed matcher groups: ${nums.length - k} numbers left over`);
}

/** A partial for another thread: its groups packed (`packGroups`). */
export function packPartial(p: MatcherPartial): MatcherPartial {
  return { ...p, groups: [], packed: packGroups(p.groups) };
}
