/**
 * Matching in the worker threads (analyze with the pool): every worker matches its files or byte ranges and
 * the main thread merges the matcher states in input order. The `analyze --json` document must be the one
 * a single thread gives: same findings in the same order, same first hosts, evidence lines, matrix rows and
 * summaries — on every golden fixture (port-only and with the demo inventory), the demo, the scenario, a
 * directory of many files, and a large file cut into many byte ranges.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { analyze, analyzeJson } from '../src/app/analyze.js';
import type { PoolStats, PoolTuning } from '../src/pipeline/pool.js';
import type { ReadOptions } from '../src/pipeline/run.js';
import { ROOT } from './helpers/cli.js';
import { goldenInputs } from './helpers/golden-inputs.js';

const tiny = (rangeBytes: number, stats?: PoolStats): PoolTuning => ({ rangeBytes, splitMinBytes: 0, minTotalBytes: 0, split: true, ...(stats ? { stats } : {}) });
const newStats = (): PoolStats => ({ workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 });
const INVENTORY = join(ROOT, 'fixtures/demo/inventory.yaml');

async function json(inputs: string[], read: ReadOptions, inventory?: string, by?: 'host'): Promise<string> {
  const r = await analyze({ inputs, read, ...(inventory ? { inventory } : {}), ...(by ? { by } : {}) });
  return JSON.stringify(analyzeJson(r), null, 1);
}

/** analyze with one thread and with the pool; returns the one-thread document. */
async function expectSame(inputs: string[], read: ReadOptions, t: PoolTuning, jobs: number, inventory?: string, by?: 'host'): Promise<Record<string, unknown>> {
  const one = await json(inputs, { ...read, jobs: 1 }, inventory, by);
  const many = await json(inputs, { ...read, jobs, poolTuning: t }, inventory, by);
  expect(many).toBe(one);
  return JSON.parse(one) as Record<string, unknown>;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fwaudit-pool-analyze-')); });

describe('analyze in the workers = analyze on one thread', () => {
  for (const g of goldenInputs()) {
    it(`${g.input}: port-only and with the demo inventory, cut every ~150 and ~1000 bytes`, async () => {
      const read: ReadOptions = { tz: g.tz, ...(g.year ? { year: g.year } : {}) };
      const st = newStats();
      await expectSame([join(ROOT, g.input)], read, tiny(150, st), 2);
      await expectSame([join(ROOT, g.input)], read, tiny(1000), 3, INVENTORY);
      await expectSame([join(ROOT, g.input)], read, tiny(150), 2, INVENTORY, 'host');
    });
  }

  it('the demo and the scenario (whole-file CSV task beside ranges), with the inventory', async () => {
    const st = newStats();
    const doc = await expectSame([join(ROOT, 'fixtures/demo/logs'), join(ROOT, 'fixtures/scenario/pa-5220-export.csv')],
      { tz: 'UTC', year: 2026 }, tiny(300, st), 2, INVENTORY);
    expect((doc['findings'] as unknown[]).length).toBeGreaterThan(3);
    expect(st.ranges).toBeGreaterThan(10);
    expect(st.wholeTasks).toBeGreaterThan(0);
    expect(st.workers).toBe(2);
    await expectSame([join(ROOT, 'fixtures/demo/logs')], { tz: 'UTC', year: 2026 }, tiny(500), 2);
  });

  it('a directory of many files (every golden fixture): whole-file tasks only, and cut', async () => {
    const d = join(dir, 'mixed');
    mkdirSync(d, { recursive: true });
    for (const g of goldenInputs()) writeFileSync(join(d, g.input.replace(/\//g, '_')), readFileSync(join(ROOT, g.input)));
    const st = newStats();
    await expectSame([d], { tz: 'UTC', year: 2025 }, { rangeBytes: 1 << 20, splitMinBytes: 1 << 30, minTotalBytes: 0, stats: st }, 2, INVENTORY);
    expect(st.ranges).toBe(0);
    expect(st.wholeTasks).toBeGreaterThan(10);
    await expectSame([d], { tz: 'UTC', year: 2025 }, tiny(400), 3);
  });

  it('a directory of equal files, balanced: whole files first, then shorter and shorter ranges, no sliver; a large file likewise', async () => {
    const d = join(dir, 'equal');
    mkdirSync(d, { recursive: true });
    for (let i = 1; i <= 8; i++) {
      writeFileSync(join(d, `kern-${i}.log`), execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), 'iptables', '2500', String(i)], { maxBuffer: 64 << 20 }));
    }
    const sizes = readdirSync(d).map((f) => statSync(join(d, f)).size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const st = newStats();
    // guided: a range is (every input byte left) / (2 × 2 workers), at least minBytes; a file up to 1.25 of that is one range
    const minBytes = Math.ceil(total / 40);
    const t: PoolTuning = { rangeBytes: 1 << 30, splitMinBytes: 0, minTotalBytes: 0, split: true, balance: { workers: 2, totalBytes: total, minBytes }, stats: st };
    const doc = await expectSame([d], { tz: 'UTC', year: 2026 }, t, 2);
    expect((doc['findings'] as unknown[]).length).toBeGreaterThan(0);
    const tb = st.taskBytes!;
    // the first 5 files whole (each under 1.25 × (what is left) / 4), the last 3 cut into shorter and shorter ranges
    expect(st.wholeTasks).toBe(5);
    expect(tb.slice(0, 5)).toEqual(sizes.slice(0, 5));
    expect(st.ranges).toBeGreaterThan(3);
    expect(tb[tb.length - 1]!).toBeLessThan(sizes[7]! / 2);
    for (const b of tb) expect(b).toBeGreaterThan(minBytes / 2 - 300); // (no sliver: at worst half a minimum range, to a line)
    for (let i = 5; i < tb.length; i++) expect(tb[i]!).toBeLessThan(Math.min(...sizes) * 0.8); // (after the whole files: parts of files)
    expect(tb.reduce((a, b) => a + b, 0)).toBe(total);
    await expectSame([d], { tz: 'UTC', year: 2026 }, { ...t, stats: newStats() }, 2, INVENTORY);
    // one file: a quarter of it first, then shorter ranges, never under half the minimum, ending on the file's end
    const big = join(dir, 'equal-big.log');
    writeFileSync(big, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), 'iptables', '20000', '3'], { maxBuffer: 64 << 20 }));
    const size = statSync(big).size;
    const st2 = newStats();
    await expectSame([big], { tz: 'UTC', year: 2026 }, { ...t, balance: { workers: 2, totalBytes: size, minBytes: Math.ceil(size / 50) }, stats: st2 }, 2);
    const rb = st2.taskBytes!;
    expect(Math.abs(rb[0]! - size / 4)).toBeLessThan(500);
    expect(Math.abs(rb[1]! - (size * 3) / 16)).toBeLessThan(500);
    expect(st2.ranges).toBeGreaterThan(8);
    expect(st2.ranges).toBeLessThan(20);
    for (let i = 1; i < rb.length; i++) expect(rb[i]!).toBeLessThanOrEqual(rb[i - 1]! + 300);
    for (const b of rb) expect(b).toBeGreaterThan(size / 100 - 300);
    expect(rb.reduce((a, b) => a + b, 0)).toBe(size);
  });

  it('one large generated file cut into many byte ranges (iptables and PAN-OS), with and without an inventory', async () => {
    for (const fam of ['iptables', 'panos', 'wfw']) {
      const f = join(dir, `${fam}.log`);
      writeFileSync(f, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), fam, '20000', '7'], { maxBuffer: 64 << 20 }));
      const st = newStats();
      const doc = await expectSame([f], { tz: 'UTC', year: 2026 }, tiny(64 << 10, st), 2);
      expect(st.ranges).toBeGreaterThan(10);
      expect((doc['findings'] as unknown[]).length).toBeGreaterThan(0);
      await expectSame([f], { tz: 'UTC', year: 2026 }, tiny(100 << 10), 2, INVENTORY);
    }
  });
});

