/**
 * One self-contained HTML report: inline CSS, hand-written inline SVG charts, no scripts, fonts, images or
 * external references. Every string that comes from logs, rulesets or inventory goes through escapeHtml.
 * Order: what changed, what is failing now (where, since when, what to open), the status timeline, charts,
 * outages, device coverage, then the details. Every list is capped (the model says how many more).
 */
import type { RequirementStatus } from '../model/finding.js';
import { isFailing } from '../model/status.js';
import { escapeHtml as h } from './escape.js';
import type { Capped, Change, ReportModel, RequirementReport } from './model.js';

const STATUS_COLOUR: Record<RequirementStatus, string> = {
  violated: '#c62828', intermittent: '#e65100', ok: '#2e7d32', unobserved: '#757575',
};
const STATUS_FILL: Record<RequirementStatus, string> = {
  violated: '#fdecea', intermittent: '#fff3e0', ok: '#e8f5e9', unobserved: '#f1f1f1',
};
const GRID_FILL: Record<RequirementStatus, string> = {
  violated: '#d32f2f', intermittent: '#fb8c00', ok: '#43a047', unobserved: '#eeeeee',
};
const MAX_GRID_ROWS = 40;
const MAX_GRID_COLS = 62;
const MAX_CHARTS = 12;
const MAX_TABLE = 60;

