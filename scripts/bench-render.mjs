#!/usr/bin/env node
/**
 * CPU of rendering flows to JSON Lines or CSV (src/sinks/line-bytes.ts), per flow, for several builds in one
 * process: the first N flows of FILE are read once (with ROOT[0]'s parsers), then each ROOT's `byteRenderer`
 * renders them in turn, REPS times, alternating, so that a noisy machine affects every build alike. Each flow's
 * addresses are noted first, as a parser notes them (the community id's IPv4 path reads them). ROOT is a built
 * checkout (its `dist/`), e.g. a frozen build of main beside this one:
 *
 *   node scripts/bench-render.mjs bench-data/wfw-1000000-841bcf87.log 100000 15 /work/base .
 *   FMT=csv node scripts/bench-render.mjs bench-data/panos-1000000-841bcf87.log 100000 9 /work/base .
 *
 * Prints one line: min CPU (user+sys) per flow of each build, and the bytes rendered (equal when the output is).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, nArg = '100000', repsArg = '9', ...rootsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: [FMT=jsonl|csv] node scripts/bench-render.mjs FILE [N] [REPS] [ROOT...]');
  process.exit(2);
}
const roots = rootsArg.length ? rootsArg : ['.'];
const imp = (root, p) => import(pathToFileURL(resolve(root, p)).href);
const { readFlows } = await imp(roots[0], 'dist/src/pipeline/run.js');
const N = Number(nArg);
const flows = [];
const ENOUGH = new Error('enough');
try {
  await readFlows([file], { tz: 'UTC', year: 2026, jobs: 1 }, (f) => { if (flows.length < N) flows.push({ ...f }); else throw ENOUGH; });
} catch (e) { if (e !== ENOUGH && !String(e?.message).includes('enough')) throw e; }
const fmt = process.env.FMT ?? 'jsonl';
const runs = [];
for (const root of roots) {
  const { byteRenderer } = await imp(root, 'dist/src/sinks/flow-writer.js');
  const { LineBuffer } = await imp(root, 'dist/src/sinks/line-bytes.js');
  const { noteIpv4, ipv4ToInt } = await imp(root, 'dist/src/model/ip.js');
  const v4 = (s) => (typeof s === 'string' && s.indexOf(':') < 0 ? ipv4ToInt(s) : -1);
  runs.push({ root, render: byteRenderer(fmt, 'native'), lb: new LineBuffer((1 << 20) + (64 << 10)), noteIpv4, si: flows.map((f) => v4(f.src_ip)), di: flows.map((f) => v4(f.dst_ip)), best: Infinity, bytes: 0 });
}
for (let r = 0; r < Number(repsArg); r++) {
  for (const x of runs) {
    const { render, lb, noteIpv4, si, di } = x;
    let bytes = 0;
    const t0 = process.cpuUsage();
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i];
      if (si[i] >= 0) noteIpv4(f.src_ip, si[i]);
      if (di[i] >= 0) noteIpv4(f.dst_ip, di[i]);
      render(f, lb);
      if (lb.pos >= 1 << 20) { bytes += lb.pos; lb.pos = 0; }
    }
    bytes += lb.pos; lb.pos = 0;
    const t = process.cpuUsage(t0);
    x.best = Math.min(x.best, (t.user + t.system) / 1000);
    x.bytes = bytes;
  }
}
console.log(`${file} ${fmt} ${flows.length} flows: ` + runs.map((x) => `${x.root} ${Math.round((x.best * 1e6) / flows.length)} ns/flow (${x.bytes} B)`).join(' | '));
