/**
 * Parquet output (src/sinks/parquet.ts: flows staged in DataChunks, one COPY at the end) against JSON Lines of the
 * same inputs: every row, every native column, in input order; the staging directory is removed afterwards.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { CLI, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-pq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inputs = ['iptables', 'panos', 'winfw', 'wfp'].flatMap((d) => readdirSync(join('fixtures', d))
  .filter((f) => !f.endsWith('.expected.jsonl') && !f.endsWith('.md')).map((f) => join('fixtures', d, f)));

async function parquetRows(path: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    // ts back to the JSON Lines text (ISO 8601, milliseconds, Z); row order as written
    const r = await con.runAndReadAll(`SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts) FROM read_parquet('${path}')`);
    return r.getRowObjectsJS().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally { con.closeSync(); db.closeSync(); }
}

describe('parse --out FILE.parquet', () => {
  it('writes the rows JSON Lines gives, column for column and in order, and removes its staging directory', async () => {
    expect(inputs.length).toBeGreaterThan(30);
    const args = [...inputs, '--tz', 'UTC', '--year', '2026', '--no-time-window', '--no-progress', '-q'];
    const jsonl = runCli(['parse', ...args]);
    const expected = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(expected.length).toBeGreaterThan(100);
    const staging = join(dir, 'tmp');
    mkdirSync(staging);
    const out = join(dir, 'flows.parquet');
    const r = runCli(['parse', ...args, '--out', out], { env: { TMPDIR: staging } });
    expect(r.code).toBe(jsonl.code);
    const rows = await parquetRows(out);
    expect(rows.length).toBe(expected.length);
    expect(Object.keys(rows[0]!)).toEqual(Object.keys(expected[0]!));
    for (let i = 0; i < rows.length; i++) expect(rows[i], `row ${i + 1}`).toEqual(expected[i]);
    // some of each kind of value was there to compare
    expect(expected.some((e) => typeof e['src_ip'] === 'string' && (e['src_ip'] as string).includes(':'))).toBe(true);
    expect(expected.some((e) => e['ts'] === null)).toBe(true);
    expect(expected.some((e) => e['direction'] === null)).toBe(true);
    expect(expected.some((e) => e['bytes'] !== null)).toBe(true);
    expect(new Set(expected.map((e) => e['format'])).size).toBeGreaterThan(5);
    expect(readdirSync(staging).filter((f) => f.startsWith('fwaudit-parquet-'))).toEqual([]);
  });

  it('writes a valid empty file when no flow was read', async () => {
    const empty = join(dir, 'empty.log');
    const out = join(dir, 'empty.parquet');
    writeFileSync(empty, '');
    const r = runCli(['parse', empty, '--out', out, '--no-progress', '-q']);
    expect(r.code).toBe(0);
    expect(await parquetRows(out)).toEqual([]);
  });

  it('removes its staging directory when interrupted (SIGINT, SIGTERM) and ends as killed by the signal', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const tmp = mkdtempSync(join(dir, 'sig-'));
      // stdin stays open: the run waits for input with its staging directory made
      const p = spawn(process.execPath, [CLI, 'parse', '-', '--out', join(tmp, 'x.parquet'), '--no-progress', '-q'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['pipe', 'ignore', 'pipe'] });
      p.stdin.write(readFileSync('fixtures/iptables/nftables.log'));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => p.on('exit', (_code, signal) => resolve(signal)));
      const t0 = Date.now();
      while (!readdirSync(tmp).some((f) => f.startsWith('fwaudit-parquet-')) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(tmp).filter((f) => f.startsWith('fwaudit-parquet-'))).toHaveLength(1);
      p.kill(sig);
      expect(await exited).toBe(sig);
      expect(readdirSync(tmp).filter((f) => f.startsWith('fwaudit-parquet-'))).toEqual([]);
    }
  }, 60_000);

  it('names TMPDIR when it cannot stage there (an output error, exit 2)', () => {
    const r = runCli(['parse', 'fixtures/iptables/nftables.log', '--out', join(dir, 'x.parquet'), '--no-progress', '-q'], { env: { TMPDIR: join(dir, 'missing') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot stage Parquet output in');
    expect(r.stderr).toContain('ENOENT');
  });
});
