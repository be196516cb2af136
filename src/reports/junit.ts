/**
 * JUnit XML: one <testsuite> per product, one <testcase> per requirement (classname = product, name = requirement),
 * from the requirement's current status in the store (see model.ts).
 * - violated     → <failure type="violated">
 * - intermittent → <failure type="intermittent">: the required flow is blocked part of the time (another path,
 *                  rule order, a window), which breaks the product for those hosts just the same; CI should see it.
 * - unobserved   → <skipped>: no traffic, nothing to judge (a skipped case, not a skipped fwaudit test).
 * - ok           → passes.
 */
import { escapeXml as x } from './escape.js';
import { isFailing } from '../model/status.js';
import type { ReportModel, RequirementReport } from './model.js';

function cap(x: { items: string[]; more: number }): string {
  return (x.items.join(', ') || '-') + (x.more ? ` (+${x.more} more)` : '');
}

function failureBody(r: RequirementReport): string {
  const lines = [
    `${r.product} / ${r.requirement}: ${r.status} (${r.denies} denied, ${r.allows} allowed)`,
    `purpose: ${r.purpose}`,
    `necessity: ${r.necessity}`,
    `source: ${r.source}`,
    `status since: ${r.status_date ?? '-'}; last evidence: ${r.last_evidence ?? '-'}; last deny: ${r.last_deny ?? '-'}; last allow: ${r.last_allow ?? '-'}`,
    `hosts: ${cap(r.src_hosts)} -> ${cap(r.dst_hosts)}`,
  ];
  for (const o of r.outages.slice(-5)) lines.push(`outage: ${o.from} .. ${o.to}${o.ongoing ? ' (ongoing)' : ''}`);
  if (r.devices.items.length) lines.push(`devices: ${cap(r.devices)}`);
  if (r.silent_devices.length) lines.push(`silent since last evidence: ${r.silent_devices.join(', ')}`);
  if (r.rules.items.length) lines.push(`rules: ${cap(r.rules)}`);
  for (const o of r.openings) lines.push(`suggested opening: ${o}`);
  return lines.join('\n');
}

export function renderJunit(m: ReportModel): string {
  const byProduct = new Map<string, RequirementReport[]>();
  for (const r of m.requirements) {
    const l = byProduct.get(r.product) ?? [];
    l.push(r);
    byProduct.set(r.product, l);
  }
  const ts = (m.latest_run?.started_at ?? m.generated_at).replace(/\.\d+Z$|Z$/, '');
  let tests = 0, failures = 0, skipped = 0;
  const suites: string[] = [];
  for (const [product, reqs] of [...byProduct].sort((a, b) => a[0].localeCompare(b[0]))) {
    const f = reqs.filter((r) => isFailing(r.status)).length;
    const s = reqs.filter((r) => r.status === 'unobserved').length;
    tests += reqs.length; failures += f; skipped += s;
    const cases = [...reqs].sort((a, b) => a.requirement.localeCompare(b.requirement)).map((r) => {
      const open = `    <testcase classname="${x(product)}" name="${x(r.requirement)}" time="0">`;
      if (isFailing(r.status)) {
        const msg = `${r.status}: ${r.denies} denied flow(s) for ${r.purpose}`;
        return `${open}\n      <failure type="${r.status}" message="${x(msg)}">${x(failureBody(r))}</failure>\n    </testcase>`;
      }
      if (r.status === 'unobserved') return `${open}\n      <skipped message="no traffic observed for this requirement"/>\n    </testcase>`;
      return `${open}</testcase>`;
    });
    suites.push(`  <testsuite name="${x(product)}" tests="${reqs.length}" failures="${f}" errors="0" skipped="${s}" time="0" timestamp="${x(ts)}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="fwaudit" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="0">\n${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
}
