/** CSV report: one row per requirement with its current status (formula-looking cells neutralised, RFC 4180 quoting). */
import { csvRow } from './escape.js';
import type { ReportModel } from './model.js';

export const REPORT_CSV_COLUMNS = [
  'product', 'product_name', 'requirement', 'necessity', 'status', 'status_date', 'change', 'last_evidence', 'last_deny', 'last_allow',
  'denies', 'allows', 'outages', 'failing_since', 'devices', 'silent_devices', 'rules', 'src_hosts', 'dst_hosts', 'open', 'purpose', 'source',
] as const;

export function renderCsv(m: ReportModel): string {
  let out = csvRow([...REPORT_CSV_COLUMNS]);
  for (const r of m.requirements) {
    const o = r.outages[r.outages.length - 1];
    const cap = (x: { items: string[]; more: number }, sep = ' ') => x.items.join(sep) + (x.more ? `${sep}+${x.more} more` : '');
    out += csvRow([r.product, r.product_name, r.requirement, r.necessity, r.status, r.status_date, r.change ?? '', r.last_evidence, r.last_deny, r.last_allow,
      r.denies, r.allows, r.outages.length, o?.ongoing ? o.from : '', cap(r.devices), r.silent_devices.join(' '), cap(r.rules, ' | '),
      cap(r.src_hosts), cap(r.dst_hosts), r.openings.join(' | '), r.purpose, r.source]);
  }
  return out;
}
