/**
 * `fwaudit diagnose rpc`: explains "The RPC server is unavailable" (0x800706BA) between two hosts from the
 * flows logged between them (both directions, inside the time window).
 *
 * The RPC traffic of an agentless scan or a remote agent installation, from the scanning server (`--from`)
 * to the Windows computer (`--to`):
 *   1. TCP 135, the RPC endpoint mapper (EPMAP): the client asks which port the service (WMI, remote
 *      registry, DCOM) listens on;
 *   2. a TCP port in the dynamic range the endpoint mapper hands out: 49152-65535 on Windows Vista /
 *      Server 2008 and later, 1024-65535 to cover Windows Server 2003 / XP and older (`--legacy-target`);
 *   3. TCP 445 (SMB; 139 NetBIOS session on legacy targets) to copy and start the agent (ADMIN$) and to
 *      deploy patches.
 *
 * Verdict precedence when several hold (the first step that fails explains the error the user saw; the
 * others are reported as secondary findings in the advice):
 *   endpoint-mapper-blocked  a deny of TCP 135 from → to
 *   dynamic-ports-blocked    else, a deny of a TCP port of the dynamic range from → to (135 allowed or not seen)
 *   smb-blocked              else, a deny of TCP 445 or 139 from → to
 *   reachable                else, at least one allowed flow on those ports
 *   no-evidence              no flow on those ports between the pair in the window
 */
import type { Flow } from '../model/flow.js';
import type { Ruleset } from '../model/ruleset.js';
import type { Inventory } from '../inventory/load.js';
import { portInIntervals } from '../rulesets/ports.js';
import { compileRequirements, type RequirementIndex } from '../requirements/index.js';
import {
  blockedSentence, DenyGroups, EVIDENCE_CAP, effectiveParams, evidenceOf, inWindow, openSentence, plural, portsText, refsText, requirementRef,
  type Endpoint, type Evidence, type RequirementRef, type TimeWindow, windowJson,
} from './common.js';

export type RpcVerdict = 'endpoint-mapper-blocked' | 'dynamic-ports-blocked' | 'smb-blocked' | 'reachable' | 'no-evidence';
export const RPC_VERDICTS: readonly RpcVerdict[] = ['endpoint-mapper-blocked', 'dynamic-ports-blocked', 'smb-blocked', 'reachable', 'no-evidence'];

type Kind = 'epmap' | 'dynamic' | 'smb' | 'epmap-udp' | 'other' | 'reverse';
const KINDS: readonly Kind[] = ['epmap', 'dynamic', 'smb', 'epmap-udp', 'other', 'reverse'];

interface KindStats {
  allows: number; denies: number; unknown: number;
  denyEv: Evidence[]; allowEv: Evidence[]; unknownEv: Evidence[];
  groups: DenyGroups;
  deniedPorts: Map<string, Set<number>>; // transport → ports (capped)
  allowedPorts: Set<number>;
}

function newStats(): KindStats {
  return { allows: 0, denies: 0, unknown: 0, denyEv: [], allowEv: [], unknownEv: [], groups: new DenyGroups(), deniedPorts: new Map(), allowedPorts: new Set() };
}

export interface RpcOptions {
  from: Endpoint;
  to: Endpoint;
  window: TimeWindow | null;
  legacy: boolean;
  rulesets: Ruleset[];
  inventory: Inventory | null;
  params?: Record<string, number | string | boolean>;
}

export interface RpcResult {
  verdict: RpcVerdict;
  headline: string;
  from: string;
  to: string;
  from_addresses: string[];
  to_addresses: string[];
  window: ReturnType<typeof windowJson>;
  legacy_target: boolean;
  dynamic_range: string;
  counts: {
    flows: number; allowed: number; denied: number; unknown: number; outside_window: number; no_time: number;
    by_kind: Record<Kind, { allowed: number; denied: number; unknown: number }>;
  };
  evidence: Evidence[];
  advice: string[];
  requirements: RequirementRef[];
}

const KIND_TEXT: Record<Kind, string> = {
  epmap: 'TCP 135 (RPC endpoint mapper)', dynamic: 'the dynamic RPC ports', smb: 'TCP 445/139 (SMB, NetBIOS session)',
  'epmap-udp': 'UDP 135 (RPC endpoint mapper)', other: 'other ports', reverse: `the reverse direction`,
};

