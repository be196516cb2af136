/** Terminal text of the diagnose results (the JSON form is the result objects themselves). */
import { sanitizeText } from '../model/sanitize.js';
import { evidenceLine, plural, windowText, type TimeWindow } from './common.js';
import type { RpcResult } from './rpc.js';
import type { SymptomResult, listSymptoms } from './symptom.js';

/** Log text is attacker-controlled: no control characters (terminal escapes) reach the terminal. */
function clean(text: string): string {
  return sanitizeText(text, { newlines: true });
}

function bullets(lines: string[]): string[] {
  return lines.map((l) => `  - ${l}`);
}

export function renderRpc(r: RpcResult, window: TimeWindow | null): string {
  const c = r.counts;
  const out = [
    `Verdict: ${r.verdict}`,
    `  ${r.headline}`,
    `  from ${r.from}${r.from_addresses.length > 1 || r.from_addresses[0] !== r.from ? ` (${r.from_addresses.join(', ')})` : ''} to ${r.to}${r.to_addresses.length > 1 || r.to_addresses[0] !== r.to ? ` (${r.to_addresses.join(', ')})` : ''}; dynamic RPC range ${r.dynamic_range}${r.legacy_target ? ' (--legacy-target)' : ''}`,
    `  window: ${windowText(window)}`,
    `  ${plural(c.flows, 'flow')} between the pair: ${c.allowed} allowed, ${c.denied} denied${c.unknown ? `, ${c.unknown} without verdict` : ''}${c.outside_window ? `; ${c.outside_window} outside the window` : ''}`,
    '',
    'What happened and what to do:',
    ...bullets(r.requirements.length ? r.advice.filter((a) => !a.startsWith('Vendor requirement')) : r.advice),
  ];
  if (r.requirements.length) {
    out.push('', 'Vendor requirements:', ...bullets(r.requirements.map((q) => `${q.cite} — ${q.transport.toUpperCase()} ${q.ports}: ${q.purpose}`)));
  }
  if (r.evidence.length) {
    out.push('', `Evidence (${r.evidence.length} of ${c.flows} flows):`, ...r.evidence.map((e) => `  ${evidenceLine(e)}`));
  }
  return clean(out.join('\n')) + '\n';
}

export function renderSymptom(r: SymptomResult, window: TimeWindow | null): string {
  const out = [
    `Verdict: ${r.verdict}`,
    `  ${r.product} (${r.ruleset}): "${r.symptom.text}" [${r.symptom.id}]`,
    `  ${r.headline}`,
    `  window: ${windowText(window)}${r.host ? `; host ${r.host}` : ''}`,
    '',
    'Requirements:',
  ];
  const w = Math.max(...r.requirements.map((q) => q.requirement.length), 10);
  for (const q of r.requirements) {
    const to = q.hosts ? q.hosts.join(', ') : q.to_role;
    out.push(`  ${q.status.padEnd(14)} ${q.requirement.padEnd(w)}  ${q.transport.toUpperCase()} ${q.ports}  ${q.from_role} -> ${to}  (${q.denied} denied, ${q.allowed} allowed)`);
  }
  if (r.not_applicable.length) {
    out.push(`  not applicable: ${r.not_applicable.map((q) => `${q.requirement}${q.condition ? ` (${q.condition})` : ''}`).join('; ')}`);
  }
  out.push('', 'What happened and what to do:', ...bullets(r.advice));
  if (r.evidence.length) out.push('', `Evidence (${r.evidence.length} shown):`, ...r.evidence.map((e) => `  ${evidenceLine(e)}`));
  return clean(out.join('\n')) + '\n';
}

export function renderList(items: ReturnType<typeof listSymptoms>): string {
  const rows: Array<[string, string, string]> = [['(built in)', 'rpc', 'The RPC server is unavailable: fwaudit diagnose rpc --from SERVER --to TARGET <logs>']];
  for (const s of items) rows.push([s.ruleset, s.symptom, s.text]);
  const w0 = Math.max(...rows.map((r) => r[0].length), 'PRODUCT'.length);
  const w1 = Math.max(...rows.map((r) => r[1].length), 'SYMPTOM'.length);
  const out = [`${'PRODUCT'.padEnd(w0)}  ${'SYMPTOM'.padEnd(w1)}  TEXT`];
  for (const [a, b, c] of rows) out.push(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  out.push('', 'Run: fwaudit diagnose --product PRODUCT --symptom SYMPTOM [--host IP] [--inventory FILE] <logs...>');
  return out.join('\n') + '\n';
}
