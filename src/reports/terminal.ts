/**
 * Readable terminal summary of an analysis, worst first, pasteable into an incident channel:
 * confirmed findings, probable findings, port-only findings (apart), inferred roles, the compliance
 * matrix, then (by the caller) the parse summary. Log text (device and rule names) is attacker-controlled:
 * control characters are replaced so that nothing can drive the terminal.
 */
import type { Finding, MatrixRow } from '../model/finding.js';
import { sanitizeText } from '../model/sanitize.js';
import { compareStatus } from '../model/status.js';
import type { InferredRole, MatchResult, NotApplicable } from '../matcher/matcher.js';

/** Terminal-safe text (src/model/sanitize.ts): control, C1 and bidi characters shown as escapes. */
export const clean = (s: string): string => sanitizeText(s);

function timeRange(first: string | null, last: string | null): string {
  if (!first || !last) return 'time unknown';
  const d1 = first.slice(0, 10), t1 = first.slice(11, 16);
  const d2 = last.slice(0, 10), t2 = last.slice(11, 16);
  if (d1 === d2 && t1 === t2) return `${d1} ${t1} UTC`;
  return d1 === d2 ? `${d1} ${t1}–${t2} UTC` : `${d1} ${t1} – ${d2} ${t2} UTC`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listText(items: string[], what: string): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, 3).map(clean).join(', ');
  return `${what} ${shown}${items.length > 3 ? ` (+${items.length - 3} more)` : ''}`;
}

function portText(f: Finding): string {
  if (f.dst_ports && f.ports) {
    const seen = f.dst_ports.slice(0, 5).join(', ') + (f.dst_ports.length > 5 ? ', …' : '');
    return `${f.transport.toUpperCase()} ${f.ports} (${f.dst_ports.length === 1 ? 'port' : 'ports'} ${seen})`;
  }
  return `${f.transport.toUpperCase()}${f.dst_port !== null ? ` ${f.dst_port}` : ''}`;
}

/** "1000 agents (10.20.1.0, … and 995 more; 10.20.1.0/24, …)" for a grouped side, else null. */
function manyText(f: Finding, side: 'src' | 'dst', role: string | null): string | null {
  const h = f.hosts;
  if (!h || h.side !== side || h.count <= 1) return null;
  const first = h.first.slice(0, 5).join(', ');
  const more = h.count > 5 ? ` and ${h.count - 5} more` : '';
  const cidrs = h.cidrs.join(', ') + (h.more_cidrs ? `, +${h.more_cidrs} more` : '');
  const what = role ? `${role}s` : 'hosts';
  return `${h.count} ${what} (${first}${more}; ${cidrs})`;
}

export function findingHeadline(f: Finding): string {
  const product = f.product_name ?? f.product;
  let who: string;
  const manySrc = manyText(f, 'src', f.src_role && f.confidence !== 'port-only' ? f.src_role : null);
  const manyDst = manyText(f, 'dst', f.dst_role && f.dst_role !== 'internet' && f.confidence !== 'port-only' ? f.dst_role : null);
  if (f.confidence === 'conditional' && f.note) {
    who = clean(f.note);
  } else if (f.confidence === 'port-only') {
    const src = manySrc ?? (f.src_role ? `${f.src_ip} (${f.src_role})` : f.src_ip);
    const dst = manyDst ?? (f.dst_role ? `${f.dst_ip} (${f.dst_role})` : f.dst_ip);
    who = `${src} was denied ${dst} on ${portText(f)}, a port of ${(f.candidates ?? [`${f.product}/${f.requirement}`]).join(', ')}`;
  } else {
    const src = manySrc ? (f.src_role ? `${product} ${manySrc}` : `${manySrc} (not in the inventory)`)
      : f.src_role ? `${product} ${f.src_role} ${f.src_ip}` : `${f.src_ip} (not in the inventory)`;
    let dst: string;
    if (manyDst) dst = f.dst_role && f.dst_role !== 'internet' ? manyDst : `${manyDst.replace(/^(\d+) hosts/, '$1 internet addresses')}`;
    else if (f.dst_role === 'internet') dst = `${f.dst_host ? `${f.dst_host} ` : 'the internet address '}${f.dst_host ? `(${f.dst_ip})` : f.dst_ip}`;
    else if (f.dst_role && f.src_role) dst = `its ${f.dst_role} ${f.dst_ip}`;
    else if (f.dst_role) dst = `${product} ${f.dst_role} ${f.dst_ip}`;
    else if (f.confidence === 'probable') dst = `${f.dst_ip} (not in the inventory)`;
    else dst = f.dst_ip;
    who = `${src} cannot reach ${dst} on ${portText(f)}`;
  }
  const extras = [listText(f.rules, f.rules.length === 1 ? 'rule' : 'rules'), listText(f.devices, 'on')].filter(Boolean).join(' ');
  return `${who} — ${plural(f.count, 'deny', 'denies')}, ${timeRange(f.first_seen, f.last_seen)}${extras ? `, ${extras}` : ''}.`;
}

