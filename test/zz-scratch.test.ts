import { it } from 'vitest';
import { PARSERS } from '../parsers/index.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
const opts = { file: 'h', zone: new ZoneConverter('UTC'), years: new YearInferrer(2026, Date.UTC(2026, 5, 1)), actionMap: new Map() };
const sink = { flow: () => {}, skip: () => {}, note: () => {} };
function t(fn: () => void) { const a = performance.now(); fn(); return (performance.now() - a).toFixed(1); }
it('scratch', () => {
  for (const [fam, unit] of [['winfw', ' '], ['panos', ','], ['panos', '",']]) {
    const mod = PARSERS.find((m) => m.family === fam)!;
    for (const size of [10000, 100000, 100000]) {
      const line = unit.repeat(size / unit.length);
      const out: string[] = [`${fam} ${JSON.stringify(unit)} ${size}: detect ${t(() => mod.detect(line, 'x'))}`];
      for (const f of mod.formats) {
        let det: any; out.push(`forced ${f} ${t(() => { det = mod.forced(f, line); })}`);
        const p = mod.create(det, opts, sink);
        if (p.line) out.push(`line ${t(() => p.line!(line, 1))}`);
      }
      console.log(out.join(' | '));
    }
  }
});
