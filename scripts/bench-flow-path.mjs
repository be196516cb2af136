#!/usr/bin/env node
/**
 * CPU of the per-flow path after the parser, in one thread: reads FILE with `readFlows` (parser + gate + time
 * window) once handing each flow to nothing, once to `Matcher.observe`; the difference is the matcher's cost
 * per flow. ROOT is a built checkout (its `dist/`), so a frozen build of main can be measured beside this one:
 *
 *   node scripts/bench-flow-path.mjs . bench-data/iptables-1000000-841bcf87.log bench-data/inventory.yaml 3
 *   node scripts/bench-flow-path.mjs /work/base bench-data/iptables-1000000-841bcf87.log - 3     (port-only)
 *
 * Prints one JSON line: min CPU (user+sys) over the repetitions of each mode, and ns per flow of the matcher.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [root, file, inv = '-', repsArg = '3', mode] = process.argv.slice(2);
if (!root || !file) {
  console.error('usage: node scripts/bench-flow-path.mjs ROOT FILE [inventory.yaml|-] [reps]');
  process.exit(2);
}

if (mode === undefined) {
  // parent: each measurement in a fresh process, alternating the modes
  const best = { noop: Infinity, match: Infinity };
  let flows = 0;
  for (let r = 0; r < Number(repsArg); r++) {
    for (const m of ['noop', 'match']) {
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), root, file, inv, '1', m], { encoding: 'utf8' });
      if (out.status !== 0) { process.stderr.write(out.stderr); process.exit(1); }
      const res = JSON.parse(out.stdout);
      best[m] = Math.min(best[m], res.cpu_ms);
      flows = res.flows;
    }
  }
  console.log(JSON.stringify({
    root: resolve(root), file, inventory: inv, flows, parse_gate_ms: best.noop, parse_gate_match_ms: best.match,
    matcher_ns_per_flow: Math.round(((best.match - best.noop) * 1e6) / flows),
  }));
} else {
  const imp = (p) => import(pathToFileURL(resolve(root, p)).href);
  const { readFlows } = await imp('dist/src/pipeline/run.js');
  const { Matcher } = await imp('dist/src/matcher/matcher.js');
  const { resolveRulesets } = await imp('dist/src/rulesets/load.js');
  const { loadInventory } = await imp('dist/src/inventory/load.js');
  const rulesets = resolveRulesets([]);
  const inventory = inv === '-' ? null : await loadInventory(inv, rulesets);
  const m = new Matcher(rulesets, inventory);
  let flows = 0;
  const onFlow = mode === 'match' ? (f) => { flows++; m.observe(f); } : () => { flows++; };
  const t0 = process.cpuUsage();
  await readFlows([file], { jobs: 1, tz: 'UTC', year: 2026 }, onFlow);
  const u = process.cpuUsage(t0);
  console.log(JSON.stringify({ mode, flows, cpu_ms: Math.round((u.user + u.system) / 1000) }));
}