function findingBlock(f: Finding, opts: TerminalReportOptions = {}): string[] {
  const label = f.confidence === 'port-only' ? 'PORT-ONLY' : f.confidence.toUpperCase();
  const pad = ' '.repeat(11);
  const out = [`${label.padEnd(10)} ${findingHeadline(f)}`];
  out.push(`${pad}Requirement: ${f.product}/${f.requirement} — ${f.purpose.trim()}`);
  if (f.confidence === 'conditional' && f.condition) out.push(`${pad}Condition: ${f.condition} (off under the deployment's parameters)`);
  if (f.mismatch) out.push(`${pad}Symptom: ${f.mismatch}`);
  else if (f.symptom) out.push(`${pad}Symptom: ${f.symptom}`);
  if (f.open) out.push(`${pad}${f.confidence === 'conditional' ? 'Would open' : 'Open'}: ${f.open} (${f.source})`);
  else out.push(`${pad}Source: ${f.source}`);
  if (f.evidence.length) out.push(`${pad}Evidence: ${f.evidence.map((e) => `${clean(e.file)}:${e.line}`).join(', ')}`);
  if (opts.remediation !== false && f.remediation?.length && f.confidence !== 'port-only' && (opts.shown ?? { n: 0 }).n++ < (opts.maxRemediation ?? 10)) {
    for (const r of f.remediation) {
      out.push(`${pad}Suggested for ${clean(r.device)} (${r.dialect}; review before use, never applied by fwaudit):`);
      for (const l of r.text.split('\n')) if (!l.startsWith('#') && !l.startsWith('REM')) out.push(`${pad}  ${clean(l)}`);
    }
  }
  return out;
}

function matrixTable(rows: MatrixRow[]): string[] {
  if (rows.length === 0) return [];
  const head = ['STATUS', 'PRODUCT', 'REQUIREMENT', 'NECESSITY', 'DENIES', 'ALLOWS', 'LAST SEEN'];
  const body = rows.map((r) => [r.status.toUpperCase(), r.product, r.requirement, r.necessity, String(r.denies), String(r.allows), r.last_seen ? r.last_seen.slice(0, 16).replace('T', ' ') : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 4 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)];
}

export interface TerminalReportOptions {
  /** Port-only findings shown at most (the rest are counted). Default 50. */
  maxPortOnly?: number;
  /** Show the remediation snippets (default true), for the first `maxRemediation` findings (default 10; --json has all). */
  remediation?: boolean;
  maxRemediation?: number;
  /** Internal: snippets shown so far. */
  shown?: { n: number };
}

