/**
 * Ingest on both cores: a plain file read whole from its start is parsed and matched in the worker pool, every flow
 * comes back with its matched set in a columnar batch, and this thread writes the batches' rows straight into the
 * store's DataChunks. The store must be the one a one-thread ingest (`--jobs 1`) writes, row for row: every table
 * (flows with their matched sets and keys, the text dictionary, findings, matrix, inputs, checkpoints, device
 * coverage, run counts), on a multi-file input of several formats — beside inputs that stay on one thread (a CSV
 * export, a gzip copy, a resumed log) — and with hostnames learned from URL logs in earlier ranges (those ranges
 * are matched again with what was learned before any of their flows is stored).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ingestInto, loadAnalysisConfig, type IngestResult } from '../src/app/ingest.js';
import type { PoolStats, PoolTuning } from '../src/pipeline/pool.js';
import type { ReadOptions } from '../src/pipeline/run.js';
import { Store, type Keep } from '../src/store/store.js';
import { ROOT } from './helpers/cli.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fwaudit-ingest-pool-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = (rangeBytes: number, stats: PoolStats): PoolTuning => ({ rangeBytes, splitMinBytes: 0, minTotalBytes: 0, split: true, stats });

/** `times` copies of a log in one file (header lines of pfirewall.log repeat: context lines the ranges replay). */
function repeated(name: string, src: string, times: number): string {
  const text = readFileSync(join(ROOT, src), 'utf8');
  const p = join(dir, name);
  writeFileSync(p, Array.from({ length: times }, () => text.endsWith('\n') ? text : `${text}\n`).join(''));
  return p;
}

