import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';
import { plainValue, sqlStringLiteral, Store } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-sqlm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first ```sql block of docs/sql-matcher.md, exactly as documented. */
function documentedQuery(): string {
  const md = readFileSync('docs/sql-matcher.md', 'utf8');
  const m = /```sql\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error('no sql block in docs/sql-matcher.md');
  return m[1]!;
}

let line = 0;
function f(action: Action, transport: string, src: string, dst: string, port: number, day = 9): Flow {
  const x = newFlow('iptables', 'fw.log', ++line);
  x.ts = Date.UTC(2026, 2, day, 8, 0, line);
  x.action = action; x.transport = transport; x.src_ip = src; x.dst_ip = dst; x.dst_port = port; x.src_port = 40000 + line;
  return x;
}

describe('docs/sql-matcher.md', () => {
  it('runs unchanged in DuckDB over a Parquet export and gives the matrix', async () => {
    const store = await Store.open(join(dir, 'store.duckdb'));
    const run = await store.beginRun({ fwauditVersion: 'test' });
    store.appendFlows([
      // escan agent-push: server → client tcp/2222, denied 3× → violated
      f('deny', 'tcp', '10.10.0.11', '10.40.0.21', 2222), f('deny', 'tcp', '10.10.0.11', '10.40.0.21', 2222),
      f('deny', 'tcp', '10.10.0.12', '10.40.0.22', 2222, 10),
      // reverse direction is not this requirement
      f('deny', 'tcp', '10.40.0.21', '10.10.0.11', 2222),
      // escan update-http: allowed only → ok
      f('allow', 'tcp', '10.40.0.22', '10.10.0.12', 2221), f('allow', 'tcp', '10.40.0.23', '10.10.0.12', 2221, 10),
      // escan ftp-passive: a port inside 3023-4023, denied once and allowed twice → intermittent
      f('deny', 'tcp', '10.40.0.23', '10.10.0.12', 3500), f('allow', 'tcp', '10.40.0.23', '10.10.0.12', 3023),
      f('allow', 'tcp', '10.40.0.23', '10.10.0.12', 4023, 10), f('deny', 'tcp', '10.40.0.23', '10.10.0.12', 4024),
      // gfi scan-smb: scanner → target (a second target range) → violated; a dst outside the targets is ignored
      f('deny', 'tcp', '10.20.0.5', '10.50.0.9', 445), f('deny', 'tcp', '10.20.0.5', '10.40.0.30', 445, 10),
      f('deny', 'tcp', '10.20.0.5', '10.60.0.1', 445),
      // wrong transport, IPv6, and unknown verdicts are not counted
      f('deny', 'udp', '10.20.0.5', '10.50.0.9', 445), f('deny', 'tcp', 'fd00::1', '10.50.0.9', 445),
      f('unknown', 'tcp', '10.20.0.5', '10.50.0.9', 445),
    ]);
    await store.finishRun(run, [], [], { inputs: 1, lines: line, flows: line });
    const n = await store.exportParquet(join(dir, 'flows'));
    expect(n).toBe(line);

    const expected = [
      { product: 'escan', requirement: 'agent-push', necessity: 'required', status: 'violated', denies: 3, allows: 0, denied_sources: 2, denied_destinations: 2 },
      { product: 'escan', requirement: 'ftp-passive', necessity: 'required', status: 'intermittent', denies: 1, allows: 2, denied_sources: 1, denied_destinations: 1 },
      { product: 'escan', requirement: 'update-http', necessity: 'required', status: 'ok', denies: 0, allows: 2, denied_sources: 0, denied_destinations: 0 },
      { product: 'gfi', requirement: 'scan-smb', necessity: 'required', status: 'violated', denies: 2, allows: 0, denied_sources: 1, denied_destinations: 2 },
      { product: 'gfi', requirement: 'scan-snmp', necessity: 'optional', status: 'unobserved', denies: 0, allows: 0, denied_sources: 0, denied_destinations: 0 },
    ];

    // Fresh DuckDB, relative paths resolved against the export's parent directory: the query text is untouched.
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`SET file_search_path = ${sqlStringLiteral(dir)}`);
    const rows = (await con.runAndReadAll(documentedQuery())).getRowObjectsJS().map((r) => plainValue(r) as Record<string, unknown>);
    con.closeSync();
    inst.closeSync();
    expect(rows.map(({ first_seen: _a, last_seen: _b, ...rest }) => rest)).toEqual(expected);
    expect(rows[0]).toMatchObject({ first_seen: '2026-03-09T08:00:01.000Z', last_seen: '2026-03-10T08:00:03.000Z' });
    expect(rows[4]).toMatchObject({ first_seen: null, last_seen: null });

    // The documented DuckDB variant over the live store gives the same rows.
    const live = documentedQuery().replace(`read_parquet('flows/*/*.parquet', hive_partitioning = true)`, 'flows');
    expect(live).not.toBe(documentedQuery());
    expect(await store.all(live)).toEqual(rows);
    await store.close();
  });
});