export class RpcDiagnosis {
  private readonly stats = new Map<Kind, KindStats>(KINDS.map((k) => [k, newStats()]));
  private readonly dynLo: number;
  private flows = 0;
  private outside = 0;
  private noTime = 0;

  constructor(private readonly o: RpcOptions) {
    this.dynLo = o.legacy ? 1024 : 49152;
  }

  /** Feed every flow read; flows not between the pair are ignored. */
  observe(f: Flow): void {
    const fwd = this.o.from.has(f.src_ip) && this.o.to.has(f.dst_ip);
    const rev = !fwd && this.o.to.has(f.src_ip) && this.o.from.has(f.dst_ip);
    if (!fwd && !rev) return;
    if (!inWindow(this.o.window, f.ts)) {
      if (f.ts === null) this.noTime++; else this.outside++;
      return;
    }
    this.flows++;
    const kind = rev ? 'reverse' : this.kindOf(f);
    const st = this.stats.get(kind)!;
    if (f.action === 'deny') {
      st.denies++;
      if (st.denyEv.length < EVIDENCE_CAP) st.denyEv.push(evidenceOf(f));
      st.groups.add(f);
      if (f.dst_port !== null) {
        const t = f.transport ?? '?';
        let s = st.deniedPorts.get(t);
        if (!s) st.deniedPorts.set(t, (s = new Set()));
        if (s.size < 200) s.add(f.dst_port);
      }
    } else if (f.action === 'allow') {
      st.allows++;
      if (st.allowEv.length < EVIDENCE_CAP) st.allowEv.push(evidenceOf(f));
      if (f.dst_port !== null && st.allowedPorts.size < 200) st.allowedPorts.add(f.dst_port);
    } else {
      st.unknown++;
      if (st.unknownEv.length < EVIDENCE_CAP) st.unknownEv.push(evidenceOf(f));
    }
  }

  private kindOf(f: Flow): Kind {
    const p = f.dst_port;
    if (f.transport === 'tcp' && p !== null) {
      if (p === 135) return 'epmap';
      if (p === 445 || p === 139) return 'smb';
      if (p >= this.dynLo) return 'dynamic';
    } else if (f.transport === 'udp' && p === 135) return 'epmap-udp';
    return 'other';
  }

