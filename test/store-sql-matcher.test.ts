/**
 * The generated matcher SQL (`fwaudit sql --dialect duckdb`) over a store's Parquet export (hive layout by day)
 * gives the matcher's findings and matrix for the same flows: confirmed, probable, the narrowest owner of a
 * role pair, IPv6, a port range wider than 64 ports, internet noise and unknown verdicts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlow, type Action, type Flow } from '../src/model/flow.js';
import { Store } from '../src/store/store.js';
import { parseInventory } from '../src/inventory/load.js';
import { resolveRulesets } from '../src/rulesets/load.js';
import { Matcher } from '../src/matcher/matcher.js';
import { generateSql } from '../src/sql/generate.js';
import { canonicalJson, findingFromRow, matrixRowFromRow } from '../src/sql/rows.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-sqlm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INVENTORY = `deployments:
  - product: gfi-languard
    roles:
      server: [10.10.0.5]
      target: [10.20.0.0/24]
      agent: [10.20.0.0/24]
  - product: groundlabs-er
    roles:
      master: [10.10.0.11, "fd00:10::11"]
      node-agent: [10.40.0.0/24, "fd00:40::/64"]
`;

let line = 0;
function f(action: Action, transport: string, src: string, dst: string, port: number, day = 9, device = 'fw1'): Flow {
  const x = newFlow('iptables', 'fw.log', ++line);
  x.ts = Date.UTC(2026, 2, day, 8, 0, line);
  x.action = action; x.transport = transport; x.src_ip = src; x.dst_ip = dst; x.dst_port = port; x.src_port = 40000 + line;
  x.device = device; x.rule = `r${line % 3}`;
  return x;
}

describe('generated matcher SQL over a store export', () => {
  it('gives the matcher findings and matrix in DuckDB', async () => {
    const flows = [
      // LanGuard agent → server 1072: the specific requirement owns it, the 1072-1170 range only counts it
      f('deny', 'tcp', '10.20.0.40', '10.10.0.5', 1072), f('deny', 'tcp', '10.20.0.40', '10.10.0.5', 1072, 10, 'fw2'),
      f('deny', 'tcp', '10.20.0.41', '10.10.0.5', 1100),
      // dynamic RPC: one finding per host pair, the ports seen
      f('deny', 'tcp', '10.10.0.5', '10.20.0.33', 49667), f('deny', 'tcp', '10.10.0.5', '10.20.0.33', 50000),
      f('allow', 'tcp', '10.10.0.5', '10.20.0.33', 135),
      // Enterprise Recon node agent → master, IPv4 and IPv6; an unlisted private agent is probable
      f('deny', 'tcp', '10.40.0.7', '10.10.0.11', 11117), f('deny', 'tcp', 'fd00:40::7', 'fd00:10::11', 11117),
      f('deny', 'tcp', '10.99.0.7', '10.10.0.11', 11117), f('allow', 'tcp', '10.40.0.8', '10.10.0.11', 11117),
      // internet noise and unknown verdicts give nothing
      f('deny', 'tcp', '198.51.100.9', '10.10.0.11', 11117), f('unknown', 'tcp', '10.40.0.7', '10.10.0.11', 11117),
    ];
    const store = await Store.open(join(dir, 'store.duckdb'));
    const run = await store.beginRun({ fwauditVersion: 'test' });
    store.appendFlows(flows);
    await store.finishRun(run, [], [], { inputs: 1, lines: line, flows: line });
    expect(await store.exportParquet(join(dir, 'flows'))).toBe(line);
    await store.close();

    const rulesets = resolveRulesets([]);
    const inventory = parseInventory(INVENTORY, 'inv.yaml', rulesets);
    const m = new Matcher(rulesets, inventory, { by: 'host' }); // one finding per host pair, as the SQL gives
    for (const x of flows) m.observe(x);
    const want = m.result();
    // The flows reach every path (the exact rows are the matcher's business, checked in its own tests).
    const seen = want.findings.map((x) => `${x.confidence} ${x.src_ip}`);
    expect(seen).toEqual(expect.arrayContaining(['confirmed 10.20.0.40', 'confirmed 10.10.0.5', 'confirmed fd00:40::7', 'probable 10.99.0.7']));
    expect(want.findings.some((x) => (x.dst_ports?.length ?? 0) === 2)).toBe(true);

    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const run1 = async (output: 'findings' | 'matrix') =>
      (await con.runAndReadAll(generateSql(inventory, { dialect: 'duckdb', output, flows: join(dir, 'flows') }))).getRowObjectsJson() as Record<string, unknown>[];
    const findings = (await run1('findings')).map(findingFromRow);
    const matrix = (await run1('matrix')).map(matrixRowFromRow);
    con.closeSync();
    inst.closeSync();
    expect(findings.map(canonicalJson)).toEqual(want.findings.map(canonicalJson));
    expect(matrix.map(canonicalJson)).toEqual(want.requirements.map(canonicalJson));
    expect(matrix.find((r) => r.requirement === 'node-agent-to-master')).toMatchObject({ status: 'intermittent', denies: 3, allows: 1 });
  });
});
