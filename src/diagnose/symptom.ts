/**
 * `fwaudit diagnose --product ID --symptom NAME`: the vendor-named symptoms of the rulesets (`symptoms:`
 * lists), checked against the logs. No code per product: each requirement linked to the symptom is matched
 * on transport and ports (parameters from the inventory deployment, `--param`, else the ruleset defaults),
 * with its source in the `from` role and its destination in the `to` role / `hosts` (when an inventory is
 * given), and with `--host` at either end of the flow.
 *
 * Per requirement: blocked (only denies), partly blocked (denies and allows), ok (only allows), no evidence.
 * Overall verdict: blocked > partly-blocked > reachable > no-evidence (the worst requirement decides).
 * Requirements whose condition does not hold (e.g. the version-11 port on version 12) are not judged, but
 * flows matching them are reported so a wrong parameter shows up.
 */
import type { Flow } from '../model/flow.js';
import type { PortIntervals, Requirement, Ruleset } from '../model/ruleset.js';
import type { Inventory } from '../inventory/load.js';
import { formatIntervals, resolvePorts } from '../rulesets/ports.js';
import { Classification, compileRequirements, type CompiledRequirement, type RequirementIndex } from '../requirements/index.js';
import {
  blockedSentence, DenyGroups, DiagnoseArgError, EVIDENCE_CAP, effectiveParams, evidenceOf, inWindow, openSentence, plural, refsText,
  requirementRef, type Evidence, type RequirementRef, type TimeWindow, windowJson,
} from './common.js';

