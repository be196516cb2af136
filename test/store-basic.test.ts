import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlow, type Flow } from '../src/model/flow.js';
import { Store, StoreError, flowFilter, inputIdentity, SCHEMA_VERSION, type InputSummaryLike } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flow(i: number, over: Partial<Flow> = {}): Flow {
  const f = newFlow('winfw', 'logs/a.log', i + 1);
  f.ts = Date.UTC(2026, 2, 10, 9, 0, 0) + i * 1000;
  f.action = i % 3 === 0 ? 'allow' : 'deny';
  f.raw_action = f.action === 'deny' ? 'DROP' : 'ALLOW';
  f.transport = 'tcp'; f.src_ip = `10.40.0.${i % 200}`; f.src_port = 40000 + i; f.dst_ip = '10.10.0.11'; f.dst_port = 445;
  f.direction = 'inbound'; f.device = 'SRV1'; f.bytes = i * 10; f.packets = 1;
  return Object.assign(f, over);
}

function summary(file: string, lines: number, flows: number): InputSummaryLike {
  return { file, format: 'winfw', dialect: 'default', lines, flows, bytes: 100, skipped: [{ reason: 'header', kind: 'not-flow', count: 3, first: { file, line: 1 } }], notes: { year_inferred: 0 }, error: null };
}

