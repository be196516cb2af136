/**
 * Schema v4: the narrow flow table. Values come back exactly through the `flows` view (addresses as integers or
 * text, codes, dictionary keys); a rolled-back run leaves no dictionary entry behind; a v3 store (the wide flows
 * table) migrates in one transaction and every report gives the same answers before and after; the top-blocked
 * shortcut gives the same list as the full ranking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFlow, type Flow } from '../src/model/flow.js';
import { buildReportModel, type ReportModel, type ReportOptions } from '../src/reports/model.js';
import { MIGRATIONS } from '../src/store/schema.js';
import { SCHEMA_VERSION, Store, sqlStringLiteral } from '../src/store/store.js';
import { ingestInto, loadAnalysisConfig } from '../src/cli/commands/ingest.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-narrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flow(line: number, over: Partial<Flow>): Flow {
  return { ...newFlow('iptables', 'k.log', line), ...over };
}

describe('the narrow flow table', () => {
  it('gives every value back exactly: IPv4 as integers, IPv6 and odd address text as text, codes, big numbers', async () => {
    const store = await Store.open(':memory:');
    const run = await store.beginRun({ fwauditVersion: 'x', runId: 'run-a' });
    const flows: Flow[] = [
      flow(1, { ts: Date.UTC(2026, 2, 1, 8, 0, 0, 123), action: 'deny', transport: 'tcp', src_ip: '0.0.0.0', dst_ip: '255.255.255.255', src_port: 0, dst_port: 65535, direction: 'inbound' }),
      flow(2, { ts: -1, action: 'allow', transport: 'udp', src_ip: '2001:db8::1', dst_ip: 'fe80::1%eth0', direction: 'outbound', bytes: Number.MAX_SAFE_INTEGER, packets: 0 }),
      flow(3, { ts: Date.UTC(1999, 11, 31, 23, 59, 59, 999), action: 'unknown', transport: '253', src_ip: '010.1.1.1', dst_ip: '1.2.3.4 ', direction: 'forward', bytes: -5 }),
      flow(4, { ts: null, src_ip: '192.168.0.1', dst_ip: null, src_port: null, dst_port: null, direction: null, device: 'fw-1', rule: 'r', app: 'ssl', end_reason: 'aged-out', host: 'h', url: 'u', raw_action: 'DROP' }),
      flow(5, { format: 'winfw', file: 'pfirewall.log', action: 'deny', direction: 'inbound', src_ip: '10.0.0.1', dst_ip: '10.0.0.2' }),
    ];
    flows.forEach((f, i) => store.appendFlow(f, i === 0 ? 'in-1' : null, i === 0 ? 'a/b;c/d' : i === 1 ? 'a/b' : null));
    await store.finishRun(run, [], [], { inputs: 1, lines: 5, flows: 5 });
    const rows = await store.all(`SELECT * FROM flows ORDER BY line`);
    expect(rows.map((r) => ({ ...r, ts: r.ts === null ? null : Date.parse(`${String(r.ts)}`) }))).toEqual(flows.map((f, i) => ({
      ...f, ts: f.ts, input_id: i === 0 ? 'in-1' : null, run_id: 'run-a', matched: i === 0 ? 'a/b;c/d' : i === 1 ? 'a/b' : null,
    })));
    // Canonical dotted quads are integers; anything else is kept as text.
    expect(await store.all(`SELECT src4, src_text, dst4, dst_text FROM flow_rows ORDER BY line`)).toEqual([
      { src4: 0, src_text: null, dst4: 4294967295, dst_text: null },
      { src4: null, src_text: '2001:db8::1', dst4: null, dst_text: 'fe80::1%eth0' },
      { src4: null, src_text: '010.1.1.1', dst4: null, dst_text: '1.2.3.4 ' },
      { src4: 3232235521, src_text: null, dst4: null, dst_text: null },
      { src4: 167772161, src_text: null, dst4: 167772162, dst_text: null },
    ]);
    // log_device: the device, else the local address of a host firewall log.
    expect((await store.all(`SELECT log_device FROM stored_flows ORDER BY line`)).map((r) => r.log_device)).toEqual([null, null, null, 'fw-1', '10.0.0.2']);
    // One requirement row per label of the matched set, allowed and denied flows only.
    expect(await store.all(`SELECT product, requirement, action, src_ip FROM requirement_flows ORDER BY src_ip, requirement`)).toEqual([
      { product: 'a', requirement: 'b', action: 'deny', src_ip: '0.0.0.0' },
      { product: 'c', requirement: 'd', action: 'deny', src_ip: '0.0.0.0' },
      { product: 'a', requirement: 'b', action: 'allow', src_ip: '2001:db8::1' },
    ]);
    await store.close();
  });

  it('writes across chunk and flush boundaries, and a rolled-back run leaves no text behind', async () => {
    const path = join(dir, 'roll.duckdb');
    const store = await Store.open(path);
    const r1 = await store.beginRun({ fwauditVersion: 'x', runId: 'r1' });
    for (let i = 0; i < 250_000; i++) {
      store.appendFlow(flow(i + 1, { ts: i * 1000, action: i % 3 ? 'deny' : 'allow', device: `dev-${i % 7}`, src_ip: `10.0.${(i >> 8) & 255}.${i & 255}`, dst_port: i % 65536 }),
        null, i % 5 === 0 ? `p/req-${i % 4}` : null);
    }
    await store.finishRun(r1, [], [], { inputs: 1, lines: 250_000, flows: 250_000 });
    const texts = await store.all(`SELECT count(*) AS n, max(key) AS k FROM texts`);
    await store.beginRun({ fwauditVersion: 'x', runId: 'r2' });
    store.appendFlow(flow(1, { device: 'only-in-r2', rule: 'rule-r2' }), null, 'p/only-r2');
    store.flushFlows();
    expect(await store.all(`SELECT count(*) AS n FROM texts WHERE text = 'only-in-r2'`)).toEqual([{ n: 1 }]);
    await store.abortRun();
    expect(await store.all(`SELECT count(*) AS n, max(key) AS k FROM texts`)).toEqual(texts);
    // The next run reuses the keys of the rolled-back one for its own texts, consistently.
    const r3 = await store.beginRun({ fwauditVersion: 'x', runId: 'r3' });
    store.appendFlow(flow(1, { device: 'dev-3', rule: 'rule-r3', action: 'deny' }), null, 'p/req-1');
    await store.finishRun(r3, [], [], { inputs: 1, lines: 1, flows: 1 });
    await store.close();
    const again = await Store.open(path, { readOnly: true });
    expect(await again.all(`SELECT count(*) AS n, count(DISTINCT key) AS k, count(DISTINCT text) AS t FROM texts`))
      .toEqual([{ n: num(texts[0]!.n) + 2, k: num(texts[0]!.n) + 2, t: num(texts[0]!.n) + 2 }]);
    expect(await again.all(`SELECT device, rule, matched, run_id FROM flows WHERE run_id = 'r3'`)).toEqual([{ device: 'dev-3', rule: 'rule-r3', matched: 'p/req-1', run_id: 'r3' }]);
    expect(await again.all(`SELECT count(*) AS n, count(DISTINCT src_ip) AS s, count(*) FILTER (WHERE action = 'allow') AS a,
        count(*) FILTER (WHERE matched IS NOT NULL) AS m, max(dst_port) AS p, max(line) AS l FROM flows WHERE run_id = 'r1'`))
      .toEqual([{ n: 250_000, s: 65_536, a: 83_334, m: 50_000, p: 65_535, l: 250_000 }]);
    // blocked_groups holds exactly the denied flows of the finished runs (r1 and r3; r2 was rolled back).
    const groups = `SELECT src4, src_text, dst4, dst_text, transport_key, dst_port, count(*) AS count, min(ts) AS first_ts, max(ts) AS last_ts
      FROM complete_flow_rows WHERE action = 1 GROUP BY ALL`;
    expect(await again.all(`SELECT count(*) AS n, sum(count) AS flows FROM blocked_groups`)).toEqual([{ n: 65_537, flows: 166_667 }]);
    expect(await again.all(`SELECT count(*) AS n FROM ((SELECT * FROM blocked_groups EXCEPT ALL ${groups}) UNION ALL (${groups} EXCEPT ALL SELECT * FROM blocked_groups))`))
      .toEqual([{ n: 0 }]);
    expect(await again.all(`SELECT requirement, count(*) AS n FROM requirement_flows GROUP BY ALL ORDER BY 1`))
      .toEqual([{ requirement: 'req-0', n: 12_500 }, { requirement: 'req-1', n: 12_501 }, { requirement: 'req-2', n: 12_500 }, { requirement: 'req-3', n: 12_500 }]);
    await again.close();
  });
});

const num = (v: unknown) => Number(v);

describe('migration from the wide v3 flows table', () => {
  const v4 = join(dir, 'week-v4.duckdb');
  const v3 = join(dir, 'week-v3.duckdb');
  const options: Array<[string, ReportOptions]> = [
    ['default', {}],
    ['period', { since: new Date('2026-03-03T00:00:00Z'), until: new Date('2026-03-05T12:00:00Z') }],
    ['hours in a zone', { bucket: 'hour', displayTz: 'Asia/Kolkata', top: 2 }],
    ['full top ranking', { topCandidates: 1, top: 3 }],
  ];
  const before: ReportModel[] = [];

  beforeAll(async () => {
    // The fixture week through today's ingest, then the same data written into a v3 store (schema steps 1-3).
    const cfg = await loadAnalysisConfig({ inventory: 'fixtures/demo/inventory.yaml' });
    const store = await Store.open(v4);
    for (let n = 1; n <= 7; n++) await ingestInto(store, [`fixtures/history/week/day${n}`], { ...cfg, read: { tz: 'UTC', year: 2026 }, keep: n % 2 ? 'all' : undefined });
    for (const [, o] of options) before.push(await buildReportModel(store, { ...o, now: new Date('2026-03-09T00:00:00Z') }));
    const tables = ['runs', 'inputs', 'flows', 'findings', 'matrix', 'checkpoints', 'device_coverage'];
    for (const t of tables) await store.connection.run(`COPY (SELECT * FROM ${t}) TO ${sqlStringLiteral(join(dir, `${t}.parquet`))} (FORMAT parquet)`);
    await store.close();

    const inst = await DuckDBInstance.create(v3);
    const c = await inst.connect();
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      for (const s of m.statements) await c.run(s);
      await c.run(`INSERT INTO schema_version VALUES (${m.version}, now()::TIMESTAMP, '${m.description.replace(/'/g, "''")}')`);
    }
    for (const t of tables) await c.run(`INSERT INTO ${t} BY NAME SELECT * FROM read_parquet(${sqlStringLiteral(join(dir, `${t}.parquet`))})`);
    c.closeSync();
    inst.closeSync();
  }, 240_000);

  it('migrates in one step and every report gives the same answers', async () => {
    const store = await Store.open(v3);
    expect(store.migratedFrom).toBe(3);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    const [n] = await store.all(`SELECT count(*) AS n FROM flows`);
    expect(num(n!.n)).toBeGreaterThan(50);
    for (const [i, [name, o]] of options.entries()) {
      const after = await buildReportModel(store, { ...o, now: new Date('2026-03-09T00:00:00Z') });
      expect({ name, ...after, store: '' }).toEqual({ name, ...before[i]!, store: '' });
    }
    // The report found what the week holds (not an empty model compared with an empty model).
    expect(before[0]!.summary.violated + before[0]!.summary.intermittent).toBeGreaterThan(0);
    expect(before[0]!.top_blocked.items.length).toBeGreaterThan(0);
    expect(before[3]!.top_blocked.items.length).toBe(3);
    await store.close();
  });

  it('a failing migration leaves the v3 store as it was', async () => {
    const broken = join(dir, 'broken-v3.duckdb');
    const inst = await DuckDBInstance.create(broken);
    const c = await inst.connect();
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      for (const s of m.statements) await c.run(s);
      await c.run(`INSERT INTO schema_version VALUES (${m.version}, now()::TIMESTAMP, 'x')`);
    }
    await c.run(`INSERT INTO flows (ts, action, src_ip, format, file, line) VALUES (TIMESTAMP '2026-03-01 00:00:00', 'deny', '10.0.0.1', 'iptables', 'k.log', 1)`);
    // A table in the way of the migration's first statement.
    await c.run(`CREATE TABLE texts (x INTEGER)`);
    c.closeSync();
    inst.closeSync();
    await expect(Store.open(broken)).rejects.toThrow(/migration to schema version 4 failed/);
    const check = await DuckDBInstance.create(broken);
    const k = await check.connect();
    expect((await k.runAndReadAll(`SELECT max(version) AS v, (SELECT count(*) FROM flows) AS n FROM schema_version`)).getRowObjectsJS())
      .toEqual([{ v: 3, n: 1n }]);
    k.closeSync();
    check.closeSync();
  });
});

describe('top blocked', () => {
  it('the shortcut over the largest groups and the full ranking give the same list, ties included', async () => {
    const store = await Store.open(':memory:');
    const run = await store.beginRun({ fwauditVersion: 'x', runId: 'r' });
    // Many groups with equal counts (ties at the cut), IPv6 groups among them.
    for (let i = 0; i < 3000; i++) {
      const n = i < 10 ? 5 : i < 400 ? 2 : 1;
      for (let j = 0; j < n; j++) {
        store.appendFlow(flow(i * 10 + j, { ts: Date.UTC(2026, 2, 1) + i * 1000 + j, action: 'deny', transport: i % 3 ? 'tcp' : 'udp',
          src_ip: i % 4 === 0 ? `2001:db8::${i.toString(16)}` : `10.${i % 7}.${(i >> 8) & 255}.${i & 255}`, dst_ip: '10.10.0.1', dst_port: 1000 + (i % 13),
          rule: `rule-${i % 3}`, device: `dev-${j}` }), null, null);
      }
    }
    await store.finishRun(run, [], [], { inputs: 1, lines: 1, flows: 1 });
    for (const top of [1, 5, 10, 11, 20, 450]) {
      const fast = await buildReportModel(store, { top });
      const full = await buildReportModel(store, { top, topCandidates: 1 });
      expect(fast.top_blocked).toEqual(full.top_blocked);
      expect(fast.top_blocked.items.length).toBe(top);
    }
    const m = await buildReportModel(store, { top: 11 });
    expect(m.top_blocked.more).toBe(3000 - 11);
    expect(m.top_blocked.items.map((b) => b.count)).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2]);
    expect(m.top_blocked.items[0]).toMatchObject({ src_ip: '10.0.0.7', devices: ['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4'], rules: ['rule-1'] });
    await store.close();
  });
});