export type SymptomDef = NonNullable<Ruleset['symptoms']>[number];
export type ReqStatus = 'blocked' | 'partly blocked' | 'ok' | 'no evidence';
export type SymptomVerdict = 'blocked' | 'partly-blocked' | 'reachable' | 'no-evidence';

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Finds the ruleset and symptom named on the command line (id, or the symptom's words). */
export function findSymptom(rulesets: Ruleset[], product: string | undefined, name: string): { rs: Ruleset; symptom: SymptomDef } {
  let pool = rulesets;
  if (product !== undefined) {
    const p = product.toLowerCase();
    pool = rulesets.filter((r) => r.id === product);
    if (pool.length === 0) pool = rulesets.filter((r) => r.product.toLowerCase().includes(p) || r.id.includes(p));
    if (pool.length === 0) throw new DiagnoseArgError(`--product "${product}": no such ruleset (known: ${rulesets.map((r) => r.id).join(', ')})`);
    if (pool.length > 1) throw new DiagnoseArgError(`--product "${product}" names several rulesets: ${pool.map((r) => r.id).join(', ')}`);
  }
  const all = pool.flatMap((rs) => (rs.symptoms ?? []).map((symptom) => ({ rs, symptom })));
  const n = slug(name);
  let hits = all.filter((x) => x.symptom.id === name || slug(x.symptom.id) === n);
  if (hits.length === 0) hits = all.filter((x) => slug(x.symptom.text) === n);
  if (hits.length === 0) hits = all.filter((x) => slug(x.symptom.text).includes(n) || x.symptom.id.includes(n));
  if (hits.length === 0) {
    throw new DiagnoseArgError(`--symptom "${name}": no such symptom${product ? ` for ${pool[0]!.id}` : ''} (see fwaudit diagnose --list; known: ${all.map((x) => `${x.rs.id}:${x.symptom.id}`).join(', ')})`);
  }
  if (hits.length > 1) {
    throw new DiagnoseArgError(`--symptom "${name}" matches several symptoms: ${hits.map((x) => `${x.rs.id}:${x.symptom.id}`).join(', ')}${product ? '' : ' (add --product ID)'}`);
  }
  return hits[0]!;
}

/** Aggregates of the flows of one requirement (never the flows themselves). */
interface Tally {
  allows: number; denies: number; unknown: number;
  denyEv: Evidence[]; allowEv: Evidence[];
  groups: DenyGroups;
}

function newTally(): Tally {
  return { allows: 0, denies: 0, unknown: 0, denyEv: [], allowEv: [], groups: new DenyGroups() };
}

interface Entry extends Tally {
  req: Requirement;
  active: boolean;
  ports: PortIntervals | null;
  portError: string | null;
  notes: string[];
}

export interface RequirementVerdict extends RequirementRef {
  status: ReqStatus;
  active: boolean;
  from_role: string;
  to_role: string | null;
  hosts: string[] | null;
  allowed: number;
  denied: number;
  unknown: number;
  blocked_by: string[];
  open: string[];
  notes: string[];
  evidence: Evidence[];
}

export interface SymptomResult {
  verdict: SymptomVerdict;
  headline: string;
  product: string;
  ruleset: string;
  symptom: { id: string; text: string; advice: string | null };
  host: string | null;
  window: ReturnType<typeof windowJson>;
  params: Record<string, number | string | boolean>;
  requirements: RequirementVerdict[];
  not_applicable: RequirementVerdict[];
  evidence: Evidence[];
  advice: string[];
}

export interface SymptomOptions {
  rs: Ruleset;
  symptom: SymptomDef;
  host: string | null;
  window: TimeWindow | null;
  inventory: Inventory | null;
  params?: Record<string, number | string | boolean>;
}

/** Hostname-requirement flows whose destination is not yet known to be one of the hosts: decided at the end. */
const PENDING_CAP = 10_000;

export class SymptomDiagnosis {
  private readonly entries: Entry[] = [];
  private readonly byReq = new Map<string, Entry>();
  private readonly params: Record<string, number | string | boolean>;
  /** The compiled requirement index shared with the matcher: same roles, ports, owners and confidences as `analyze`. */
  private readonly index: RequirementIndex;
  private readonly cls = new Classification();
  private readonly pending = new Map<string, { e: Entry; ce: CompiledRequirement; dst: string; t: Tally }>();
  private pendingDropped = 0;
  private outside = 0;

  constructor(private readonly o: SymptomOptions) {
    const { rs, symptom, inventory } = o;
    this.params = effectiveParams(rs, inventory, o.params ?? {});
    const deployed = inventory?.deployments.some((d) => d.product === rs.id) ?? false;
    const overrides = { [rs.id]: { ...(o.params ?? {}) } };
    // With a deployment: the analyze index (confirmed, probable, conditional). Without one: ports alone
    // between internal addresses (analyze's port-only), with `when` evaluated and no range-size limit.
    this.index = deployed
      ? compileRequirements(inventory!.deployments.map((d) => d.ruleset), inventory, { paramOverrides: overrides })
      : compileRequirements([rs], null, { evaluateWhen: true, portOnlyMaxPorts: Infinity, paramOverrides: overrides });
    const dep = inventory?.deployments.find((d) => d.product === rs.id) ?? null;
    for (const id of symptom.requirements) {
      const req = rs.requirements.find((r) => r.id === id);
      if (!req) continue; // the ruleset loader validates references; nothing to judge
      const notes: string[] = [];
      let ports: PortIntervals | null = null, portError: string | null = null;
      try { ports = req.ports === null ? null : resolvePorts(req.ports, this.params); } catch (e) { portError = (e as Error).message; }
      if (dep) {
        for (const role of [req.from, req.to]) {
          if (role && role !== 'internet' && !dep.roles.has(role)) {
            notes.push(`role "${role}" is not in the inventory: only private addresses outside the inventory are taken for it (as analyze's probable findings)`);
          }
        }
      } else if (inventory) {
        notes.push(`${rs.id} has no deployment in the inventory: matched on transport and port between internal addresses (as analyze without an inventory)`);
      }
      const e: Entry = { ...newTally(), req, active: !!req && !req.local_only && this.isActive(req), ports, portError, notes };
      this.entries.push(e);
      this.byReq.set(req.id, e);
    }
  }

  private isActive(req: Requirement): boolean {
    const ce = this.index.entries.find((x) => x.rs.id === this.o.rs.id && x.req.id === req.id);
    return ce ? ce.active : false;
  }

  observe(f: Flow): void {
    if (this.o.host !== null && f.src_ip !== this.o.host && f.dst_ip !== this.o.host) return;
    if (f.host && f.dst_ip && this.index.hostEntries.length > 0) this.index.learnHost(f.host, f.dst_ip);
    const c = this.cls;
    if (!this.index.classify(f, c)) return;
    let counted = false;
    const inW = inWindow(this.o.window, f.ts);
    const take = (ce: CompiledRequirement, pendingHost: boolean) => {
      if (ce.rs.id !== this.o.rs.id) return;
      const e = this.byReq.get(ce.req.id);
      if (!e || e.portError) return;
      if (!inW) { if (!counted) { this.outside++; counted = true; } return; }
      if (pendingHost) { this.addPending(e, ce, f); return; }
      count(e, f);
    };
    for (const ce of c.confirmed) take(ce, false);
    for (const ce of c.probable) take(ce, false);
    for (const ce of c.portOnly) take(ce, !!ce.hosts && !ce.resolved!.has(f.dst_ip!));
    for (const ce of c.conditional) take(ce, false);
    for (const ce of c.hostCandidates) take(ce, true);
  }

  private addPending(e: Entry, ce: CompiledRequirement, f: Flow): void {
    const key = `${ce.id}|${f.dst_ip}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= PENDING_CAP) { this.pendingDropped++; return; }
      p = { e, ce, dst: f.dst_ip!, t: newTally() };
      this.pending.set(key, p);
    }
    count(p.t, f);
  }

  result(): SymptomResult {
    for (const p of this.pending.values()) if (p.ce.resolved!.has(p.dst)) merge(p.e, p.t);
    const { rs, symptom } = this.o;
    const verdicts = this.entries.map((e) => this.verdictOf(e));
    const active = verdicts.filter((v) => v.active);
    const inactive = verdicts.filter((v) => !v.active);
    const has = (s: ReqStatus) => active.filter((v) => v.status === s);
    const verdict: SymptomVerdict = has('blocked').length ? 'blocked' : has('partly blocked').length ? 'partly-blocked' : has('ok').length ? 'reachable' : 'no-evidence';

    const who = this.o.host ? ` for ${this.o.host}` : '';
    const bad = [...has('blocked'), ...has('partly blocked')];
    const headline = verdict === 'no-evidence'
      ? `no flow of the ${plural(active.length, 'requirement')} of this symptom was logged${who}`
      : verdict === 'reachable'
        ? `every flow of this symptom's requirements seen${who} was allowed`
        : `${bad.length} of ${plural(active.length, 'requirement')} ${verdict === 'blocked' ? 'blocked' : 'partly blocked'}${who}: ${bad.map((v) => `${v.requirement} (${v.transport.toUpperCase()} ${v.ports}, ${v.status})`).join(', ')}`;

    const advice: string[] = [];
    for (const v of bad) {
      advice.push(`${v.requirement} (${v.purpose.replace(/\.$/, '')}) is ${v.status}: ${plural(v.denied, 'denied flow')}${v.allowed ? `, ${v.allowed} allowed` : ''}.`);
      advice.push(...v.blocked_by, ...v.open);
      advice.push(`Vendor requirement: ${v.cite}.`);
    }
    for (const v of active.filter((x) => x.status === 'no evidence')) {
      advice.push(`No flow logged for ${v.requirement}: ${v.transport.toUpperCase()} ${v.ports} from ${v.from_role} to ${v.hosts ? v.hosts.join(', ') : v.to_role}.`);
    }
    // Flows on requirements whose condition does not hold: one note per port set and condition parameter.
    const notes = new Map<string, { ids: string[]; v: RequirementVerdict }>();
    for (const v of inactive) {
      if (v.denied + v.allowed === 0) continue;
      const key = `${v.transport} ${v.ports}|${paramText(this.params, rs, v.requirement)}|${v.denied}|${v.allowed}`;
      const n = notes.get(key);
      if (n) n.ids.push(v.requirement); else notes.set(key, { ids: [v.requirement], v });
    }
    for (const { ids, v } of notes.values()) {
      advice.push(`Note: ${plural(v.denied, 'denied flow')} and ${plural(v.allowed, 'allowed flow')} (${refsText(v.evidence)}) match ${ids.join(', ')} (${v.transport.toUpperCase()} ${v.ports}), which do${ids.length === 1 ? 'es' : ''} not apply here: ${v.condition ?? 'its condition does not hold'}, but ${paramText(this.params, rs, v.requirement)}. If that is wrong, set the parameter in the inventory (params:) or with --param.`);
    }
    if (verdict === 'no-evidence') {
      advice.push(`The logs that would show it: the host firewall log of the destination (Windows: pfirewall.log with "netsh advfirewall set allprofiles logging droppedconnections enable") or the traffic log of the firewall on the path.`);
    }
    if (this.outside > 0) advice.push(`Note: ${plural(this.outside, 'matching flow')} fall outside the window; widen --window or drop --at to include them.`);
    if (this.pendingDropped > 0) advice.push(`Note: ${this.pendingDropped} flows towards unresolved hostnames were not examined (too many destinations); list the update hosts under hosts: in the inventory.`);
    if (symptom.advice) advice.push(`Vendor advice (${rs.id}): ${symptom.advice.trim()}`);

    const seen = new Set<string>();
    const evidence: Evidence[] = [];
    for (const ev of [...bad.flatMap((v) => v.evidence.filter((x) => x.action === 'deny')), ...active.flatMap((v) => v.evidence)]) {
      const k = `${ev.file}:${ev.line}`;
      if (seen.has(k)) continue;
      seen.add(k);
      evidence.push(ev);
      if (evidence.length >= EVIDENCE_CAP) break;
    }
    return {
      verdict, headline, product: rs.product, ruleset: rs.id, symptom: { id: symptom.id, text: symptom.text, advice: symptom.advice?.trim() ?? null },
      host: this.o.host, window: windowJson(this.o.window), params: this.params, requirements: active, not_applicable: inactive, evidence, advice,
    };
  }

  private verdictOf(e: Entry): RequirementVerdict {
    const status: ReqStatus = e.denies > 0 ? (e.allows > 0 ? 'partly blocked' : 'blocked') : e.allows > 0 ? 'ok' : 'no evidence';
    const ref = requirementRef(this.o.rs, e.req, this.params);
    const portsText = e.ports === null ? (e.portError ? `(${e.portError})` : 'any') : formatIntervals(e.ports);
    const groups = e.groups.list();
    return {
      ...ref, ports: portsText, status, active: e.active, from_role: e.req.from, to_role: e.req.to ?? null, hosts: e.req.hosts ?? null,
      allowed: e.allows, denied: e.denies, unknown: e.unknown,
      blocked_by: groups.map((g) => blockedSentence(g, '')),
      open: groups.map((g) => openSentence(g, e.req.transport, portsText, null, e.req.hosts ? `the destination is ${e.req.hosts.join(' / ')}` : '')),
      notes: e.notes, evidence: [...e.denyEv, ...e.allowEv].slice(0, EVIDENCE_CAP),
    };
  }
}

function count(t: Tally, f: Flow): void {
  if (f.action === 'deny') {
    t.denies++;
    if (t.denyEv.length < EVIDENCE_CAP) t.denyEv.push(evidenceOf(f));
    t.groups.add(f);
  } else if (f.action === 'allow') {
    t.allows++;
    if (t.allowEv.length < EVIDENCE_CAP) t.allowEv.push(evidenceOf(f));
  } else t.unknown++;
}

function merge(into: Tally, t: Tally): void {
  into.allows += t.allows; into.denies += t.denies; into.unknown += t.unknown;
  for (const e of t.denyEv) if (into.denyEv.length < EVIDENCE_CAP) into.denyEv.push(e);
  for (const e of t.allowEv) if (into.allowEv.length < EVIDENCE_CAP) into.allowEv.push(e);
  into.groups.merge(t.groups);
}

function paramText(params: Record<string, number | string | boolean>, rs: Ruleset, reqId: string): string {
  const req = rs.requirements.find((r) => r.id === reqId);
  const p = req?.when ? String(req.when['param']) : null;
  return p ? `${p} is ${JSON.stringify(params[p])}` : 'as configured';
}

/** Every symptom of the loaded rulesets, for `diagnose --list`. */
export function listSymptoms(rulesets: Ruleset[]): Array<{ ruleset: string; product: string; symptom: string; text: string; requirements: string[]; advice: string | null }> {
  return rulesets.flatMap((rs) => (rs.symptoms ?? []).map((s) => ({
    ruleset: rs.id, product: rs.product, symptom: s.id, text: s.text, requirements: s.requirements, advice: s.advice?.trim() ?? null,
  })));
}