describe('store', () => {
  it('creates a store, appends flows in bulk and reads them back', async () => {
    const path = join(dir, 'a.duckdb');
    const store = await Store.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    const runId = await store.beginRun({ fwauditVersion: '0.1.0', rulesetVersions: { escan: '1' }, startedAt: '2026-03-10T10:00:00Z' });
    const flows = Array.from({ length: 5000 }, (_, i) => flow(i));
    store.appendFlows(flows, 'in-1', (f) => (f.action === 'deny' ? 'escan/agent-push' : null));
    expect(store.appendedFlows).toBe(5000);
    await store.finishRun(runId, [], [], { inputs: 1, lines: 5003, flows: 5000, skipped: 3 });
    const [cnt] = await store.all(`SELECT count(*) AS n, count(*) FILTER (WHERE action = 'deny') AS d, sum(bytes) AS b FROM flows`);
    expect(cnt).toEqual({ n: 5000, d: 3333, b: 10 * (4999 * 5000) / 2 });
    const rows = await store.all(`SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts, src_ip, src_port, dst_port, line, input_id, run_id, matched FROM flows WHERE line = 2`);
    expect(rows).toEqual([{ ts: '2026-03-10T09:00:01.000Z', src_ip: '10.40.0.1', src_port: 40001, dst_port: 445, line: 2, input_id: 'in-1', run_id: runId, matched: 'escan/agent-push' }]);
    const [run] = await store.all(`SELECT inputs, lines, flows, skipped, stored_flows, ruleset_versions, finished_at IS NOT NULL AS done FROM runs`);
    expect(run).toEqual({ inputs: 1, lines: 5003, flows: 5000, skipped: 3, stored_flows: 5000, ruleset_versions: '{"escan":"1"}', done: true });
    await store.close();
    // Reopen: data persisted, no migration needed.
    const again = await Store.open(path);
    expect(again.migratedFrom).toBeNull();
    expect((await again.all(`SELECT count(*) AS n FROM flows`))[0]).toEqual({ n: 5000 });
    await again.close();
  });

  it('keeps nulls and odd values as they are', async () => {
    const store = await Store.open(':memory:');
    const runId = await store.beginRun({ fwauditVersion: 'x' });
    const f = newFlow('iptables', 'k.log', 1);
    store.appendFlow(f);
    await store.flushFlows();
    const rows = await store.all(`SELECT ts, action, src_ip, dst_port, bytes, input_id, run_id FROM flows`);
    expect(rows).toEqual([{ ts: null, action: 'unknown', src_ip: null, dst_port: null, bytes: null, input_id: null, run_id: runId }]);
    await store.close();
  });

  it('keeps log text byte for byte through the bulk load: quotes, commas, line breaks, empty text', async () => {
    const store = await Store.open(':memory:');
    await store.beginRun({ fwauditVersion: 'x' });
    const odd = ['a,"b"\nc\\d é€', '', ' lead and trail ', '\r\n', '"', '""', '=cmd|x', 'NULL', '\\N'];
    odd.forEach((t, i) => store.appendFlow(flow(i + 1, { rule: t, url: t, device: i % 2 ? null : t })));
    await store.flushFlows();
    const rows = await store.all(`SELECT rule, url, device FROM flows ORDER BY line`);
    expect(rows).toEqual(odd.map((t, i) => ({ rule: t, url: t, device: i % 2 ? null : t })));
    await store.close();
  });

  it('stores an SQL injection attempt in a value intact', async () => {
    const store = await Store.open(':memory:');
    const evil = "x'); DROP TABLE flows; --";
    const runId = await store.beginRun({ fwauditVersion: evil, rulesetVersions: { [evil]: evil } });
    store.appendFlow(flow(1, { rule: evil, device: `"; DELETE FROM runs; --` }));
    const identity = { id: evil, size: 1, path: evil };
    await store.addInput(summary(evil, 1, 1), identity, runId);
    await store.finishRun(runId, [{
      product: evil, requirement: evil, confidence: 'confirmed', transport: 'tcp', src_ip: '1.1.1.1', dst_ip: '2.2.2.2', dst_port: 1,
      src_role: evil, dst_role: null, count: 1, first_seen: null, last_seen: null, devices: [evil], rules: [evil], symptom: evil,
      purpose: evil, source: evil, evidence: [{ file: evil, line: 1 }],
    }], [], { inputs: 1, lines: 1, flows: 1 });
    expect(await store.hasInput(evil)).toBe(true);
    expect(await store.all(`SELECT rule, device FROM flows`)).toEqual([{ rule: evil, device: `"; DELETE FROM runs; --` }]);
    expect(await store.all(`SELECT product, rules, evidence FROM findings`)).toEqual([{ product: evil, rules: [evil], evidence: JSON.stringify([{ file: evil, line: 1 }]) }]);
    expect(await store.all(`SELECT fwaudit_version FROM runs`)).toEqual([{ fwaudit_version: evil }]);
    expect(await store.all(`SELECT path FROM inputs`)).toEqual([{ path: evil }]);
    await store.close();
  });

  it('recognises a re-ingested input by content, not by name', async () => {
    const a = join(dir, 'one.log');
    const b = join(dir, 'copy-of-one.log');
    const c = join(dir, 'other.log');
    writeFileSync(a, 'line 1\nline 2\n');
    writeFileSync(b, 'line 1\nline 2\n');
    writeFileSync(c, 'line 1\nline 3\n');
    const big = join(dir, 'big.log');
    writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 0x41));
    const ia = await inputIdentity(a), ib = await inputIdentity(b), ic = await inputIdentity(c), ibig = await inputIdentity(big);
    expect(ia.id).toBe(ib.id);
    expect(ia.id).not.toBe(ic.id);
    expect(ia.id.startsWith('14:')).toBe(true);
    expect(ibig.size).toBe(3 * 1024 * 1024);

    const store = await Store.open(':memory:');
    const run1 = await store.beginRun({ fwauditVersion: 'x' });
    expect(await store.hasInput(ia)).toBe(false);
    store.trackInput(ia);
    store.appendFlows([{ ...flow(1), file: a }, { ...flow(2), file: a }]);
    await store.addInput(summary(a, 2, 2), ia, run1);
    await store.finishRun(run1, [], [], { inputs: 1, lines: 2, flows: 2 });
    // Second run over the renamed copy: the caller sees it is known and skips it.
    await store.beginRun({ fwauditVersion: 'x' });
    expect(await store.hasInput(ib)).toBe(true);
    expect(await store.hasInput(ic)).toBe(false);
    expect(await store.all(`SELECT input_id, count(*) AS n FROM flows GROUP BY ALL`)).toEqual([{ input_id: ia.id, n: 2 }]);
    const [inp] = await store.all(`SELECT path, format, dialect, size, lines, flows, skipped, notes, first_run_id FROM inputs`);
    expect(inp).toEqual({ path: a, format: 'winfw', dialect: 'default', size: 14, lines: 2, flows: 2,
      skipped: JSON.stringify(summary(a, 2, 2).skipped), notes: '{"year_inferred":0}', first_run_id: run1 });
    await store.close();
  });

  it('refuses a store written by a newer fwaudit and a database that is not a store', async () => {
    const path = join(dir, 'newer.duckdb');
    const s = await Store.open(path);
    await s.all(`INSERT INTO schema_version VALUES ($1, now()::TIMESTAMP, 'future')`, [SCHEMA_VERSION + 1]);
    await s.close();
    await expect(Store.open(path)).rejects.toThrow(StoreError);
    await expect(Store.open(path)).rejects.toThrow(/newer than this fwaudit supports/);

    const other = join(dir, 'other.duckdb');
    const o = await Store.open(other);
    await o.all(`DROP TABLE schema_version`);
    await o.close();
    await expect(Store.open(other)).rejects.toThrow(/not a fwaudit store/);
  });

  it('flowFilter keeps denied + matched by default', () => {
    const deny = flow(1), allow = flow(0);
    const matched = (f: Flow) => f.line === 1;
    expect([deny, allow].map(flowFilter(undefined, matched))).toEqual([true, true]);
    expect([deny, allow].map(flowFilter(undefined))).toEqual([true, false]);
    expect([deny, allow].map(flowFilter('denied', matched))).toEqual([true, false]);
    expect([deny, allow].map(flowFilter('matched', matched))).toEqual([false, true]);
    expect([deny, allow].map(flowFilter('all'))).toEqual([true, true]);
  });
});
