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
import { ipv4ToInt, ipv6ToBigInt, isPublicIpv4 } from '../model/ip.js';
import type { PortIntervals, Requirement, Ruleset } from '../model/ruleset.js';
import type { Deployment, Inventory } from '../inventory/load.js';
import { hostMatches, isPublicIpv6 } from '../matcher/matcher.js';
import { formatIntervals, portInIntervals, resolvePorts } from '../rulesets/ports.js';
import { requirementApplies } from '../rulesets/load.js';
import {
  blockedSentence, DenyGroups, DiagnoseArgError, EVIDENCE_CAP, effectiveParams, evidenceOf, inWindow, openSentence, plural, refsText,
  requirementRef, roleMatcher, type Evidence, type RequirementRef, type TimeWindow, windowJson,
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

interface Entry {
  req: Requirement;
  active: boolean;
  ports: PortIntervals | null;
  portError: string | null;
  srcOk: (ip: string | null) => boolean;
  dstOk: (ip: string | null) => boolean;
  hosts: string[] | null;
  staticHostIps: Set<string>;
  notes: string[];
  allows: number; denies: number; unknown: number;
  denyEv: Evidence[]; allowEv: Evidence[];
  groups: DenyGroups;
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

function isPublic(ip: string): boolean {
  if (ip.indexOf(':') < 0) { const n = ipv4ToInt(ip); return n >= 0 && isPublicIpv4(n); }
  const b = ipv6ToBigInt(ip);
  return b !== null && isPublicIpv6(b);
}

const ANY = (ip: string | null): boolean => ip !== null;

/** The addresses a role end may have: the role's addresses, public ones for `internet`, else any address in no role of the deployment. */
function roleConstraint(dep: Deployment | null, role: string, notes: string[]): (ip: string | null) => boolean {
  if (!dep) return role === 'internet' ? (ip) => ip !== null && isPublic(ip) : ANY;
  const m = roleMatcher(dep, role);
  if (m) return m;
  if (role === 'internet') return (ip) => ip !== null && isPublic(ip);
  notes.push(`role "${role}" is not in the inventory: any address outside the deployment's roles is taken for it`);
  const others = [...dep.roles.keys()].map((r) => roleMatcher(dep, r)!);
  return (ip) => ip !== null && !others.some((o) => o(ip));
}

const CANDIDATE_CAP = 50_000;

export class SymptomDiagnosis {
  private readonly entries: Entry[] = [];
  private readonly params: Record<string, number | string | boolean>;
  private readonly hostEntries: Entry[];
  /** Destination addresses learned from flows carrying a hostname (PAN-OS URL logs), per pattern. */
  private readonly learned = new Map<string, Set<string>>();
  private readonly candidates: Array<{ e: Entry; f: Flow }> = [];
  private candidatesDropped = 0;
  private outside = 0;

  constructor(private readonly o: SymptomOptions) {
    const { rs, symptom, inventory } = o;
    this.params = effectiveParams(rs, inventory, o.params ?? {});
    const dep = inventory?.deployments.find((d) => d.product === rs.id) ?? null;
    for (const id of symptom.requirements) {
      const req = rs.requirements.find((r) => r.id === id);
      if (!req) continue; // the ruleset loader validates references; nothing to judge
      const notes: string[] = [];
      let ports: PortIntervals | null = null, portError: string | null = null;
      try { ports = req.ports === null ? null : resolvePorts(req.ports, this.params); } catch (e) { portError = (e as Error).message; }
      const staticHostIps = new Set<string>();
      if (req.hosts && inventory) {
        for (const [name, ips] of inventory.hosts) if (req.hosts.some((p) => hostMatches(name, p))) for (const ip of ips) staticHostIps.add(ip);
      }
      this.entries.push({
        req, active: requirementApplies(req, this.params) && !req.local_only, ports, portError,
        srcOk: roleConstraint(dep, req.from, notes),
        dstOk: req.hosts ? ANY : roleConstraint(dep, req.to ?? 'internet', notes),
        hosts: req.hosts ? req.hosts.map((h) => h.toLowerCase()) : null, staticHostIps, notes,
        allows: 0, denies: 0, unknown: 0, denyEv: [], allowEv: [], groups: new DenyGroups(),
      });
    }
    this.hostEntries = this.entries.filter((e) => e.hosts);
  }

  observe(f: Flow): void {
    if (this.o.host !== null && f.src_ip !== this.o.host && f.dst_ip !== this.o.host) return;
    if (f.host && this.hostEntries.length > 0 && f.dst_ip) {
      for (const e of this.hostEntries) for (const p of e.hosts!) if (hostMatches(f.host, p)) {
        let s = this.learned.get(p);
        if (!s) this.learned.set(p, (s = new Set()));
        if (s.size < 1000) s.add(f.dst_ip);
      }
    }
    let counted = false;
    for (const e of this.entries) {
      if (e.portError) continue;
      if (e.req.transport !== f.transport) continue;
      if (e.ports !== null && (f.dst_port === null || !portInIntervals(f.dst_port, e.ports))) continue;
      if (!e.srcOk(f.src_ip) || !e.dstOk(f.dst_ip)) continue;
      if (!inWindow(this.o.window, f.ts)) { if (!counted) { this.outside++; counted = true; } continue; }
      if (e.hosts) {
        if (!this.hostKnown(e, f)) {
          if (this.candidates.length < CANDIDATE_CAP) this.candidates.push({ e, f }); else this.candidatesDropped++;
          continue;
        }
      }
      this.count(e, f);
    }
  }

  private hostKnown(e: Entry, f: Flow): boolean {
    if (f.host && e.hosts!.some((p) => hostMatches(f.host!, p))) return true;
    if (f.dst_ip && e.staticHostIps.has(f.dst_ip)) return true;
    return e.hosts!.some((p) => this.learned.get(p)?.has(f.dst_ip ?? '') ?? false);
  }

  private count(e: Entry, f: Flow): void {
    if (f.action === 'deny') {
      e.denies++;
      if (e.denyEv.length < EVIDENCE_CAP) e.denyEv.push(evidenceOf(f));
      e.groups.add(f);
    } else if (f.action === 'allow') {
      e.allows++;
      if (e.allowEv.length < EVIDENCE_CAP) e.allowEv.push(evidenceOf(f));
    } else e.unknown++;
  }

  result(): SymptomResult {
    for (const { e, f } of this.candidates) if (this.hostKnown(e, f)) this.count(e, f);
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
    if (this.candidatesDropped > 0) advice.push(`Note: ${this.candidatesDropped} flows towards unresolved hostnames were not examined (too many); list the update hosts under hosts: in the inventory.`);
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
