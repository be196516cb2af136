/** CSV report: one row per requirement (formula-looking cells neutralised, RFC 4180 quoting). */
import { csvRow } from './escape.js';
import type { ReportModel } from './model.js';

export const REPORT_CSV_COLUMNS = [
  'product', 'product_name', 'requirement', 'necessity', 'status', 'denies', 'allows', 'first_seen', 'last_seen',
  'findings', 'new_violations', 'resolved_violations', 'src_hosts', 'dst_hosts', 'devices', 'rules', 'purpose', 'source',
] as const;

export function renderCsv(m: ReportModel): string {
  const tally = (list: typeof m.new_violations) => {
    const t = new Map<string, number>();
    for (const v of list) t.set(`${v.product}\u0000${v.requirement}`, (t.get(`${v.product}\u0000${v.requirement}`) ?? 0) + 1);
    return t;
  };
  const added = tally(m.new_violations), gone = tally(m.resolved_violations);
  let out = csvRow([...REPORT_CSV_COLUMNS]);
  for (const r of m.requirements) {
    const k = `${r.product}\u0000${r.requirement}`;
    out += csvRow([r.product, r.product_name, r.requirement, r.necessity, r.status, r.denies, r.allows, r.first_seen, r.last_seen,
      r.findings, added.get(k) ?? 0, gone.get(k) ?? 0, r.src_hosts.join(' '), r.dst_hosts.join(' '), r.devices.join(' '),
      r.rules.join(' | '), r.purpose, r.source]);
  }
  return out;
}
