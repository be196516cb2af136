/**
 * `fwaudit query` reads the store and nothing else: read-only, no file system, no network, no extensions, no
 * configuration changes. One test per way out, plus the views it offers.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryText } from '../src/cli/commands/query.js';
import { ingestInto, loadAnalysisConfig } from '../src/app/ingest.js';
import { Store } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-query-'));
const db = join(dir, 'q.duckdb');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const cfg = await loadAnalysisConfig({ inventory: 'fixtures/demo/inventory.yaml' });
  const store = await Store.open(db);
  for (const d of ['day1', 'day2']) await ingestInto(store, [`fixtures/history/week/${d}`], { ...cfg, read: { tz: 'UTC', year: 2026 } });
  await store.close();
}, 120_000);

const run = (sql: string) => queryText(sql, { db, json: true });

describe('query is confined to the store', () => {
  it('refuses COPY … TO a file', async () => {
    const target = join(dir, 'out.csv');
    await expect(run(`COPY flows TO '${target}'`)).rejects.toThrow(/file system operations are disabled|Permission/);
    expect(existsSync(target)).toBe(false);
  });
  it('refuses EXPORT DATABASE', async () => {
    await expect(run(`EXPORT DATABASE '${join(dir, 'exp')}'`)).rejects.toThrow(/disabled|Permission/);
    expect(existsSync(join(dir, 'exp'))).toBe(false);
  });
  it('refuses read_text of a path outside the store', async () => {
    await expect(run(`SELECT content FROM read_text('/etc/passwd')`)).rejects.toThrow(/file system operations are disabled/);
  });
  it('refuses read_csv and friends', async () => {
    writeFileSync(join(dir, 'x.csv'), 'a\n1\n');
    await expect(run(`SELECT * FROM read_csv('${join(dir, 'x.csv')}')`)).rejects.toThrow(/file system operations are disabled/);
  });
  it('refuses glob() of the file system', async () => {
    await expect(run(`SELECT * FROM glob('/*')`)).rejects.toThrow(/file system operations are disabled/);
  });
  it('refuses ATTACH', async () => {
    await expect(run(`ATTACH '${join(dir, 'other.duckdb')}' AS o`)).rejects.toThrow(/disabled|Permission/);
    expect(existsSync(join(dir, 'other.duckdb'))).toBe(false);
  });
  it('refuses INSTALL', async () => {
    await expect(run(`INSTALL httpfs`)).rejects.toThrow(/disabled|Permission/);
  });
  it('refuses LOAD', async () => {
    await expect(run(`LOAD httpfs`)).rejects.toThrow(/disabled/);
  });
  it('refuses to turn external access back on (configuration locked)', async () => {
    await expect(run(`SET enable_external_access = true`)).rejects.toThrow(/configuration has been locked/);
    await expect(run(`SET lock_configuration = false`)).rejects.toThrow(/configuration has been locked/);
  });
  it('refuses writes to the store', async () => {
    await expect(run(`DELETE FROM flow_rows`)).rejects.toThrow(/read-only/);
    await expect(run(`DELETE FROM texts`)).rejects.toThrow(/read-only/);
    // `flows` is a view over flow_rows and texts (schema v4).
    await expect(run(`DELETE FROM flows`)).rejects.toThrow(/base table|read-only/);
    expect(JSON.parse(await run(`SELECT count(*) AS n FROM flows`))[0].n).toBeGreaterThan(0);
  });
});

describe('query views', () => {
  it('current_status, requirement_daily, stored_flows', async () => {
    expect(JSON.parse(await run(`SELECT product, requirement, status, strftime(status_day, '%Y-%m-%d') AS day FROM current_status ORDER BY ALL`))).toEqual([
      { product: 'escan', requirement: 'client-events', status: 'ok', day: '2026-03-03' },
      { product: 'gfi-languard', requirement: 'server-to-target-snmp', status: 'violated', day: '2026-03-03' },
      { product: 'gfi-languard', requirement: 'server-to-target-ssh', status: 'ok', day: '2026-03-03' },
      { product: 'groundlabs-er', requirement: 'node-agent-to-master', status: 'violated', day: '2026-03-03' },
    ]);
    expect(JSON.parse(await run(`SELECT strftime(day, '%Y-%m-%d') AS day, denies, allows, status FROM requirement_daily WHERE requirement = 'node-agent-to-master' ORDER BY day`)))
      .toEqual([{ day: '2026-03-02', denies: 4, allows: 0, status: 'violated' }, { day: '2026-03-03', denies: 4, allows: 0, status: 'violated' }]);
    expect(JSON.parse(await run(`SELECT log_device, count(*) AS n FROM stored_flows GROUP BY ALL ORDER BY 1`)))
      .toEqual([{ log_device: '10.20.0.33', n: 6 }, { log_device: 'PA-3220', n: 8 }, { log_device: 'gw01', n: 12 }]);
  });
});