/** Every table of the store as sorted row texts (run ids → RUN, timestamps of the run's own clock dropped); flows in input order. */
async function dump(store: Store, runIds: string[]): Promise<Record<string, string[]>> {
  const tables = (await store.all(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1`)).map((r) => String(r.t));
  const clean = (row: Record<string, unknown>): string => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (!/_at$|^(seconds|duration_ms)$/.test(k)) o[k] = v;
    let s = JSON.stringify(o, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v);
    for (const id of runIds) s = s.split(id).join('RUN');
    return s;
  };
  const out: Record<string, string[]> = {};
  for (const t of tables) out[t] = (await store.all(`SELECT * FROM "${t}"`)).map(clean).sort();
  out['flows (view, in order)'] = (await store.all(`SELECT * EXCLUDE (run_id) FROM flows ORDER BY file, line`)).map(clean);
  return out;
}

async function ingestBoth(
  runs: string[][], inventory: string, keep: Keep | undefined, read: ReadOptions, t: PoolTuning,
  hooks: { beforeStore?: () => void; beforeRun?: (i: number) => void } = {},
): Promise<{ one: Record<string, string[]>; pooled: Record<string, string[]>; results: IngestResult[] }> {
  const cfg = await loadAnalysisConfig({ inventory });
  const docs: Array<Record<string, string[]>> = [];
  const results: IngestResult[] = [];
  for (const [k, extra] of [['one', { jobs: 1 }], ['pooled', { jobs: 2, poolTuning: t }]] as const) {
    hooks.beforeStore?.();
    const path = join(dir, `${k}-${Math.random().toString(36).slice(2)}.duckdb`);
    const store = await Store.open(path);
    const ids: string[] = [];
    try {
      for (let i = 0; i < runs.length; i++) {
        hooks.beforeRun?.(i);
        const r = await ingestInto(store, runs[i]!, { ...cfg, ...(keep ? { keep } : {}), read: { ...read, ...extra }, now: Date.now() + 3_600_000 });
        ids.push(r.runId);
        results.push(r);
      }
      docs.push(await dump(store, ids));
    } finally {
      await store.close();
    }
  }
  return { one: docs[0]!, pooled: docs[1]!, results };
}

describe('ingest in the workers = ingest on one thread, row for row', () => {
  it('a multi-file input (iptables, pfirewall.log, PAN-OS syslog cut into ranges; a CSV export, a gzip copy), then a grown log resumed', async () => {
    const ipt = repeated('gw01-kern.log', 'fixtures/demo/logs/gw01-kern.log', 40);
    const pan = repeated('pa-3220.log', 'fixtures/demo/logs/pa-3220.log', 8);
    const wfw = repeated('pfirewall.log', 'fixtures/demo/logs/target-10.20.0.33-pfirewall.log', 30);
    const gz = join(dir, 'old-kern.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, 'fixtures/demo/logs/gw01-kern.log'))));
    const csv = join(dir, 'export.csv');
    copyFileSync(join(ROOT, 'fixtures/scenario/pa-5220-export.csv'), csv);
    const grow = join(dir, 'grow-kern.log');
    const stats: PoolStats = { workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 };
    // the second run: the grown log is resumed after its checkpoint (one thread), the others are already in the store
    const runs = [[ipt, csv, wfw, gz, pan, grow], [ipt, grow]];
    const inventory = join(ROOT, 'fixtures/demo/inventory.yaml');
    for (const keep of ['all', undefined] as const) {
      const { one, pooled, results } = await ingestWithGrowth(runs, inventory, keep, { tz: 'UTC', year: 2026 }, tiny(700, stats), grow);
      expect(Object.keys(pooled)).toEqual(Object.keys(one));
      for (const t of Object.keys(one)) expect(pooled[t], `${keep ?? 'default keep'}: table ${t}`).toEqual(one[t]);
      // real content: every flow of the first run, the grown log resumed in the second
      expect(one['flows (view, in order)']!.length).toBeGreaterThan(keep === 'all' ? 2000 : 300);
      expect(results[0]!.flows).toBe(results[2]!.flows);
      expect(results[1]!.outcomes.find((o) => o.file === grow)).toMatchObject({ decision: 'resume', startLine: 400 });
      expect(results[3]!.outcomes.find((o) => o.file === grow)).toMatchObject({ decision: 'resume', startLine: 400 });
      expect(results[2]!.result.findings.length).toBeGreaterThan(0);
    }
    expect(stats.ranges).toBeGreaterThan(10);
  }, 120_000);

  it('hostnames learned from URL logs in earlier ranges: later ranges are matched again with them before their flows are stored', async () => {
    const flows = repeated('edge-panos.log', 'fixtures/diagnose/edge-panos.log', 3);
    const stats: PoolStats = { workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 };
    let reruns = 0;
    for (const range of [300, 900]) {
      const { one, pooled } = await ingestBoth([[flows]], join(ROOT, 'fixtures/diagnose/inventory.yaml'), 'all', { tz: 'UTC', year: 2026 }, tiny(range, stats));
      for (const t of Object.keys(one)) expect(pooled[t], `table ${t}, ranges of ${range} bytes`).toEqual(one[t]);
      expect(one['flows (view, in order)']!.some((r) => r.includes('"matched":"') && !r.includes('"matched":null'))).toBe(true);
      reruns += stats.reruns;
    }
    expect(reruns).toBeGreaterThan(0);
  }, 120_000);
});

/** ingestBoth with the grown log appended to between the first and second run of each store. */
async function ingestWithGrowth(runs: string[][], inventory: string, keep: Keep | undefined, read: ReadOptions, t: PoolTuning, grow: string) {
  const base = readFileSync(join(ROOT, 'fixtures/demo/logs/gw01-kern.log'), 'utf8');
  return ingestBoth(runs, inventory, keep, read, t, {
    // the same file, the same times for both stores (checkpoints keep them)
    beforeStore: () => { writeFileSync(grow, base.repeat(20)); utimesSync(grow, 1_700_000_000, 1_700_000_000); },
    beforeRun: (i) => { if (i === 1) { appendFileSync(grow, base.repeat(5)); utimesSync(grow, 1_700_000_100, 1_700_000_100); } },
  });
}
