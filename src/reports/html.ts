/**
 * One self-contained HTML report: inline CSS, hand-written inline SVG charts, no scripts, fonts, images
 * or external references. Every string that comes from logs, rulesets or inventory goes through escapeHtml.
 */
import type { RequirementStatus } from '../model/finding.js';
import { isFailing } from '../model/status.js';
import { escapeHtml as h } from './escape.js';
import type { DenySeries, ReportModel, RequirementReport, ViolationKey } from './model.js';

const STATUS_COLOUR: Record<RequirementStatus, string> = {
  violated: '#c62828', intermittent: '#e65100', ok: '#2e7d32', unobserved: '#616161',
};
const STATUS_FILL: Record<RequirementStatus, string> = {
  violated: '#fdecea', intermittent: '#fff3e0', ok: '#e8f5e9', unobserved: '#f1f1f1',
};
const SERIES_COLOURS = ['#c62828', '#1565c0', '#6a1b9a', '#00838f', '#ef6c00', '#2e7d32', '#ad1457', '#4e342e'];

const CSS = `
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --bg: #ffffff; --head: #f6f7f9; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; padding: 24px 32px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0 0 16px; } .meta span { margin-right: 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 22px; } .card small { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; }
.new { color: #c62828; font-weight: 600; } .resolved { color: #2e7d32; font-weight: 600; }
svg { max-width: 100%; height: auto; } svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 8px 24px; }
.chart h3 { font-size: 13px; margin: 8px 0 2px; font-weight: 600; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  body { padding: 0; font-size: 11px; } h2 { break-after: avoid; page-break-after: avoid; }
  section, tr, .chart, .card { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .charts { grid-template-columns: 1fr 1fr; }
  @page { size: A4; margin: 12mm; }
}`;

function badge(s: RequirementStatus): string {
  return `<span class="badge" style="color:${STATUS_COLOUR[s]};border-color:${STATUS_COLOUR[s]};background:${STATUS_FILL[s]}">${h(s)}</span>`;
}
function when(iso: string | null): string {
  return iso ? h(iso.replace('T', ' ').replace(/\.000Z$|Z$/, ' UTC')) : '—';
}
function list(xs: string[], max = 6): string {
  if (xs.length === 0) return '—';
  const shown = xs.slice(0, max).map((x) => `<code>${h(x)}</code>`).join(', ');
  return xs.length > max ? `${shown} <small>+${xs.length - max} more</small>` : shown;
}
function port(p: number | null): string {
  return p === null ? '—' : String(p);
}
/** Text shortened for SVG labels (the full text is in a <title>). */
function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
function fmtBucket(iso: string, bucket: 'day' | 'hour'): string {
  return bucket === 'day' ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`;
}

/** Bars per bucket for one requirement, with axis labels. */
function seriesChart(s: DenySeries, buckets: string[], bucket: 'day' | 'hour', colour: string): string {
  const W = 440, H = 130, L = 36, R = 8, T = 10, B = 28;
  const n = Math.max(1, buckets.length);
  const max = Math.max(1, ...s.counts);
  const bw = (W - L - R) / n;
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const bars = s.counts.map((c, i) => {
    if (c === 0) return '';
    const x = L + i * bw;
    return `<rect x="${(x + bw * 0.1).toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(1, bw * 0.8).toFixed(1)}" height="${(H - B - y(c)).toFixed(1)}" fill="${colour}"><title>${h(fmtBucket(buckets[i]!, bucket))}: ${c}</title></rect>`;
  }).join('');
  const first = buckets[0] ? fmtBucket(buckets[0], bucket) : '';
  const last = buckets.length > 1 ? fmtBucket(buckets[buckets.length - 1]!, bucket) : '';
  const label = `${s.product} / ${s.requirement}`;
  return `<div class="chart"><h3>${h(label)} <small>(${s.total} denied, per ${bucket})</small></h3>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${h(`Denied flows per ${bucket} for ${label}`)}">
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>
<text x="${L - 4}" y="${T + 4}" font-size="10" text-anchor="end">${max}</text><text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end">0</text>
${bars}
<text x="${L}" y="${H - B + 14}" font-size="10">${h(first)}</text><text x="${W - R}" y="${H - B + 14}" font-size="10" text-anchor="end">${h(last)}</text>
</svg></div>`;
}

function topRequirementsChart(reqs: RequirementReport[]): string {
  const rows = reqs.filter((r) => isFailing(r.status)).sort((a, b) => b.denies - a.denies).slice(0, 12);
  if (rows.length === 0) return '<p class="empty">No violated requirements.</p>';
  const W = 900, rowH = 24, L = 300, R = 120, T = 6; // R leaves room for "65 (intermittent)"
  const H = T * 2 + rows.length * rowH;
  const max = Math.max(1, ...rows.map((r) => r.denies));
  const body = rows.map((r, i) => {
    const y = T + i * rowH;
    const w = Math.max(2, ((W - L - R) * r.denies) / max);
    const label = `${r.product} / ${r.requirement}`;
    return `<g><title>${h(label)}: ${r.denies} denied (${h(r.status)})</title>
<text x="${L - 8}" y="${y + 16}" font-size="12" text-anchor="end">${h(clip(label, 42))}</text>
<rect x="${L}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${STATUS_COLOUR[r.status]}"/>
<text x="${(L + w + 6).toFixed(1)}" y="${y + 16}" font-size="12">${r.denies} ${h(r.status === 'intermittent' ? '(intermittent)' : '')}</text></g>`;
  }).join('\n');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Top violated requirements by denied flows">${body}</svg>`;
}

