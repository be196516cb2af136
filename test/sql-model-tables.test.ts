/**
 * `fwaudit sql --tables DIR`: the model tables as Parquet side files, read by the statement instead of inline
 * VALUES; role ranges split at /16 boundaries (the equi-join key) still give the matcher's findings for
 * addresses in every /16 of a wider range, IPv4 and IPv6.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { canonicalJson, findingFromRow, matrixRowFromRow } from '../src/sql/rows.js';
import { compileModel } from '../src/sql/compile.js';
import { Matcher } from '../src/matcher/matcher.js';
import { resolveRulesets } from '../src/rulesets/load.js';
import { loadInventory } from '../src/inventory/load.js';
import { readFlows } from '../src/pipeline/run.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-sqlt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INVENTORY = `deployments:
  - product: gfi-languard
    params: { version: 11 }
    roles:
      server: [10.10.0.5]
      target: [10.20.0.0/15]
      agent: [10.20.0.0/15]
  - product: groundlabs-er
    roles:
      master: [10.10.0.11, "fd00:10::11"]
      node-agent: ["fd00::/8"]
`;

const HEADER = '#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path\n';
const line = (t: string, action: string, src: string, dst: string, port: number) =>
  `2026-03-09 ${t} ${action} TCP ${src} ${dst} 40000 ${port} 60 S 0 0 0 - - - RECEIVE\n`;

describe('fwaudit sql --tables', () => {
  it('splits role ranges per /16 and gives the matcher findings and matrix from the Parquet side files', async () => {
    const inv = join(dir, 'inv.yaml');
    writeFileSync(inv, INVENTORY);
    const rulesets = resolveRulesets([]);
    const inventory = await loadInventory(inv, rulesets);
    const m = compileModel(inventory);
    // 10.20.0.0/15 is two /16s; fd00::/8 is 256 IPv6 /16s (fd00 … fdff)
    expect(m.roles4.filter((r) => r.lo >= 0x0a140000 && r.hi <= 0x0a15ffff).map((r) => r.b).sort()).toEqual([0x0a14, 0x0a14, 0x0a15, 0x0a15]);
    const v6 = m.roles6.filter((r) => r.lo.startsWith('fd') && r.lo !== r.hi); // not the master fd00:10::11
    expect(v6).toHaveLength(256);
    expect(v6[255]).toMatchObject({ b: 'fdff', lo: 'fdff0000000000000000000000000000', hi: 'fdffffffffffffffffffffffffffffff' });

    const log = join(dir, 'pfirewall.log');
    writeFileSync(log, HEADER +
      line('08:00:01', 'DROP', '10.21.255.7', '10.10.0.5', 1070) + // agent in the second /16 → server (on, version 11)
      line('08:00:02', 'DROP', '10.20.0.9', '10.10.0.5', 1072) + // 1072 is off for version 11: conditional
      line('08:00:03', 'ALLOW', '10.20.3.4', '10.10.0.5', 1070) +
      line('08:00:04', 'DROP', 'fdff:1::7', 'fd00:10::11', 11117) + // node agent in the last IPv6 /16 of fd00::/8
      line('08:00:05', 'DROP', '10.22.0.1', '10.10.0.5', 1070)); // outside 10.20.0.0/15: probable (two requirements on 1070)
    const flows = join(dir, 'flows');
    expect(runCli(['parse', log, '--tz', 'UTC', '--out', flows, '--partition', 'day', '--no-progress']).code).toBe(0);

    const tables = join(dir, 'model');
    const sql = (output: string) => {
      const r = runCli(['sql', '--inventory', inv, '--dialect', 'duckdb', '--output', output, '--flows', flows, '--tables', tables]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('VALUES');
      expect(r.stdout).toContain(`read_parquet('${tables}/entries.parquet')`);
      return r.stdout;
    };
    const fsql = sql('findings'), msql = sql('matrix');
    expect(readdirSync(tables).sort()).toEqual(['alternatives', 'entries', 'entry_ports', 'host_patterns', 'matrix_rows', 'role_v4',
      'role_v6', 'static_names', 'static_resolved'].map((n) => `${n}.parquet`));

    const matcher = new Matcher(rulesets, inventory, { by: 'host' });
    await readFlows([log], { tz: 'UTC', year: 2026 }, (f) => matcher.observe(f));
    const want = matcher.result();
    expect(want.findings.map((f) => `${f.confidence} ${f.src_ip} ${f.dst_port}`).sort()).toEqual([
      'conditional 10.20.0.9 1072', 'confirmed 10.21.255.7 1070', 'confirmed fdff:1::7 11117', 'probable 10.22.0.1 1070', 'probable 10.22.0.1 1070']);

    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const rows = async (s: string) => (await con.runAndReadAll(s)).getRowObjectsJson() as Record<string, unknown>[];
      const drop = ({ formats: _f, directions: _d, ...x }: Record<string, unknown>) => x;
      expect((await rows(fsql)).map((r) => canonicalJson(findingFromRow(r))).sort())
        .toEqual(want.findings.map((f) => canonicalJson(drop(f as unknown as Record<string, unknown>))).sort());
      expect((await rows(msql)).map((r) => canonicalJson(matrixRowFromRow(r))))
        .toEqual(want.requirements.map(({ window: _w, window_covered: _c, ...r }) => canonicalJson(r)));
    } finally {
      con.closeSync();
      db.closeSync();
    }
  }, 120_000);

  it('refuses --tables for Trino (a usage error, exit 2) and --tables-url without --tables', () => {
    const inv = join(dir, 'inv2.yaml');
    writeFileSync(inv, INVENTORY);
    const trino = runCli(['sql', '--inventory', inv, '--dialect', 'trino', '--flows', 'hive.fwaudit.flows', '--tables', join(dir, 'm2')]);
    expect(trino.code).toBe(2);
    expect(trino.stderr).toContain('--tables: Trino reads the model tables inline');
    const url = runCli(['sql', '--inventory', inv, '--dialect', 'spark', '--flows', 'flows', '--tables-url', 's3a://b/m']);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('--tables-url needs --tables DIR');
  });
});