export function renderTerminal(r: Pick<MatchResult, 'findings' | 'requirements' | 'inferred_roles'> & Partial<Pick<MatchResult, 'not_applicable' | 'unresolved_host_candidates' | 'omitted'>>, opts: TerminalReportOptions = {}): string {
  const out: string[] = [];
  opts = { ...opts, shown: { n: 0 } };
  const confirmed = r.findings.filter((f) => f.confidence === 'confirmed');
  const conditional = r.findings.filter((f) => f.confidence === 'conditional');
  const probable = r.findings.filter((f) => f.confidence === 'probable');
  const portOnly = r.findings.filter((f) => f.confidence === 'port-only');
  const counts = r.requirements.reduce<Record<string, number>>((m, x) => ((m[x.status] = (m[x.status] ?? 0) + 1), m), {});

  if (r.requirements.length) {
    out.push(`Requirements: ${counts['violated'] ?? 0} violated, ${counts['intermittent'] ?? 0} intermittent, ${counts['ok'] ?? 0} ok, ${counts['unobserved'] ?? 0} unobserved. Findings: ${confirmed.length} confirmed, ${conditional.length} conditional, ${probable.length} probable, ${portOnly.length} port-only.`);
  } else {
    out.push(`Findings: ${confirmed.length} confirmed, ${conditional.length} conditional, ${probable.length} probable, ${portOnly.length} port-only.`);
  }
  out.push('');
  for (const f of confirmed) { out.push(...findingBlock(f, opts), ''); }
  if (conditional.length) {
    out.push('Conditional (denied between the roles of a requirement that is off under the deployment\'s parameters; the attempt suggests the feature is in use):', '');
    for (const f of conditional) out.push(...findingBlock(f, opts), '');
  }
  for (const f of probable) { out.push(...findingBlock(f, opts), ''); }
  if (portOnly.length) {
    out.push('Port-only matches (no inventory: the port fits a documented requirement, the roles are not known):', '');
    const max = opts.maxPortOnly ?? 50;
    for (const f of portOnly.slice(0, max)) out.push(...findingBlock(f), '');
    if (portOnly.length > max) out.push(`… ${portOnly.length - max} more port-only findings (use --json for all).`, '');
  }
  if (r.inferred_roles.length) {
    out.push('Roles inferred from allowed traffic:');
    for (const x of r.inferred_roles.slice(0, 50)) {
      out.push(`  ${x.ip}  ${x.product} ${x.role}  (accepts ${x.transport.toUpperCase()} ${x.ports} from ${x.peers}+ peers; ${x.requirement})`);
    }
    out.push('');
  }
  if (r.requirements.length) {
    const seen = r.requirements.filter((x) => x.status !== 'unobserved').sort((a, b) => compareStatus(a.status, b.status) || a.product.localeCompare(b.product) || a.requirement.localeCompare(b.requirement));
    out.push('Compliance matrix:');
    if (seen.length) out.push(...matrixTable(seen).map((l) => `  ${l}`));
    const unobserved = new Map<string, string[]>();
    for (const x of r.requirements) if (x.status === 'unobserved') unobserved.set(x.product, [...(unobserved.get(x.product) ?? []), x.requirement]);
    for (const [product, reqs] of unobserved) out.push(`  UNOBSERVED ${product} (${reqs.length}): ${reqs.join(', ')}`);
    for (const x of r.requirements) {
      if (x.status === 'unobserved' && x.window && x.window_covered === false) {
        out.push(`  ${x.product}/${x.requirement}: the logs do not cover its check-in window ${x.window} (local time): unobserved says nothing about it`);
      }
    }
    out.push('');
  }
  const na: NotApplicable[] = r.not_applicable ?? [];
  if (na.length) {
    const inactive = na.filter((n) => n.reason === 'inactive').length;
    const seen = na.filter((n) => (n.denies ?? 0) > 0);
    if (seen.length) out.push(`Off under the deployment's parameters but denied between their roles: ${seen.map((n) => `${n.product}/${n.requirement} (${plural(n.denies!, 'deny', 'denies')}${n.param ? `; parameter ${n.param}` : ''})`).join(', ')}.`);
    const local = na.length - inactive;
    out.push(`Not applicable: ${inactive} requirement(s) off under the deployment's parameters, ${local} local-only (no firewall opening needed).`, '');
  }
  if (r.omitted) {
    out.push(`${plural(r.omitted.flows, 'denied flow')} of port-only/probable matches beyond the memory bound were counted but not grouped (${r.omitted.groups}${r.omitted.groups >= 10000 ? '+' : ''} more host pairs).`, '');
  }
  if (r.unresolved_host_candidates) {
    out.push(`${plural(r.unresolved_host_candidates, 'flow')} on a hostname requirement's port went to addresses that never resolved to its hosts (add them under hosts: or with --hosts).`, '');
  }
  return out.join('\n');
}

export type { InferredRole };
