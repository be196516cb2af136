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
