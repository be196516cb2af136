/**
 * The worker pool (src/pipeline/pool.ts) against the single-threaded reader: the same flows in the same
 * order and the same summaries, on every golden fixture cut into many small byte ranges, on a directory
 * of mixed files (gzip, JSON, CSV: whole-file tasks), and on the states that cross a cut: the year of
 * year-less syslog (December → January, with --year) and pfirewall `#Fields:` headers that change mid-file.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Flow } from '../src/model/flow.js';
import { readFlows, type InputSummary, type ReadOptions } from '../src/pipeline/run.js';
import { readFlowsPooled, type PoolStats, type PoolTuning } from '../src/pipeline/pool.js';
import { expandInputs } from '../src/pipeline/inputs.js';
import { ROOT } from './helpers/cli.js';
import { goldenInputs } from './helpers/golden-inputs.js';

const tiny = (rangeBytes: number, stats?: PoolStats): PoolTuning => ({ rangeBytes, splitMinBytes: 0, minTotalBytes: 0, split: true, ...(stats ? { stats } : {}) });

const newStats = (): PoolStats => ({ workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 });

async function single(inputs: string[], o: ReadOptions): Promise<{ flows: Flow[]; sums: InputSummary[] }> {
  const flows: Flow[] = [];
  const sums = await readFlows(inputs, { ...o, jobs: 1 }, (f) => flows.push({ ...f }));
  return { flows, sums };
}

async function pooled(inputs: string[], o: ReadOptions, t: PoolTuning, jobs = 2): Promise<{ flows: Flow[]; sums: InputSummary[] }> {
  const flows: Flow[] = [];
  const sums = await readFlowsPooled(expandInputs(inputs), { ...o, jobs }, (f) => flows.push({ ...f }), t);
  if (!sums) throw new Error('the pool declined');
  return { flows, sums };
}

async function expectSame(inputs: string[], o: ReadOptions, t: PoolTuning, jobs = 2): Promise<number> {
  const a = await single(inputs, o);
  const b = await pooled(inputs, o, t, jobs);
  expect(b.flows.length).toBe(a.flows.length);
  for (let i = 0; i < a.flows.length; i++) expect(b.flows[i], `flow #${i + 1}`).toEqual(a.flows[i]);
  expect(b.sums).toEqual(a.sums);
  return a.flows.length;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fwaudit-pool-')); });

describe('pool = single thread', () => {
  for (const g of goldenInputs()) {
    it(`${g.input}, cut every ~150 and ~1000 bytes`, async () => {
      const o: ReadOptions = { tz: g.tz, ...(g.year ? { year: g.year } : {}) };
      const n = await expectSame([join(ROOT, g.input)], o, tiny(150));
      expect(n).toBeGreaterThan(0);
      await expectSame([join(ROOT, g.input)], o, tiny(1000), 3);
    });
  }

  it('a directory of every family, gzip and JSON included (whole-file tasks beside ranges)', async () => {
    const d = join(dir, 'mixed');
    mkdirSync(d, { recursive: true });
    for (const g of goldenInputs()) {
      const name = g.input.replace(/\//g, '_');
      writeFileSync(join(d, name), readFileSync(join(ROOT, g.input)));
    }
    writeFileSync(join(d, 'zz.log.gz'), gzipSync(readFileSync(join(ROOT, 'fixtures/iptables/bsd-ufw.log'))));
    writeFileSync(join(d, 'zz-missing-is-fine'), '');
    const st = newStats();
    const n = await expectSame([d, join(dir, 'does-not-exist.log')], { tz: 'UTC', year: 2025 }, tiny(200, st), 3);
    expect(n).toBeGreaterThan(100);
    expect(st.wholeTasks).toBeGreaterThan(3);
    expect(st.ranges).toBeGreaterThan(20);
    expect(st.workers).toBe(2);
    // without splitting, every input is a whole-file task read by the ordinary reader: summaries identical
    const whole = newStats();
    await expectSame([d], { tz: 'UTC', year: 2025 }, { rangeBytes: 200, splitMinBytes: 0, minTotalBytes: 0, stats: whole }, 3);
    expect(whole.ranges).toBe(0);
    expect(whole.wholeTasks).toBeGreaterThan(10);
  });

  it('year-less syslog with --year: December → January steps on and across the cuts', async () => {
    const months = ['Nov', 'Dec', 'Jan', 'Feb', 'Jul', 'Aug', 'Dec', 'Jan', 'Mar'];
    const lines: string[] = [];
    let n = 0;
    for (const m of months) {
      for (let i = 0; i < 7; i++) {
        lines.push(`${m} ${String(1 + i).padStart(2, ' ')} 10:00:0${i} gw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.${1 + (n % 200)} DST=10.1.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=1 DF PROTO=TCP SPT=${1000 + n} DPT=443 WINDOW=1 RES=0x00 SYN URGP=0`);
        n++;
      }
    }
    const f = join(dir, 'years.log');
    writeFileSync(f, lines.join('\n') + '\n');
    const a = await single([f], { tz: 'UTC', year: 2024 });
    // the reference itself steps the year twice
    expect(new Set(a.flows.map((x) => new Date(x.ts!).getUTCFullYear()))).toEqual(new Set([2024, 2025, 2026]));
    let reruns = 0;
    for (const size of [100, 230, 700, 2000]) {
      const st = newStats();
      await expectSame([f], { tz: 'UTC', year: 2024 }, tiny(size, st));
      expect(st.ranges, `cut every ${size}`).toBeGreaterThan(3);
      reruns += st.reruns;
    }
    expect(reruns).toBeGreaterThan(0); // some range started with the wrong year and was parsed again
    await expectSame([f], { tz: 'UTC' }, tiny(300)); // without --year: inferred per line
  });

  it('pfirewall.log whose #Fields: header changes mid-file', async () => {
    const h17 = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
    const hOdd = '#Fields: date time action protocol dst-ip src-ip dst-port src-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
    const out: string[] = ['#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local', h17, ''];
    // beyond the first MiB (the head the pool looks at), so that ranges start with a guessed header
    for (let block = 0; block < 6; block++) {
      if (block > 0) out.push('#Version: 1.5', block % 2 ? hOdd : h17);
      for (let i = 0; i < 2500; i++) out.push(`2024-03-09 14:0${block}:1${i % 10} DROP TCP 10.0.${block}.${1 + (i % 250)} 192.0.2.20 ${50000 + (i % 9999)} ${3389 + block} 52 S 1 0 64240 - - - RECEIVE`);
    }
    const f = join(dir, 'pfirewall.log');
    writeFileSync(f, out.join('\r\n') + '\r\n');
    const a = await single([f], { tz: 'UTC' });
    expect(a.flows.some((x) => x.dst_ip === '192.0.2.20')).toBe(true);
    expect(a.flows.some((x) => x.src_ip === '192.0.2.20')).toBe(true); // the swapped layout took effect
    let reruns = 0;
    for (const size of [90_000, 400_000]) {
      const st = newStats();
      await expectSame([f], { tz: 'UTC' }, tiny(size, st));
      expect(st.ranges).toBeGreaterThan(3);
      reruns += st.reruns;
    }
    expect(reruns).toBeGreaterThan(0);
  });

  it('declines small inputs and stdin (the caller reads them itself)', async () => {
    const f = join(ROOT, 'fixtures/iptables/bsd-ufw.log');
    expect(await readFlowsPooled([f], { jobs: 2 }, () => {})).toBeNull();
    expect(await readFlowsPooled(['-'], { jobs: 2 }, () => {}, tiny(100))).toBeNull();
    expect(await readFlowsPooled([f], { jobs: 1 }, () => {}, tiny(100))).toBeNull();
    expect(await readFlowsPooled([f], { jobs: 2 }, () => {}, { ...tiny(100), split: false })).toBeNull(); // one file, no split
  });
});

describe('flow batches', () => {
  it('carry every field exactly (addresses that are not canonical IPv4 stay text)', async () => {
    const { FlowBatchWriter, readFlowBatch } = await import('../src/pipeline/flow-batch.js');
    const { newFlow } = await import('../src/model/flow.js');
    const base = newFlow('iptables', 'a.log', 1);
    const variants: Array<Partial<Flow>> = [
      {},
      { ts: 1773133205007, action: 'deny', raw_action: 'DROP', transport: 'tcp', src_ip: '10.0.0.1', src_port: 0, dst_ip: '255.255.255.255', dst_port: 65535, direction: 'inbound' },
      { src_ip: '010.0.0.1', dst_ip: '1.2.3.04' }, { src_ip: '0.0.0.0', dst_ip: '2001:db8::1' }, { src_ip: '1.2.3', dst_ip: '' },
      { device: 'é漢😀', rule: 'a"b', app: '\ud800', end_reason: 'x', host: 'h', url: 'u', bytes: 2 ** 53, packets: -0, line: 123456789 },
      { ts: -5, bytes: 1.5, src_port: 3.25 }, { format: 'winfw', file: 'b.log', action: 'allow' },
    ];
    const w = new FlowBatchWriter(4);
    const got: Flow[] = [];
    const want: Flow[] = [];
    for (let i = 0; i < 3; i++) {
      for (const v of variants) {
        const f = { ...base, ...v, line: (v.line ?? 1) + i };
        want.push(f);
        if (w.add(f)) readFlowBatch(w.take(), 0, (x) => got.push(x));
      }
    }
    if (w.n) readFlowBatch(w.take(), 0, (x) => got.push(x));
    expect(got).toEqual(want);
    for (let i = 0; i < want.length; i++) expect(Object.keys(got[i]!)).toEqual(Object.keys(want[i]!));
  });
});
