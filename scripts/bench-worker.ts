/**
 * One measurement in its own process (so peak RSS is this run's): parse-only, or parse + match.
 * Prints one JSON line: { lines, flows, seconds, maxRssMB, bytes }.
 */
import { statSync } from 'node:fs';
import { readFlows } from '../src/pipeline/run.js';
import type { Flow } from '../src/model/flow.js';

async function main(): Promise<void> {
  const [mode, file, inventory] = process.argv.slice(2) as [string, string, string | undefined];
  let observe: (f: Flow) => void = () => {};
  let finish: () => unknown = () => null;
  if (mode === 'match') {
    const { buildMatcherFor } = await import('./bench-match.js');
    const m = await buildMatcherFor(inventory!);
    observe = (f) => m.observe(f);
    finish = () => m.result();
  }
  let flows = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const sums = await readFlows([file], { tz: 'UTC', year: 2026 }, (f) => { flows++; observe(f); });
  const res = finish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  const cpuSeconds = (cu.user + cu.system) / 1e6;
  const lines = sums.reduce((n, s) => n + s.lines, 0);
  const errors = sums.filter((s) => s.error).map((s) => s.error);
  process.stdout.write(JSON.stringify({
    lines, flows, seconds, cpuSeconds, bytes: statSync(file).size, maxRssMB: process.resourceUsage().maxRSS / 1024, errors,
    findings: res && typeof res === 'object' && 'findings' in res ? (res as { findings: unknown[] }).findings.length : null,
  }) + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