  result(): RpcResult {
    const s = (k: Kind) => this.stats.get(k)!;
    const { from, to, legacy } = this.o;
    const range = legacy ? '1024-65535' : '49152-65535';
    const rpcKinds: Kind[] = ['epmap', 'dynamic', 'smb', 'epmap-udp'];
    let verdict: RpcVerdict;
    if (s('epmap').denies > 0) verdict = 'endpoint-mapper-blocked';
    else if (s('dynamic').denies > 0) verdict = 'dynamic-ports-blocked';
    else if (s('smb').denies > 0) verdict = 'smb-blocked';
    else if (rpcKinds.some((k) => s(k).allows > 0)) verdict = 'reachable';
    else verdict = 'no-evidence';

    const fromT = from.single ?? from.label, toT = to.single ?? to.label;
    const advice: string[] = [];
    const verdictKind: Kind | null = verdict === 'endpoint-mapper-blocked' ? 'epmap' : verdict === 'dynamic-ports-blocked' ? 'dynamic' : verdict === 'smb-blocked' ? 'smb' : null;

    // --- main explanation
    let headline: string;
    if (verdict === 'endpoint-mapper-blocked') {
      headline = `TCP 135 (RPC endpoint mapper) from ${fromT} to ${toT} is blocked`;
      advice.push(...this.blockedLines('epmap', 'port 135 (RPC endpoint mapper)'));
      const blockedTargets = [...new Set(s('epmap').denyEv.map((e) => e.dst_ip))].join(', ');
      advice.push(`Without TCP 135 the client cannot ask the endpoint mapper of ${blockedTargets} which port WMI/DCOM listens on, so the connection fails at once with "The RPC server is unavailable" (0x800706BA).`);
      if (s('epmap').allows > 0) {
        const passedTo = [...new Set(s('epmap').allowEv.map((e) => e.dst_ip))].join(', ');
        advice.push(`${plural(s('epmap').allows, 'other TCP 135 connection')} from ${fromT} passed (to ${passedTo}: ${refsText(s('epmap').allowEv)}): the block depends on the target, the time or the rule hit.`);
      }
      advice.push(...this.openLines('epmap', '135', 'RPC-EPMap'));
      if (s('dynamic').denies === 0) advice.push(`Once TCP 135 passes, the dynamic RPC ports (TCP ${range}) from ${fromT} to ${toT} must pass too: the endpoint mapper hands out a port there for the actual call.`);
    } else if (verdict === 'dynamic-ports-blocked') {
      headline = `TCP 135 is ${s('epmap').allows > 0 ? 'allowed' : 'not seen'}, but the dynamic RPC ports (${range}) from ${fromT} to ${toT} are blocked`;
      advice.push(...this.blockedLines('dynamic', `the dynamic RPC range (TCP ${range})`));
      advice.push(s('epmap').allows > 0
        ? `TCP 135 (endpoint mapper) was allowed (${plural(s('epmap').allows, 'flow')}: ${refsText(s('epmap').allowEv)}): the client got a dynamic port from the endpoint mapper and was then blocked when it connected to that port. This is the most common cause of "The RPC server is unavailable".`
        : `TCP 135 (endpoint mapper) was not seen in these logs (allowed without logging, or logged elsewhere); the dynamic ports the endpoint mapper hands out were blocked.`);
      advice.push(...this.openLines('dynamic', range, 'RPC'));
    } else if (verdict === 'smb-blocked') {
      headline = `RPC passes, but SMB (TCP 445/139) from ${fromT} to ${toT} is blocked`;
      advice.push(...this.blockedLines('smb', 'SMB (TCP 445) / NetBIOS session (TCP 139)'));
      advice.push(`SMB is needed to copy and start the agent (ADMIN$ share) during agent deployment, to deploy patches, and to audit legacy targets (Windows Server 2003 R2 and older use TCP 139/445 for RPC).`);
      advice.push(...this.openLines('smb', portsText([...(s('smb').deniedPorts.get('tcp') ?? new Set([445]))]), null));
    } else if (verdict === 'reachable') {
      const seen = rpcKinds.filter((k) => s(k).allows > 0).map((k) => `${KIND_TEXT[k]}: ${plural(s(k).allows, 'flow')} allowed`).join('; ');
      headline = `the RPC flows seen from ${fromT} to ${toT} were allowed`;
      advice.push(`Every RPC flow logged from ${fromT} to ${toT} was allowed (${seen}; ${refsText(rpcKinds.flatMap((k) => s(k).allowEv))}).`);
      if (s('dynamic').allows === 0) advice.push(`No connection to the dynamic RPC ports (TCP ${range}) was logged: if the error persists, check that a firewall whose log you did not give does not drop them (and that ${toT}'s pfirewall.log logs dropped packets).`);
      advice.push(`If the error persists, the cause is not in these logs: check that the Windows Management Instrumentation and Remote Procedure Call services run on ${toT}, the credentials and DCOM/WMI permissions, and firewalls on the path whose logs were not given.`);
    } else {
      headline = `no RPC flow between ${fromT} and ${toT} in the logs`;
      const other = this.flows;
      advice.push(other > 0
        ? `${plural(other, 'flow')} between ${fromT} and ${toT} were logged, but none on TCP 135, the dynamic RPC range (${range}) or SMB.`
        : `No flow between ${fromT} and ${toT} was found${this.o.window ? ' in the window' : ''}.`);
      advice.push(`The log that would show it: ${toT}'s Windows Firewall log (%SystemRoot%\\System32\\LogFiles\\Firewall\\pfirewall.log) with dropped-packet logging on — run "netsh advfirewall set allprofiles logging droppedconnections enable" (and "allowedconnections enable" to see what passes) on ${toT}, reproduce the error, then collect the file; or the traffic log of the firewall on the path between ${fromT} and ${toT} (PAN-OS traffic log with logging on the deny rule, an iptables LOG rule before the DROP).`);
    }

    // --- secondary findings
    for (const k of ['epmap', 'dynamic', 'smb', 'epmap-udp'] as Kind[]) {
      if (k === verdictKind || s(k).denies === 0) continue;
      for (const line of this.blockedLines(k, k === 'epmap-udp' ? 'UDP 135' : k === 'dynamic' ? `the dynamic RPC range (TCP ${range})` : k === 'smb' ? 'SMB (TCP 445/139)' : 'TCP 135')) advice.push(`Also: ${line}`);
      if (k === 'smb' || k === 'dynamic') advice.push(...this.openLines(k, k === 'dynamic' ? range : portsText([...(s(k).deniedPorts.get('tcp') ?? new Set([445]))]), k === 'dynamic' ? 'RPC' : null).map((l) => `Also: ${l}`));
    }
    const other = s('other');
    if (other.denies > 0) {
      const ports = [...other.deniedPorts.entries()].map(([t, p]) => `${t.toUpperCase()} ${portsText(p)}`).join('; ');
      advice.push(`Also: ${plural(other.denies, 'flow')} from ${fromT} to ${toT} on other ports were denied (${ports}; ${refsText(other.denyEv)}).`);
      const mid = [...(other.deniedPorts.get('tcp') ?? [])].filter((p) => p >= 1024 && p < 49152);
      if (!legacy && mid.length > 0) {
        advice.push(`Also: denied TCP ports ${portsText(mid)} are in 1024-49151, the dynamic RPC range of Windows Server 2003 / XP and older (1025-5000 by default): if ${toT} runs such a system, rerun with --legacy-target (dynamic range 1024-65535).`);
      }
    }
    const rev = s('reverse');
    if (rev.denies > 0) {
      const ports = [...rev.deniedPorts.entries()].map(([t, p]) => `${t.toUpperCase()} ${portsText(p)}`).join('; ');
      advice.push(`Also: ${plural(rev.denies, 'flow')} from ${toT} back to ${fromT} were denied (${ports}; ${refsText(rev.denyEv)}) — connections the target opens towards the scanning server (DCOM callbacks, agent check-ins) are blocked.`);
    }
    const unknown = KINDS.reduce((n, k) => n + s(k).unknown, 0);
    if (unknown > 0) advice.push(`Note: ${plural(unknown, 'flow')} between the pair carry no verdict in the log (iptables LOG without a known prefix: tell fwaudit with --action-map PREFIX=allow|deny).`);
    if (this.outside > 0 || this.noTime > 0) {
      advice.push(`Note: ${plural(this.outside, 'flow')} between the pair fall outside the window${this.noTime ? ` and ${plural(this.noTime, 'flow')} have no time` : ''}; widen --window or drop --at to include them.`);
    }

    // --- vendor requirements
    let reqs: RequirementRef[];
    if (verdictKind === 'epmap') reqs = this.requirements('tcp', [135]);
    else if (verdictKind === 'dynamic') reqs = this.requirements('tcp', [...(s('dynamic').deniedPorts.get('tcp') ?? [])]);
    else if (verdictKind === 'smb') reqs = this.requirements('tcp', [...(s('smb').deniedPorts.get('tcp') ?? [])]);
    else reqs = [...this.requirements('tcp', [135]), ...this.requirements('tcp', [legacy ? 1024 : 49152, 65535])];
    if (reqs.length > 0) advice.push(`Vendor requirement${reqs.length > 1 ? 's' : ''}: ${reqs.map((r) => r.cite).join('; ')}.`);

    // --- evidence: the verdict's denies first, then other denies, then allows, then flows without a verdict
    const order: Kind[] = verdictKind ? [verdictKind, ...KINDS.filter((k) => k !== verdictKind)] : [...KINDS];
    const evidence = [
      ...order.flatMap((k) => s(k).denyEv),
      ...(['epmap', 'dynamic', 'smb', 'epmap-udp', 'other', 'reverse'] as Kind[]).flatMap((k) => s(k).allowEv),
      ...KINDS.flatMap((k) => s(k).unknownEv),
    ].slice(0, EVIDENCE_CAP);

    const byKind = Object.fromEntries(KINDS.map((k) => [k, { allowed: s(k).allows, denied: s(k).denies, unknown: s(k).unknown }])) as RpcResult['counts']['by_kind'];
    return {
      verdict, headline, from: from.spec, to: to.spec, from_addresses: from.addresses, to_addresses: to.addresses,
      window: windowJson(this.o.window), legacy_target: legacy, dynamic_range: range,
      counts: {
        flows: this.flows,
        allowed: KINDS.reduce((n, k) => n + s(k).allows, 0),
        denied: KINDS.reduce((n, k) => n + s(k).denies, 0),
        unknown, outside_window: this.outside, no_time: this.noTime, by_kind: byKind,
      },
      evidence, advice, requirements: reqs,
    };
  }