const CSS = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --bg: #ffffff; --head: #f6f7f9; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; padding: 20px 28px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 21px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 10px 0 4px; }
.meta { color: var(--muted); margin: 0 0 12px; } .meta span { margin-right: 18px; white-space: nowrap; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 6px 14px; min-width: 110px; }
.card b { display: block; font-size: 22px; } .card small { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
td.when, .nw { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; } .more { color: var(--muted); font-size: 12px; white-space: nowrap; }
.silent { color: #b71c1c; font-weight: 600; white-space: nowrap; }
.changes { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
.change { border-left: 4px solid; padding: 2px 10px; margin: 6px 0; }
.change.new { border-color: #c62828; } .change.resolved { border-color: #2e7d32; }
.grid { overflow-x: auto; }
svg { max-width: 100%; height: auto; } svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 6px 24px; }
.chart h3 { font-size: 13px; margin: 8px 0 2px; font-weight: 600; }
details summary { cursor: pointer; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media print {
  body { padding: 0; font-size: 11px; } h2 { break-after: avoid; page-break-after: avoid; }
  section, tr, .chart, .card { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .charts { grid-template-columns: 1fr 1fr; }
  @page { size: A4 landscape; margin: 10mm; }
}`;

function badge(s: RequirementStatus): string {
  return `<span class="badge" style="color:${STATUS_COLOUR[s]};border-color:${STATUS_COLOUR[s]};background:${STATUS_FILL[s]}">${h(s)}</span>`;
}
function when(iso: string | null): string {
  return iso ? h(iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$|:\d\dZ$|Z$/, '')) : '—';
}
function more(n: number): string {
  return n > 0 ? ` <span class="more">+${n} more</span>` : '';
}
function capped(c: Capped<string>, max = 3): string {
  if (c.items.length === 0) return '—';
  const shown = c.items.slice(0, max);
  return shown.map((x) => `<code>${h(x)}</code>`).join(', ') + more(c.more + c.items.length - shown.length);
}
/** Text that may wrap between words but never inside one (addresses, ranges, rule names). */
function tokens(text: string): string {
  return text.split(/\s+/).filter(Boolean).map((t) => `<span class="nw">${h(t)}</span>`).join(' ');
}
function port(p: number | null): string {
  return p === null ? '—' : String(p);
}
function label(r: { product: string; requirement: string }, names: Map<string, string>): string {
  return `${names.get(r.product) ?? r.product} / ${r.requirement}`;
}
/** Text shortened for SVG labels; the full text is in a <title>. */
function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function changeBlock(c: Change, kind: 'new' | 'resolved', names: Map<string, string>): string {
  const hosts = c.hosts.items.slice(0, 3).map((x) => `<code>${h(x.src_ip ?? '?')}</code> → <code>${h(x.dst_ip ?? '?')}</code> ${h(x.transport ?? '')}/${port(x.dst_port)} ×${x.count}`).join('; ');
  const rest = c.hosts.more + Math.max(0, c.hosts.items.length - 3);
  return `<div class="change ${kind}"><b>${h(label(c, names))}</b> ${badge(c.status)} <small>was ${h(c.previous_status)}; ${kind === 'new' ? 'failing since' : 'allowed again since'} ${when(c.since)}</small>
<br><small>${hosts || '—'}${rest > 0 ? ` <span class="more">+${rest} more host pair(s)</span>` : ''}</small></div>`;
}

/** Requirement × bucket grid: one coloured cell per bucket with evidence, grey where there is none. */
function timelineGrid(reqs: RequirementReport[], buckets: string[], names: Map<string, string>): string {
  const rows = reqs.filter((r) => r.timeline.length > 0);
  if (rows.length === 0 || buckets.length === 0) return '<p class="empty">No flow matched a requirement in the period.</p>';
  const cols = buckets.slice(-MAX_GRID_COLS);
  const shown = rows.slice(0, MAX_GRID_ROWS);
  const longest = Math.max(...shown.map((r) => label(r, names).length));
  const L = Math.round(Math.min(560, Math.max(180, Math.min(longest, 80) * 6.6 + 16)));
  const cw = Math.max(12, Math.min(40, Math.floor((1300 - L) / cols.length))), ch = 18, T = 34;
  const W = L + cols.length * cw + 4, H = T + shown.length * ch + 4;
  const idx = new Map(cols.map((b, i) => [b, i]));
  const parts: string[] = [];
  const step = Math.max(1, Math.ceil((cols[0]!.length === 10 ? 40 : 64) / cw));
  cols.forEach((b, i) => {
    if (i % step === 0 || i === cols.length - 1) parts.push(`<text x="${L + i * cw + cw / 2}" y="${T - 8}" font-size="10" text-anchor="middle">${h(b.length === 10 ? b.slice(5) : b.slice(5, 13).replace('T', ' '))}</text>`);
  });
  shown.forEach((r, j) => {
    const y = T + j * ch;
    const name = label(r, names);
    parts.push(`<text x="${L - 8}" y="${y + 13}" font-size="12" text-anchor="end">${h(clip(name, 80))}<title>${h(name)}</title></text>`);
    parts.push(`<rect x="${L}" y="${y + 1}" width="${cols.length * cw}" height="${ch - 2}" fill="${GRID_FILL.unobserved}"/>`);
    for (const p of r.timeline) {
      const i = idx.get(p.date);
      if (i === undefined) continue;
      parts.push(`<rect x="${L + i * cw + 1}" y="${y + 1}" width="${cw - 2}" height="${ch - 2}" fill="${GRID_FILL[p.status]}"><title>${h(`${name} ${p.date}: ${p.status}, ${p.denies} denied, ${p.allows} allowed`)}</title></rect>`);
    }
  });
  const legend = (['violated', 'intermittent', 'ok'] as const).map((s) => `<span style="display:inline-block;width:10px;height:10px;background:${GRID_FILL[s]}"></span> ${s}`).join(' &nbsp; ');
  return `<div class="grid"><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Status per requirement and ${cols.length > 0 && cols[0]!.length === 10 ? 'day' : 'hour'}">${parts.join('')}</svg></div>
<small>${legend} &nbsp; <span style="display:inline-block;width:10px;height:10px;background:${GRID_FILL.unobserved}"></span> no evidence${rows.length > shown.length ? ` · <span class="more">+${rows.length - shown.length} more requirement(s) with evidence</span>` : ''}${buckets.length > cols.length ? ` · <span class="more">the last ${cols.length} of ${buckets.length} buckets</span>` : ''}</small>`;
}

/** Denied flows per bucket for one requirement (every stored flow in the period). */
function seriesChart(r: RequirementReport, buckets: string[], names: Map<string, string>): string {
  const cols = buckets.slice(-MAX_GRID_COLS);
  const W = 440, H = 120, L = 36, R = 8, T = 10, B = 26;
  const counts = new Map(r.timeline.map((p) => [p.date, p.denies]));
  const values = cols.map((b) => counts.get(b) ?? 0);
  const max = Math.max(1, ...values);
  const bw = (W - L - R) / Math.max(1, cols.length);
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const bars = values.map((c, i) => (c === 0 ? '' : `<rect x="${(L + i * bw + bw * 0.1).toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(1, bw * 0.8).toFixed(1)}" height="${(H - B - y(c)).toFixed(1)}" fill="${STATUS_COLOUR[r.status]}"><title>${h(cols[i]!)}: ${c}</title></rect>`)).join('');
  const name = label(r, names);
  return `<div class="chart"><h3>${h(name)} <small>(${r.denies} denied)</small></h3>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${h(`Denied flows per bucket for ${name}`)}">
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>
<text x="${L - 4}" y="${T + 4}" font-size="10" text-anchor="end">${max}</text><text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end">0</text>
${bars}<text x="${L}" y="${H - B + 14}" font-size="10">${h(cols[0] ?? '')}</text><text x="${W - R}" y="${H - B + 14}" font-size="10" text-anchor="end">${h(cols.length > 1 ? cols[cols.length - 1]! : '')}</text>
</svg></div>`;
}

function coverageGrid(m: ReportModel): string {
  if (m.coverage.length === 0) return '<p class="empty">No device coverage recorded in the period.</p>';
  const cols = m.buckets.slice(-MAX_GRID_COLS);
  const longest = Math.max(...m.coverage.map((c) => c.device.length + (c.silent ? 9 : 0)));
  const L = Math.round(Math.min(420, Math.max(120, Math.min(longest, 60) * 6.8 + 16)));
  const cw = Math.max(12, Math.min(40, Math.floor((1300 - L) / Math.max(1, cols.length)))), ch = 18, T = 6;
  const W = L + cols.length * cw + 4, H = T + m.coverage.length * ch + 4;
  const parts: string[] = [];
  m.coverage.forEach((c, j) => {
    const y = T + j * ch;
    const dates = new Set(c.dates);
    parts.push(`<text x="${L - 8}" y="${y + 13}" font-size="12" text-anchor="end" ${c.silent ? 'fill="#b71c1c" font-weight="700"' : ''}>${h(clip(c.device, 60))}${c.silent ? ' (silent)' : ''}<title>${h(`${c.device}: logs ${c.first ?? '?'} → ${c.last ?? '?'}, ${c.flows} flows`)}</title></text>`);
    cols.forEach((b, i) => {
      parts.push(`<rect x="${L + i * cw + 1}" y="${y + 1}" width="${cw - 2}" height="${ch - 2}" fill="${dates.has(b) ? '#5c6bc0' : '#eeeeee'}"><title>${h(`${c.device} ${b}: ${dates.has(b) ? 'logs' : 'no logs'}`)}</title></rect>`);
    });
  });
  return `<div class="grid"><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Log coverage per device">${parts.join('')}</svg></div>`;
}

export function renderHtml(m: ReportModel): string {
  const s = m.summary;
  const names = new Map<string, string>();
  for (const r of m.requirements) if (r.product_name) names.set(r.product, r.product_name);
  const card = (label: string, value: number, colour: string) =>
    `<div class="card" style="border-left-color:${colour}"><b>${value}</b><small>${h(label)}</small></div>`;
  const period = `${m.period.since ? when(m.period.since) : 'beginning'} → ${m.period.until ? when(m.period.until) : 'now'}`;
  const run = m.latest_run;
  const failing = m.requirements.filter((r) => isFailing(r.status));
  const observed = m.requirements.filter((r) => r.status !== 'unobserved');
  const unobserved = m.requirements.filter((r) => r.status === 'unobserved');

  const failingRows = failing.slice(0, MAX_TABLE).map((r) => {
    const outage = r.outages[r.outages.length - 1];
    const silent = r.silent_devices.length ? `<br><span class="silent">silent since last evidence: ${r.silent_devices.map((d) => `<code>${h(d)}</code>`).join(', ')}</span>` : '';
    return `<tr><td>${badge(r.status)}${r.change === 'new' ? ' <b style="color:#c62828">new</b>' : ''}</td><td>${h(names.get(r.product) ?? r.product)}</td>
<td><b>${h(r.requirement)}</b><br><small>${h(r.purpose)}</small></td><td class="when">${when(outage?.ongoing ? outage.from : r.status_date)}</td><td class="when">${when(r.last_evidence)}</td>
<td class="n">${r.denies}</td><td>${capped(r.devices)}${silent}</td><td>${capped(r.rules, 2)}</td><td>${r.openings.length ? r.openings.slice(0, 2).map(tokens).join('<br>') : '—'}</td></tr>`;
  }).join('\n');

  const observedRows = observed.slice(0, MAX_TABLE).map((r) => `<tr><td>${badge(r.status)}</td><td>${h(names.get(r.product) ?? r.product)}</td><td>${h(r.requirement)}</td>
<td class="n">${r.denies}</td><td class="n">${r.allows}</td><td class="when">${when(r.last_deny)}</td><td class="when">${when(r.last_allow)}</td><td>${capped(r.src_hosts)} → ${capped(r.dst_hosts)}</td></tr>`).join('\n');

  const unobservedByProduct = new Map<string, string[]>();
  for (const r of unobserved) unobservedByProduct.set(r.product, [...(unobservedByProduct.get(r.product) ?? []), r.requirement]);
  const unobservedHtml = [...unobservedByProduct].sort((a, b) => a[0].localeCompare(b[0])).map(([p, list]) =>
    `<details><summary>${h(names.get(p) ?? p)}: ${list.length} unobserved</summary><p>${list.slice(0, 80).map((x) => `<code>${h(x)}</code>`).join(', ')}${more(list.length - Math.min(80, list.length))}</p></details>`).join('\n');

  const outages = failing.concat(m.requirements.filter((r) => r.status === 'ok' && r.outages.length > 0)).slice(0, MAX_TABLE).flatMap((r) =>
    r.outages.slice(-5).map((o) => `<tr><td>${h(label(r, names))}</td><td class="when">${when(o.from)}</td><td class="when">${o.ongoing ? '<b>ongoing</b> (last deny ' + when(o.to) + ')' : when(o.to)}</td><td class="n">${o.denies}</td></tr>`)).join('\n');

  const charts = failing.slice(0, MAX_CHARTS).map((r) => seriesChart(r, m.buckets, names)).join('\n');

  const blocked = m.top_blocked.items.map((b) => `<tr><td class="mono">${h(b.src_ip ?? '—')}</td><td class="mono">${h(b.dst_ip ?? '—')}</td>
<td class="mono">${h(b.transport ?? '—')}/${port(b.dst_port)}</td><td class="n">${b.count}</td><td class="when">${when(b.first_seen)}</td><td class="when">${when(b.last_seen)}</td><td>${b.devices.map((d) => `<code>${h(d)}</code>`).join(', ') || '—'}</td><td>${b.rules.map((d) => `<code>${h(d)}</code>`).join(', ') || '—'}</td></tr>`).join('\n');

  const inputs = m.inputs.items.map((c) => `<tr><td class="mono">${h(c.path ?? c.input_id)}</td><td>${h(c.format ?? '—')}${c.dialect ? ` <small>${h(c.dialect)}</small>` : ''}</td>
<td class="n">${c.lines}</td><td class="n">${c.flows}</td><td class="n">${c.skipped}</td>
<td>${c.skipped_detail.map((d) => `${h(d.reason)} (${h(d.kind)}): ${d.count}`).join('<br>') || '—'}${c.error ? `<br><b>error:</b> ${h(c.error)}` : ''}</td></tr>`).join('\n');

  const runs = m.runs.items.map((r) => `<tr><td class="mono">${h(r.run_id)}</td><td class="when">${when(r.started_at)}</td><td>${h(r.fwaudit_version ?? '')}</td>
<td class="n">${r.inputs}</td><td class="n">${r.lines}</td><td class="n">${r.flows}</td><td class="n">${r.findings}</td></tr>`).join('\n');

  const changes = m.changes.new.length + m.changes.resolved.length === 0
    ? `<p class="empty">${m.previous_run ? 'No requirement changed status since the previous run.' : 'No earlier run to compare with.'}</p>`
    : `<div class="changes"><div><h3>New (${m.changes.new.length})</h3>${m.changes.new.slice(0, 20).map((c) => changeBlock(c, 'new', names)).join('\n') || '<p class="empty">None.</p>'}${more(m.changes.new.length - 20)}</div>
<div><h3>Resolved (${m.changes.resolved.length})</h3>${m.changes.resolved.slice(0, 20).map((c) => changeBlock(c, 'resolved', names)).join('\n') || '<p class="empty">None.</p>'}${more(m.changes.resolved.length - 20)}</div></div>`;

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>fwaudit report</title>
<style>${CSS}</style></head>
<body>
<header><h1>fwaudit report: network requirements vs. firewall logs</h1>
<p class="meta"><span>Period: ${period}</span><span>Buckets: ${h(m.bucket)} (${h(m.display_tz)})</span><span>Latest run: ${run ? `${when(run.started_at)}` : 'none'}</span>
<span>Compared with: ${m.previous_run ? when(m.previous_run.started_at) : 'no earlier run'}</span><span>Store: <code>${h(m.store)}</code></span><span>Generated: ${when(m.generated_at)}</span></p></header>
<section><div class="cards">
${card('violated', s.violated, STATUS_COLOUR.violated)}${card('intermittent', s.intermittent, STATUS_COLOUR.intermittent)}
${card('ok', s.ok, STATUS_COLOUR.ok)}${card('unobserved', s.unobserved, STATUS_COLOUR.unobserved)}
${card('new since previous run', s.new, STATUS_COLOUR.violated)}${card('resolved', s.resolved, STATUS_COLOUR.ok)}
${card('denied flows in period', s.denied_flows, '#455a64')}
</div></section>
<section><h2>Changes since the previous run</h2>${changes}</section>
<section><h2>Failing now</h2>${failing.length ? `<table><thead><tr><th>Status</th><th>Product</th><th>Requirement</th><th>Failing since</th><th>Last evidence</th><th>Denied</th><th>Device</th><th>Rule</th><th>Open</th></tr></thead><tbody>
${failingRows}</tbody></table>${more(failing.length - Math.min(failing.length, MAX_TABLE))}` : '<p class="empty">No requirement is failing in the period.</p>'}</section>
<section><h2>Status per ${h(m.bucket)}</h2>${timelineGrid(m.requirements, m.buckets, names)}</section>
<section><h2>Denied flows per ${h(m.bucket)}, failing requirements</h2>${charts ? `<div class="charts">${charts}</div>${more(failing.length - Math.min(failing.length, MAX_CHARTS))}` : '<p class="empty">No failing requirement.</p>'}</section>
<section><h2>Outages</h2>${outages ? `<table><thead><tr><th>Requirement</th><th>From (first deny)</th><th>To (last deny)</th><th>Denied</th></tr></thead><tbody>${outages}</tbody></table>` : '<p class="empty">No outage in the period.</p>'}</section>
<section><h2>Log coverage per device</h2>${coverageGrid(m)}</section>
<section><h2>Requirements with evidence</h2>${observed.length ? `<table><thead><tr><th>Status</th><th>Product</th><th>Requirement</th><th>Denied</th><th>Allowed</th><th>Last deny</th><th>Last allow</th><th>Hosts (src → dst)</th></tr></thead><tbody>
${observedRows}</tbody></table>${more(observed.length - Math.min(observed.length, MAX_TABLE))}` : '<p class="empty">No requirement has evidence in the period.</p>'}
${unobserved.length ? `<h3>Unobserved (${unobserved.length}): deployed, no matching flow in the period</h3>${unobservedHtml}` : ''}</section>
<section><h2>Top blocked flows</h2>${m.top_blocked.items.length ? `<table><thead><tr><th>Source</th><th>Destination</th><th>Transport/port</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Devices</th><th>Rules</th></tr></thead><tbody>
${blocked}</tbody></table>${more(m.top_blocked.more)}` : '<p class="empty">No denied flows stored for the period.</p>'}</section>
<section><h2>Inputs read</h2>${m.inputs.items.length ? `<table><thead><tr><th>Input</th><th>Format</th><th>Lines</th><th>Flows</th><th>Skipped</th><th>Why skipped</th></tr></thead><tbody>
${inputs}</tbody></table>${more(m.inputs.more)}` : '<p class="empty">No inputs.</p>'}</section>
<section><h2>Runs</h2>${m.runs.items.length ? `<table><thead><tr><th>Run</th><th>Started</th><th>fwaudit</th><th>Inputs</th><th>Lines</th><th>Flows</th><th>Findings</th></tr></thead><tbody>
${runs}</tbody></table>${more(m.runs.more)}` : '<p class="empty">No runs.</p>'}</section>
<footer>Generated by fwaudit. Status per requirement from every stored flow in the period, per ${h(m.bucket)} of log time (${h(m.display_tz)}); the current status is that of the most recent ${h(m.bucket)} with evidence, ok only after allowed traffic with no deny.</footer>
</body></html>
`;
}