function statusMatrix(reqs: RequirementReport[]): string {
  if (reqs.length === 0) return '<p class="empty">No requirements in the latest run.</p>';
  const byProduct = new Map<string, RequirementReport[]>();
  for (const r of reqs) {
    const l = byProduct.get(r.product) ?? [];
    l.push(r);
    byProduct.set(r.product, l);
  }
  const perRow = 5, cellW = 150, cellH = 40, gap = 4, L = 170, W = L + perRow * (cellW + gap);
  let y = 4;
  const parts: string[] = [];
  for (const [product, list] of [...byProduct].sort((a, b) => a[0].localeCompare(b[0]))) {
    const sorted = [...list].sort((a, b) => a.requirement.localeCompare(b.requirement));
    const rows = Math.ceil(sorted.length / perRow);
    parts.push(`<text x="0" y="${y + 24}" font-size="13" font-weight="600">${h(clip(product, 22))}<title>${h(product)}</title></text>`);
    sorted.forEach((r, i) => {
      const x = L + (i % perRow) * (cellW + gap);
      const cy = y + Math.floor(i / perRow) * (cellH + gap);
      parts.push(`<g><title>${h(`${product} / ${r.requirement}: ${r.status} (${r.denies} denied, ${r.allows} allowed)`)}</title>
<rect x="${x}" y="${cy}" width="${cellW}" height="${cellH}" rx="4" fill="${STATUS_FILL[r.status]}" stroke="${STATUS_COLOUR[r.status]}"/>
<text x="${x + 6}" y="${cy + 16}" font-size="11">${h(clip(r.requirement, 22))}</text>
<text x="${x + 6}" y="${cy + 32}" font-size="11" font-weight="700" fill="${STATUS_COLOUR[r.status]}">${h(r.status.toUpperCase())}</text></g>`);
    });
    y += rows * (cellH + gap) + 8;
  }
  return `<svg viewBox="0 0 ${W} ${y}" width="${W}" height="${y}" role="img" aria-label="Status of each requirement per product">${parts.join('\n')}</svg>`;
}

function violationTable(rows: ViolationKey[], cls: string, empty: string): string {
  if (rows.length === 0) return `<p class="empty">${h(empty)}</p>`;
  return `<table><thead><tr><th>Product</th><th>Requirement</th><th>Source</th><th>Destination</th><th>Transport/port</th><th>Denied</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>
${rows.map((v) => `<tr><td class="${cls}">${h(v.product)}</td><td>${h(v.requirement)}</td><td class="mono">${h(v.src_ip)}</td><td class="mono">${h(v.dst_ip)}</td>
<td>${h(v.transport)}/${port(v.dst_port)}</td><td class="n">${v.count}</td><td>${when(v.first_seen)}</td><td>${when(v.last_seen)}</td></tr>`).join('\n')}
</tbody></table>`;
}