describe('a worker that outgrows its heap bound', () => {
  it('is replaced by an unbounded one and its task matched again: same document', async () => {
    const f = join(dir, 'oom.log');
    writeFileSync(f, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), 'iptables', '20000', '9'], { maxBuffer: 64 << 20 }));
    let oom = 0;
    for (const workerHeapMb of [4, 12]) {
      const st = newStats();
      await expectSame([f], { tz: 'UTC', year: 2026 }, { ...tiny(200 << 10, st), workerHeapMb }, 2, INVENTORY);
      oom += st.outOfMemory ?? 0;
    }
    expect(oom).toBeGreaterThan(0);
  });
});

describe('threads by default', () => {
  it('one per core for analyze and parse (their workers match or render), 1 elsewhere; FWAUDIT_JOBS wins', async () => {
    const { defaultJobs } = await import('../src/pipeline/pool.js');
    const { availableParallelism } = await import('node:os');
    const saved = process.env['FWAUDIT_JOBS'];
    try {
      delete process.env['FWAUDIT_JOBS'];
      const { Matcher } = await import('../src/matcher/matcher.js');
      const into = new Matcher([], null);
      expect(defaultJobs({ match: { wire: { rulesets: [], inventory: null }, into } })).toBe(availableParallelism());
      expect(defaultJobs({ encode: { wire: { format: 'jsonl', schema: 'native' }, write: () => {} } })).toBe(availableParallelism());
      expect(defaultJobs({})).toBe(1);
      process.env['FWAUDIT_JOBS'] = '3';
      expect(defaultJobs({ match: { wire: { rulesets: [], inventory: null }, into } })).toBe(3);
      expect(defaultJobs({})).toBe(3);
    } finally {
      if (saved === undefined) delete process.env['FWAUDIT_JOBS']; else process.env['FWAUDIT_JOBS'] = saved;
    }
  });
});