  /** "<device> denied N TCP connections from A to B on ports …" per device/rule. */
  private blockedLines(k: Kind, what: string): string[] {
    return this.stats.get(k)!.groups.list().map((g) => blockedSentence(g, what));
  }

  /** What to open, per device that blocked. */
  private openLines(k: Kind, ports: string, netshPort: string | null): string[] {
    const tail = k === 'dynamic' ? 'or fix WMI/DCOM on the target to static ports and allow only those'
      : k === 'smb' ? 'or enable the built-in "File and Printer Sharing (SMB-In)" rule for that address' : '';
    return this.stats.get(k)!.groups.list().map((g) => openSentence(g, g.transport ?? 'tcp', ports, g.windows ? netshPort : null, g.windows || k === 'dynamic' ? tail : ''));
  }

  /** Requirements of the loaded rulesets this traffic serves (RPC/DCOM/WMI/SMB, same transport, one of the ports), from the compiled index. */
  private requirements(transport: string, ports: number[]): RequirementRef[] {
    if (ports.length === 0) return [];
    const all: Array<{ ref: RequirementRef; roleOk: boolean }> = [];
    // The products whose documents name this symptom (LanGuard, Enterprise Recon); every ruleset if none does.
    const naming = this.o.rulesets.filter((rs) => (rs.symptoms ?? []).some((x) => /RPC server is unavailable/i.test(x.text)));
    const pool = naming.length > 0 ? naming : this.o.rulesets;
    const overrides: Record<string, Record<string, number | string | boolean>> = {};
    for (const rs of pool) {
      overrides[rs.id] = { ...(this.o.params ?? {}), ...(this.o.legacy && rs.parameters.some((p) => p.id === 'legacy_targets') ? { legacy_targets: true } : {}) };
    }
    const inv = this.o.inventory;
    const index = inv && inv.deployments.length
      ? compileRequirements(inv.deployments.map((d) => d.ruleset), inv, { paramOverrides: overrides })
      : compileRequirements(pool, null, { evaluateWhen: true, portOnlyMaxPorts: Infinity, paramOverrides: overrides });
    const poolIds = new Set(pool.map((r) => r.id));
    const seen = new Set<string>();
    for (const e of index.entries) {
      const req = e.req;
      if (!poolIds.has(e.rs.id) || !e.active || e.localOnly || req.transport !== transport) continue;
      if (!/\b(RPC|DCOM|WMI|EPMAP|SMB)\b/.test(`${req.purpose} ${req.symptom ?? ''}`)) continue;
      if (!ports.some((p) => portInIntervals(p, e.owned))) continue;
      const key = `${e.rs.id}/${req.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const dep = e.dep >= 0 && inv ? inv.deployments[e.dep]! : null;
      const roleOk = !!dep && !!req.to && this.inRole(this.o.from, dep, req.from, index, e.fromKey) && this.inRole(this.o.to, dep, req.to, index, e.toKey);
      all.push({ ref: requirementRef(e.rs, req, e.params), roleOk });
    }
    const inRole = all.filter((x) => x.roleOk);
    return (inRole.length > 0 ? inRole : all).map((x) => x.ref);
  }

  private inRole(ep: Endpoint, dep: NonNullable<Inventory>['deployments'][number], role: string, index: RequirementIndex, key: number): boolean {
    if (ep.role) return ep.role.deployment === dep && ep.role.role === role;
    if (ep.single === null || key < 0) return false;
    return index.roleKeys(ep.single)?.includes(key) ?? false;
  }
}