export function renderHtml(m: ReportModel): string {
  const s = m.summary;
  const card = (label: string, value: number, colour: string) =>
    `<div class="card" style="border-left-color:${colour}"><b>${value}</b><small>${h(label)}</small></div>`;
  const period = `${m.period.since ? when(m.period.since) : 'beginning'} → ${m.period.until ? when(m.period.until) : 'now'}`;
  const run = m.latest_run;

  const reqRows = m.requirements.map((r) => `<tr><td>${badge(r.status)}</td><td>${h(r.product_name ?? r.product)}${r.product_name && r.product_name !== r.product ? `<br><small class="mono">${h(r.product)}</small>` : ''}</td>
<td><b>${h(r.requirement)}</b><br><small>${h(r.purpose)}</small></td><td>${h(r.necessity)}</td><td class="n">${r.denies}</td><td class="n">${r.allows}</td>
<td>${when(r.first_seen)}</td><td>${when(r.last_seen)}</td><td>${list(r.src_hosts)} → ${list(r.dst_hosts)}</td><td>${list(r.rules, 3)}</td>
<td><small>${h(r.source)}</small>${r.openings.length ? `<br><small>Open: ${list(r.openings, 2)}</small>` : ''}</td></tr>`).join('\n');

  const series = m.denies_over_time.series.slice(0, 12).map((x, i) =>
    seriesChart(x, m.denies_over_time.buckets, m.denies_over_time.bucket, SERIES_COLOURS[i % SERIES_COLOURS.length]!)).join('\n');

  const blocked = m.top_blocked.map((b) => `<tr><td class="mono">${h(b.src_ip ?? '—')}</td><td class="mono">${h(b.dst_ip ?? '—')}</td>
<td>${h(b.transport ?? '—')}/${port(b.dst_port)}</td><td class="n">${b.count}</td><td>${when(b.first_seen)}</td><td>${when(b.last_seen)}</td><td>${list(b.devices, 3)}</td><td>${list(b.rules, 3)}</td></tr>`).join('\n');

  const coverage = m.coverage.map((c) => `<tr><td class="mono">${h(c.path ?? c.input_id)}</td><td>${h(c.format ?? '—')}${c.dialect ? ` <small>${h(c.dialect)}</small>` : ''}</td>
<td class="n">${c.lines}</td><td class="n">${c.flows}</td><td class="n">${c.skipped}</td>
<td>${c.skipped_detail.map((d) => `${h(d.reason)} (${h(d.kind)}): ${d.count}`).join('<br>') || '—'}${c.error ? `<br><b>error:</b> ${h(c.error)}` : ''}</td></tr>`).join('\n');

  const runs = m.runs.map((r) => `<tr><td class="mono">${h(r.run_id)}</td><td>${when(r.started_at)}</td><td>${h(r.fwaudit_version ?? '')}</td>
<td>${h(Object.entries(r.ruleset_versions).map(([k, v]) => `${k} ${v}`).join(', '))}</td><td class="n">${r.inputs}</td><td class="n">${r.lines}</td><td class="n">${r.flows}</td><td class="n">${r.findings}</td></tr>`).join('\n');

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>fwaudit report</title>
<style>${CSS}</style></head>
<body>
<header><h1>fwaudit report: network requirements vs. firewall logs</h1>
<p class="meta"><span>Period: ${period}</span><span>Latest run: ${run ? `<code>${h(run.run_id)}</code> (${when(run.started_at)})` : 'none'}</span>
<span>Compared with: ${m.previous_run ? `<code>${h(m.previous_run.run_id)}</code> (${when(m.previous_run.started_at)})` : 'no earlier run'}</span>
<span>Store: <code>${h(m.store)}</code></span><span>Generated: ${when(m.generated_at)}</span></p></header>
<section><div class="cards">
${card('violated', s.violated, STATUS_COLOUR.violated)}${card('intermittent', s.intermittent, STATUS_COLOUR.intermittent)}
${card('ok', s.ok, STATUS_COLOUR.ok)}${card('unobserved', s.unobserved, STATUS_COLOUR.unobserved)}
${card('new violations', s.new_violations, STATUS_COLOUR.violated)}${card('resolved', s.resolved_violations, STATUS_COLOUR.ok)}
${card('denied flows in period', s.denied_flows, '#455a64')}
</div></section>
<section><h2>New violations since the previous run</h2>${violationTable(m.new_violations, 'new', m.previous_run ? 'None.' : 'No earlier run to compare with: every violation of the latest run is listed as new.')}</section>
<section><h2>Resolved since the previous run</h2>${violationTable(m.resolved_violations, 'resolved', 'None.')}</section>
<section><h2>Status per product and requirement</h2>${statusMatrix(m.requirements)}</section>
<section><h2>Top violated requirements (denied flows, latest run)</h2>${topRequirementsChart(m.requirements)}</section>
<section><h2>Denied flows over time per violated requirement</h2>${series ? `<div class="charts">${series}</div>` : '<p class="empty">No denied flows matched a violated requirement in the period.</p>'}</section>
<section><h2>Requirements</h2>${m.requirements.length ? `<table><thead><tr><th>Status</th><th>Product</th><th>Requirement</th><th>Necessity</th><th>Denied</th><th>Allowed</th><th>First seen</th><th>Last seen</th><th>Hosts (src → dst)</th><th>Rules</th><th>Source</th></tr></thead><tbody>
${reqRows}</tbody></table>` : '<p class="empty">No runs in the period.</p>'}</section>
<section><h2>Top blocked flows</h2>${m.top_blocked.length ? `<table><thead><tr><th>Source</th><th>Destination</th><th>Transport/port</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Devices</th><th>Rules</th></tr></thead><tbody>
${blocked}</tbody></table>` : '<p class="empty">No denied flows stored for the period.</p>'}</section>
<section><h2>Parse coverage</h2>${m.coverage.length ? `<table><thead><tr><th>Input</th><th>Format</th><th>Lines</th><th>Flows</th><th>Skipped</th><th>Why skipped</th></tr></thead><tbody>
${coverage}</tbody></table>` : '<p class="empty">No inputs ingested in the period.</p>'}</section>
<section><h2>Runs</h2>${m.runs.length ? `<table><thead><tr><th>Run</th><th>Started</th><th>fwaudit</th><th>Rulesets</th><th>Inputs</th><th>Lines</th><th>Flows</th><th>Findings</th></tr></thead><tbody>
${runs}</tbody></table>` : '<p class="empty">No runs in the period.</p>'}</section>
<footer>Generated by fwaudit. Status is that of the latest run in the period; first/last seen span all runs in the period. Times are UTC.</footer>
</body></html>
`;
}
