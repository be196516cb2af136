/**
 * Markdown report for tickets: summary, changes since the previous run, what is failing now (where, since when,
 * what to open), outages, device coverage, top blocked flows. Text from logs and config is escaped for Markdown
 * (backslash escapes), never turned into HTML entities. Every list is capped like the model.
 */
import { isFailing } from '../model/status.js';
import { escapeMarkdownCell as c, markdownCode } from './escape.js';
import type { Capped, Change, ReportModel } from './model.js';

function port(p: number | null): string {
  return p === null ? '' : String(p);
}
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
function more(n: number): string {
  return n > 0 ? ` (+${n} more)` : '';
}
function list(x: Capped<string>, max = 3): string {
  const shown = x.items.slice(0, max);
  return (shown.map(c).join(', ') || '—') + more(x.more + x.items.length - shown.length);
}
function change(ch: Change, kind: 'new' | 'resolved'): string {
  const hosts = ch.hosts.items.slice(0, 5).map((x) => `${c(x.src_ip ?? '?')} → ${c(x.dst_ip ?? '?')} ${c(x.transport ?? '')}/${port(x.dst_port)} ×${x.count}`).join('; ');
  return `- **${c(ch.product)} / ${c(ch.requirement)}**: ${ch.status} (was ${ch.previous_status}), ${kind === 'new' ? 'failing since' : 'allowed again since'} ${c(ch.since ?? '—')}`
    + (hosts ? `; ${hosts}${more(ch.hosts.more + Math.max(0, ch.hosts.items.length - 5))}` : '');
}

