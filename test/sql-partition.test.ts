/** `fwaudit parse --out DIR --partition day`: hive layout by UTC day, new files beside old ones, one table for DuckDB. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { partitionFilePattern } from '../src/sinks/parquet.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-part-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parse --partition day', () => {
  it('writes DIR/day=YYYY-MM-DD/*.parquet and adds files on a second run instead of overwriting', async () => {
    const out = join(dir, 'flows');
    const args = ['parse', 'fixtures/demo/logs', '--tz', 'UTC', '--year', '2026', '--out', out, '--partition', 'day', '--no-progress'];
    expect(runCli(args).code).toBe(0);
    expect(runCli(args).code).toBe(0);
    expect(readdirSync(out)).toEqual(['day=2026-03-10']);
    const files = readdirSync(join(out, 'day=2026-03-10'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/^fwaudit-[a-z0-9._-]+-\d+-[0-9a-f-]{36}\.parquet$/);
    const one = runCli(['parse', 'fixtures/demo/logs', '--tz', 'UTC', '--year', '2026', '--no-progress']);
    const flows = one.stdout.trim().split('\n').length;
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const rows = (await con.runAndReadAll(`SELECT count(*)::INTEGER AS n, min(day)::VARCHAR AS d, count(DISTINCT file)::INTEGER AS files FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true)`)).getRowObjectsJson();
    con.closeSync();
    db.closeSync();
    expect(rows).toEqual([{ n: 2 * flows, d: '2026-03-10', files: 3 }]);
  });

  it('needs a directory: no --out is a usage error', () => {
    const r = runCli(['parse', 'fixtures/demo/logs', '--partition', 'day', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--partition day');
  });

  it('names files after a sanitised host and the process', () => {
    expect(partitionFilePattern('Collector 01.example.COM', 42)).toBe('fwaudit-collector_01.example.com-42-{uuid}');
  });
});
