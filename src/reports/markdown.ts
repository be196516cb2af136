/** Markdown report for tickets: summary, new/resolved violations, failing requirements, top blocked flows, coverage. */
import { escapeMarkdownCell as c, markdownCode } from './escape.js';
import { isFailing } from '../model/status.js';
import type { ReportModel, ViolationKey } from './model.js';

function port(p: number | null): string {
  return p === null ? '' : String(p);
}
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
function violations(vs: ViolationKey[]): string {
  return table(['Product', 'Requirement', 'Source', 'Destination', 'Transport/port', 'Denied', 'Last seen'],
    vs.map((v) => [c(v.product), c(v.requirement), c(v.src_ip), c(v.dst_ip), `${c(v.transport)}/${port(v.dst_port)}`, String(v.count), c(v.last_seen)]));
}

export function renderMarkdown(m: ReportModel): string {
  const s = m.summary;
  const out: string[] = [];
  out.push('# fwaudit report');
  out.push('');
  out.push(`Period: ${c(m.period.since ?? 'beginning')} → ${c(m.period.until ?? 'now')} · latest run ${m.latest_run ? `\`${c(m.latest_run.run_id)}\` (${c(m.latest_run.started_at)})` : 'none'}`
    + ` · compared with ${m.previous_run ? `\`${c(m.previous_run.run_id)}\`` : 'no earlier run'}`);
  out.push('');
  out.push(`**${s.violated} violated**, ${s.intermittent} intermittent, ${s.ok} ok, ${s.unobserved} unobserved · `
    + `${s.new_violations} new, ${s.resolved_violations} resolved · ${s.denied_flows} denied flows in the period`);
  out.push('');
  out.push('## New violations since the previous run');
  out.push('');
  out.push(m.new_violations.length ? violations(m.new_violations) : '_None._');
  out.push('');
  out.push('## Resolved since the previous run');
  out.push('');
  out.push(m.resolved_violations.length ? violations(m.resolved_violations) : '_None._');
  out.push('');
  const failing = m.requirements.filter((r) => isFailing(r.status));
  out.push('## Failing requirements');
  out.push('');
  if (failing.length === 0) out.push('_None._');
  for (const r of failing) {
    out.push(`### ${c(r.product_name ?? r.product)} / ${c(r.requirement)}: ${r.status.toUpperCase()}`);
    out.push('');
    out.push(`- Purpose: ${c(r.purpose)} (${c(r.necessity)})`);
    out.push(`- Source: ${c(r.source)}`);
    if (r.symptom) out.push(`- Symptom: ${c(r.symptom)}`);
    out.push(`- Denied ${r.denies}, allowed ${r.allows}; first seen ${c(r.first_seen ?? '—')}, last seen ${c(r.last_seen ?? '—')}`);
    out.push(`- Hosts: ${r.src_hosts.map(c).join(', ') || '—'} → ${r.dst_hosts.map(c).join(', ') || '—'}`);
    if (r.devices.length) out.push(`- Devices: ${r.devices.map(c).join(', ')}`);
    if (r.rules.length) out.push(`- Rules: ${r.rules.map(markdownCode).join(', ')}`);
    for (const o of r.openings) out.push(`- Suggested opening: ${c(o)}`);
    if (r.evidence.length) out.push(`- Evidence: ${r.evidence.map((e) => `${c(e.file)}:${e.line}`).join(', ')}`);
    out.push('');
  }
  out.push('## All requirements');
  out.push('');
  out.push(m.requirements.length
    ? table(['Status', 'Product', 'Requirement', 'Denied', 'Allowed', 'Last seen'],
      m.requirements.map((r) => [r.status, c(r.product), c(r.requirement), String(r.denies), String(r.allows), c(r.last_seen ?? '')]))
    : '_No runs in the period._');
  out.push('');
  out.push('## Top blocked flows');
  out.push('');
  out.push(m.top_blocked.length
    ? table(['Source', 'Destination', 'Transport/port', 'Count', 'Last seen', 'Rules'],
      m.top_blocked.map((b) => [c(b.src_ip ?? ''), c(b.dst_ip ?? ''), `${c(b.transport ?? '')}/${port(b.dst_port)}`, String(b.count), c(b.last_seen ?? ''), b.rules.map(c).join(', ')]))
    : '_No denied flows stored for the period._');
  out.push('');
  out.push('## Parse coverage');
  out.push('');
  out.push(m.coverage.length
    ? table(['Input', 'Format', 'Lines', 'Flows', 'Skipped'],
      m.coverage.map((x) => [c(x.path ?? x.input_id), c(x.format ?? ''), String(x.lines), String(x.flows), String(x.skipped) + (x.error ? ` (error: ${c(x.error)})` : '')]))
    : '_No inputs ingested in the period._');
  out.push('');
  return out.join('\n');
}
