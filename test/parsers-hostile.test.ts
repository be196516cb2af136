/**
 * Bounded time on hostile input: every detector and every line/record parser is fed adversarial lines
 * of 10 KB and 100 KB (patterns that made backtracking regular expressions cubic: repeated partial keys,
 * open quotes and tags, long runs of the characters a pattern loops on). A 100 KB line must take less
 * than 200 ms and ten times the input less than ~20 times the time (linear, with slack for noise).
 */
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../parsers/index.js';
import type { ParserModule } from '../parsers/types.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';

const UNITS: Array<[string, string]> = [
  ['IN= SRC=', 'IN= SRC=1 DST=1 '],
  ['IN=x SRC=1.2.3.4 DST=', 'IN=x SRC=1.2.3.4 DST='],
  ['netfilter keys without PROTO', 'IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 '],
  ['OUT= runs', ' OUT=OUT=IN=SRC=DST='],
  ['hex run', 'a0:'],
  ['Data tags without end', '<Data Name="a">'],
  ['open Data attribute', '<Data Name="'],
  ['EventID tags', '<EventID'],
  ['TimeCreated tags', '<TimeCreated SystemTime="'],
  ['Message tags', '<Message>'],
  ['PAN-OS dates', '2024/01/01 00:00:00,'],
  ['PAN-OS dates without commas', ' 0000/00/00 0'],
  ['PAN-OS FU and dates', '1,2024/01/01 00:00:00,x,'],
  ['commas', ','],
  ['quotes', '"'],
  ['quote comma', '",'],
  ['ISO stamps', '2024-01-01T00:00:00.'],
  ['digits', '1'],
  ['spaces', ' '],
  ['brackets', '['],
  ['uptime brackets', '[ 1.'],
  ['PRI', '<1>'],
  ['octet frames', '9 <'],
  ['Wazuh', 'log 1 pass = '],
  ['month names', 'Mar  9 '],
  ['equals', '='],
  ['pfirewall tokens', '2024-01-01 00:00:00 DROP '],
  ['ampersands', '&#x1'],
];

function build(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

const opts = {
  file: 'hostile.log', zone: new ZoneConverter('UTC'), years: new YearInferrer(2026, Date.UTC(2026, 5, 1)), actionMap: new Map(),
};
const sink = { flow: () => {}, skip: () => {}, note: () => {} };

/** Runs every detector and every forced parser of a module over one line. */
function runAll(mod: ParserModule, line: string): void {
  mod.detect(line, 'hostile.log');
  for (const format of mod.formats) {
    const det = mod.forced(format, line);
    const p = mod.create(det, opts, sink);
    if (det.framing === 'json') {
      p.record!({ MESSAGE: line, message: line, EventID: 5157, SourceAddress: line, DestAddress: line, TimeCreated: line,
        EventData: line, LogType: 'TRAFFIC', SourceIP: line, TimeGenerated: line, Message: line }, 1);
    } else p.line!(line, 1);
    p.end?.();
  }
}

function best(fn: () => void): number {
  let m = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fn();
    m = Math.min(m, performance.now() - t0);
  }
  return m;
}

describe('hostile lines: every detector and parser in linear time', () => {
  for (const mod of PARSERS) {
    it(`${mod.family}: 100 KB adversarial lines < 200 ms, 10× input < 20× time`, () => {
      const slow: string[] = [];
      for (const [name, unit] of UNITS) {
        const small = build(unit, 10_000), big = build(unit, 100_000);
        runAll(mod, small); // warm up
        const t10 = best(() => runAll(mod, small));
        const t100 = best(() => runAll(mod, big));
        // best of 5 runs; the 15 ms slack absorbs a GC pause on a loaded machine (quadratic work is 100×, cubic 1000×)
        if (t100 > 200 || t100 > 20 * Math.max(t10, 0.5) + 15) slow.push(`${name}: 10 KB ${t10.toFixed(1)} ms, 100 KB ${t100.toFixed(1)} ms`);
      }
      expect(slow).toEqual([]);
    });
  }
  it('a 12 KB hostile first line no longer stalls detection of the whole run', () => {
    const line = build('IN= SRC=1 DST=1 ', 12_000);
    const t0 = performance.now();
    for (const mod of PARSERS) mod.detect(line, 'x.log');
    expect(performance.now() - t0).toBeLessThan(200);
  });
});
