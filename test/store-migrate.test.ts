import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlow } from '../src/model/flow.js';
import { SCHEMA_VERSION, Store, StoreError } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store migration', () => {
  it('migrates the v1 fixture store (scripts/make-v1-store.ts) to the current schema and keeps its data', async () => {
    const path = join(dir, 'v1.duckdb');
    copyFileSync('fixtures/store/v1-store.db', path);
    const store = await Store.open(path);
    expect(store.migratedFrom).toBe(1);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect((await store.all(`SELECT version FROM schema_version ORDER BY version`)).map((r) => r.version))
      .toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    // Old rows are there, new columns backfilled.
    expect(await store.all(`SELECT rule, run_id, matched FROM flows ORDER BY line`)).toEqual([
      { rule: null, run_id: 'run-v1', matched: null },
      { rule: null, run_id: 'run-v1', matched: null },
      { rule: "O'Brien rule", run_id: 'run-v1', matched: null },
    ]);
    expect(await store.all(`SELECT input_id, path, skipped, notes, dialect FROM inputs`))
      .toEqual([{ input_id: '310:aaaaaaaa', path: 'logs/pfirewall.log', skipped: '[]', notes: '{}', dialect: null }]);
    expect(await store.all(`SELECT run_id, ruleset_versions, findings FROM runs`)).toEqual([{ run_id: 'run-v1', ruleset_versions: '{}', findings: 1 }]);
    expect(await store.all(`SELECT product, requirement, status, denies FROM matrix ORDER BY requirement`)).toEqual([
      { product: 'escan', requirement: 'agent-push', status: 'violated', denies: 2 },
      { product: 'escan', requirement: 'console-web', status: 'unobserved', denies: 0 },
    ]);
    expect(await store.hasInput('310:aaaaaaaa')).toBe(true);

    // The migrated store takes new runs.
    const runId = await store.beginRun({ fwauditVersion: '0.1.0', startedAt: '2026-03-05T00:00:00Z' });
    const f = newFlow('iptables', 'k.log', 1);
    f.action = 'deny'; f.ts = Date.UTC(2026, 2, 5);
    store.appendFlow(f, 'in-2', 'escan/agent-push');
    await store.finishRun(runId, [], [], { inputs: 1, lines: 1, flows: 1 });
    expect(await store.all(`SELECT count(*) AS n FROM flows`)).toEqual([{ n: 4 }]);
    await store.close();

    const reopened = await Store.open(path);
    expect(reopened.migratedFrom).toBeNull();
    await reopened.close();
  });

  it('does not migrate a store opened read-only', async () => {
    const path = join(dir, 'ro.duckdb');
    copyFileSync('fixtures/store/v1-store.db', path);
    await expect(Store.open(path, { readOnly: true })).rejects.toThrow(StoreError);
    await expect(Store.open(path, { readOnly: true })).rejects.toThrow(/older than/);
  });
});