export function renderMarkdown(m: ReportModel): string {
  const s = m.summary;
  const out: string[] = [];
  out.push('# fwaudit report');
  out.push('');
  out.push(`Period: ${c(m.period.since ?? 'beginning')} → ${c(m.period.until ?? 'now')} · per ${m.bucket} (${c(m.display_tz)}) · latest run ${m.latest_run ? c(m.latest_run.started_at) : 'none'}`
    + ` · compared with ${m.previous_run ? c(m.previous_run.started_at) : 'no earlier run'}`);
  out.push('');
  out.push(`**${s.violated} violated**, ${s.intermittent} intermittent, ${s.ok} ok, ${s.unobserved} unobserved · `
    + `${s.new} new, ${s.resolved} resolved · ${s.denied_flows} denied flows in the period`);
  out.push('');
  out.push('## Changes since the previous run');
  out.push('');
  if (m.changes.new.length + m.changes.resolved.length === 0) out.push(m.previous_run ? '_None._' : '_No earlier run to compare with._');
  for (const ch of m.changes.new.slice(0, 30)) out.push(change(ch, 'new'));
  for (const ch of m.changes.resolved.slice(0, 30)) out.push(change(ch, 'resolved'));
  out.push('');
  const failing = m.requirements.filter((r) => isFailing(r.status));
  out.push('## Failing now');
  out.push('');
  if (failing.length === 0) out.push('_None._');
  for (const r of failing.slice(0, 60)) {
    const outage = r.outages[r.outages.length - 1];
    out.push(`### ${c(r.product_name ?? r.product)} / ${c(r.requirement)}: ${r.status.toUpperCase()}${r.change === 'new' ? ' (new)' : ''}`);
    out.push('');
    out.push(`- Purpose: ${c(r.purpose)} (${c(r.necessity)}); source: ${c(r.source)}`);
    out.push(`- Failing since ${c(outage?.ongoing ? outage.from : r.status_date ?? '—')}; last evidence ${c(r.last_evidence ?? '—')}; denied ${r.denies}, allowed ${r.allows} in the period`);
    if (r.silent_devices.length) out.push(`- Silent since its last evidence: ${r.silent_devices.map(c).join(', ')}`);
    out.push(`- Devices: ${list(r.devices)}; hosts: ${list(r.src_hosts)} → ${list(r.dst_hosts)}`);
    if (r.rules.items.length) out.push(`- Rules: ${r.rules.items.slice(0, 3).map(markdownCode).join(', ')}${more(r.rules.more + Math.max(0, r.rules.items.length - 3))}`);
    for (const o of r.openings) out.push(`- Open: ${c(o)}`);
    out.push('');
  }
  if (failing.length > 60) out.push(`_…and ${failing.length - 60} more failing requirements._\n`);
  out.push('## Outages');
  out.push('');
  const outageRows = m.requirements.flatMap((r) => r.outages.slice(-5).map((o) => [c(`${r.product} / ${r.requirement}`), c(o.from), o.ongoing ? `ongoing (last deny ${c(o.to)})` : c(o.to), String(o.denies)])).slice(0, 100);
  out.push(outageRows.length ? table(['Requirement', 'From (first deny)', 'To (last deny)', 'Denied'], outageRows) : '_None._');
  out.push('');
  out.push(`## Status per ${m.bucket}`);
  out.push('');
  const withEvidence = m.requirements.filter((r) => r.timeline.length > 0).slice(0, 40);
  const cols = m.buckets.slice(-14);
  const mark = { violated: '✗', intermittent: '±', ok: '✓', unobserved: '·' } as const;
  out.push(withEvidence.length
    ? table(['Requirement', ...cols.map((b) => c(b.length === 10 ? b.slice(5) : b.slice(5, 13)))],
      withEvidence.map((r) => {
        const byDate = new Map(r.timeline.map((p) => [p.date, p]));
        return [c(`${r.product} / ${r.requirement}`), ...cols.map((b) => { const p = byDate.get(b); return p ? `${mark[p.status]} ${p.denies}/${p.allows}` : '·'; })];
      }))
    : '_No flow matched a requirement in the period._');
  out.push('');
  out.push('Cells: ✗ violated, ± intermittent, ✓ ok, · no evidence; numbers are denied/allowed flows.');
  out.push('');
  out.push('## Log coverage per device');
  out.push('');
  out.push(m.coverage.length
    ? table(['Device', 'First log', 'Last log', 'Flows', 'Silent'], m.coverage.map((d) => [c(d.device), c(d.first ?? ''), c(d.last ?? ''), String(d.flows), d.silent ? '**yes**' : '']))
    : '_None._');
  out.push('');
  const unobserved = m.requirements.filter((r) => r.status === 'unobserved');
  if (unobserved.length) {
    out.push('## Unobserved requirements');
    out.push('');
    const byProduct = new Map<string, string[]>();
    for (const r of unobserved) byProduct.set(r.product, [...(byProduct.get(r.product) ?? []), r.requirement]);
    for (const [p, l] of [...byProduct].sort((a, b) => a[0].localeCompare(b[0]))) out.push(`- ${c(p)} (${l.length}): ${l.slice(0, 30).map(c).join(', ')}${more(l.length - Math.min(30, l.length))}`);
    out.push('');
  }
  out.push('## Top blocked flows');
  out.push('');
  out.push(m.top_blocked.items.length
    ? table(['Source', 'Destination', 'Transport/port', 'Count', 'Last seen', 'Rules'],
      m.top_blocked.items.map((b) => [c(b.src_ip ?? ''), c(b.dst_ip ?? ''), `${c(b.transport ?? '')}/${port(b.dst_port)}`, String(b.count), c(b.last_seen ?? ''), b.rules.map(c).join(', ')])) + (m.top_blocked.more ? `\n\n_…and ${m.top_blocked.more} more._` : '')
    : '_No denied flows stored for the period._');
  out.push('');
  out.push('## Inputs read');
  out.push('');
  out.push(m.inputs.items.length
    ? table(['Input', 'Format', 'Lines', 'Flows', 'Skipped'],
      m.inputs.items.map((x) => [c(x.path ?? x.input_id), c(x.format ?? ''), String(x.lines), String(x.flows), String(x.skipped) + (x.error ? ` (error: ${c(x.error)})` : '')])) + (m.inputs.more ? `\n\n_…and ${m.inputs.more} more._` : '')
    : '_No inputs._');
  out.push('');
  return out.join('\n');
}
