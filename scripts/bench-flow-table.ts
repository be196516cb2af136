/**
 * Issue 14 item 4, measurement: how fast flows load into DuckDB. `store` is the real Store (schema v4: the narrow
 * `flow_rows` table, 26 typed columns, written as DataChunks from typed arrays, with its text dictionary and the
 * commit). The others are the alternatives measured for it on a smaller narrow layout (IPv4 as UINTEGER, codes,
 * dictionary ids): the row Appender, DataChunks filled from arrays of values (`setColumns`), and a CSV file staged
 * for DuckDB's own parallel reader. Every mode includes making the flows. Also times the report's
 * per-requirement-and-day aggregate, and (store) the whole report model.
 *
 *   npm run build && node dist/scripts/bench-flow-table.js [rows]      (default 1,000,000)
 */
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuckDBDataChunk, DuckDBInstance, TIMESTAMP, UINTEGER, USMALLINT, UTINYINT, VARCHAR, timestampValue, type DuckDBValue,
} from '@duckdb/node-api';
import { newFlow, type Flow } from '../src/model/flow.js';
import { Store } from '../src/store/store.js';

const N = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'fwaudit-bench-table-'));

function* flows(n: number): Generator<{ f: Flow; matched: string | null }> {
  const start = Date.UTC(2026, 2, 1);
  for (let i = 0; i < n; i++) {
    const f = newFlow('iptables', 'gw01-kern.log', i + 1);
    f.ts = start + (i % (30 * 86_400)) * 1000;
    f.action = i % 5 === 0 ? 'allow' : 'deny';
    f.transport = i % 7 === 0 ? 'udp' : 'tcp';
    f.src_ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    f.dst_ip = `10.10.0.${i % 50}`;
    f.src_port = 1024 + (i % 60000);
    f.dst_port = [445, 135, 11117, 2225, 22][i % 5]!;
    f.direction = 'inbound';
    f.device = `fw-${i % 12}`;
    f.rule = `rule-${i % 40}`;
    yield { f, matched: i % 3 === 0 ? `prod-${i % 4}/req-${i % 20}` : null };
  }
}

const ip4 = (s: string | null): number | null => {
  if (!s) return null;
  const p = s.split('.');
  if (p.length !== 4) return null;
  return ((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]);
};
const ACTION: Record<string, number> = { deny: 1, allow: 2, unknown: 0 };
const TRANSPORT: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };
const DIRECTION: Record<string, number> = { inbound: 1, outbound: 2 };

const NARROW = `CREATE TABLE flows_n (ts TIMESTAMP, action UTINYINT, transport UTINYINT, direction UTINYINT,
  src4 UINTEGER, dst4 UINTEGER, src6 VARCHAR, dst6 VARCHAR, src_port USMALLINT, dst_port USMALLINT, device_id UINTEGER,
  rule_id UINTEGER, matched_id UINTEGER, line UINTEGER)`;
const NARROW_TYPES = [TIMESTAMP, UTINYINT, UTINYINT, UTINYINT, UINTEGER, UINTEGER, VARCHAR, VARCHAR, USMALLINT, USMALLINT, UINTEGER, UINTEGER, UINTEGER, UINTEGER];

class Dict {
  readonly ids = new Map<string, number>();
  id(s: string | null): number | null {
    if (s === null) return null;
    let v = this.ids.get(s);
    if (v === undefined) this.ids.set(s, (v = this.ids.size + 1));
    return v;
  }
}

function rss(): number { return Math.round(process.memoryUsage().rss / 1e6); }

async function wide(): Promise<Record<string, number>> {
  const store = await Store.open(join(dir, 'wide.duckdb'));
  const t0 = performance.now();
  const run = await store.beginRun({ fwauditVersion: 'bench' });
  for (const { f, matched } of flows(N)) store.appendFlow(f, 'input-1', matched);
  await store.finishRun(run, [], [], { inputs: 1, lines: N, flows: N });
  const load = (performance.now() - t0) / 1000;
  const q0 = performance.now();
  await store.all(`SELECT product, requirement, date_trunc('day', ts) AS d, count(*) FILTER (WHERE action = 'deny') AS denies,
    count(*) FILTER (WHERE action = 'allow') AS allows FROM requirement_flows GROUP BY ALL`);
  const query = (performance.now() - q0) / 1000;
  // The whole report model (every query of `fwaudit report`) on the same store.
  const { buildReportModel } = await import('../src/reports/model.js');
  const m0 = performance.now();
  await buildReportModel(store, { now: new Date('2026-04-01T00:00:00Z') });
  const model = (performance.now() - m0) / 1000;
  await store.close();
  return { load_s: load, rows_per_s: N / load, query_s: query, model_s: model, rss_mb: rss() };
}

async function narrow(mode: 'rows' | 'chunks' | 'csv'): Promise<Record<string, number>> {
  const inst = await DuckDBInstance.create(join(dir, `narrow-${mode}.duckdb`), { memory_limit: '1GB' });
  const c = await inst.connect();
  await c.run(NARROW);
  const devices = new Dict(), rules = new Dict(), labels = new Dict();
  const t0 = performance.now();
  await c.run('BEGIN TRANSACTION');
  if (mode === 'rows') {
    const ap = await c.createAppender('flows_n');
    for (const { f, matched } of flows(N)) {
      ap.appendValue(timestampValue(BigInt(f.ts!) * 1000n), TIMESTAMP);
      ap.appendUTinyInt(ACTION[f.action]!); ap.appendUTinyInt(TRANSPORT[f.transport!] ?? 0); ap.appendUTinyInt(DIRECTION[f.direction!] ?? 0);
      const s4 = ip4(f.src_ip), d4 = ip4(f.dst_ip);
      if (s4 === null) ap.appendNull(); else ap.appendUInteger(s4);
      if (d4 === null) ap.appendNull(); else ap.appendUInteger(d4);
      if (s4 === null && f.src_ip) ap.appendVarchar(f.src_ip); else ap.appendNull();
      if (d4 === null && f.dst_ip) ap.appendVarchar(f.dst_ip); else ap.appendNull();
      ap.appendUSmallInt(f.src_port ?? 0); ap.appendUSmallInt(f.dst_port ?? 0);
      ap.appendUInteger(devices.id(f.device) ?? 0); ap.appendUInteger(rules.id(f.rule) ?? 0);
      const m = labels.id(matched);
      if (m === null) ap.appendNull(); else ap.appendUInteger(m);
      ap.appendUInteger(f.line);
      ap.endRow();
    }
    ap.closeSync();
  } else if (mode === 'chunks') {
    const ap = await c.createAppender('flows_n');
    const SIZE = 2048;
    let cols: DuckDBValue[][] = NARROW_TYPES.map(() => []);
    const flush = () => {
      const chunk = DuckDBDataChunk.create(NARROW_TYPES, cols[0]!.length);
      chunk.setColumns(cols);
      ap.appendDataChunk(chunk);
      cols = NARROW_TYPES.map(() => []);
    };
    for (const { f, matched } of flows(N)) {
      const s4 = ip4(f.src_ip), d4 = ip4(f.dst_ip);
      const row: DuckDBValue[] = [timestampValue(BigInt(f.ts!) * 1000n), ACTION[f.action]!, TRANSPORT[f.transport!] ?? 0, DIRECTION[f.direction!] ?? 0,
        s4, d4, s4 === null ? f.src_ip : null, d4 === null ? f.dst_ip : null, f.src_port ?? 0, f.dst_port ?? 0,
        devices.id(f.device) ?? 0, rules.id(f.rule) ?? 0, labels.id(matched), f.line];
      for (let k = 0; k < row.length; k++) cols[k]!.push(row[k]!);
      if (cols[0]!.length === SIZE) flush();
    }
    if (cols[0]!.length) flush();
    ap.closeSync();
  } else {
    const file = join(dir, 'stage.csv');
    const out = createWriteStream(file);
    let buf = '';
    for (const { f, matched } of flows(N)) {
      const s4 = ip4(f.src_ip), d4 = ip4(f.dst_ip);
      buf += `${f.ts},${ACTION[f.action]},${TRANSPORT[f.transport!] ?? 0},${DIRECTION[f.direction!] ?? 0},${s4 ?? ''},${d4 ?? ''},,,${f.src_port ?? 0},${f.dst_port ?? 0},${devices.id(f.device) ?? 0},${rules.id(f.rule) ?? 0},${labels.id(matched) ?? ''},${f.line}\n`;
      if (buf.length > 1 << 20) { if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r())); buf = ''; }
    }
    out.write(buf);
    await new Promise<void>((r) => out.end(() => r()));
    await c.run(`INSERT INTO flows_n SELECT make_timestamp(column00 * 1000), column01, column02, column03, column04, column05, column06, column07,
      column08, column09, column10, column11, column12, column13 FROM read_csv('${file}', header = false, columns = {
      'column00': 'BIGINT', 'column01': 'UTINYINT', 'column02': 'UTINYINT', 'column03': 'UTINYINT', 'column04': 'UINTEGER', 'column05': 'UINTEGER',
      'column06': 'VARCHAR', 'column07': 'VARCHAR', 'column08': 'USMALLINT', 'column09': 'USMALLINT', 'column10': 'UINTEGER', 'column11': 'UINTEGER',
      'column12': 'UINTEGER', 'column13': 'UINTEGER'})`);
  }
  await c.run(`CREATE TABLE labels (id UINTEGER, label VARCHAR)`);
  const ap = await c.createAppender('labels');
  for (const [label, id] of labels.ids) { ap.appendUInteger(id); ap.appendVarchar(label); ap.endRow(); }
  ap.closeSync();
  await c.run('COMMIT');
  const load = (performance.now() - t0) / 1000;
  const q0 = performance.now();
  await c.runAndReadAll(`SELECT split_part(l.label, '/', 1) AS product, substr(l.label, strpos(l.label, '/') + 1) AS requirement,
      date_trunc('day', ts) AS d, count(*) FILTER (WHERE action = 1) AS denies, count(*) FILTER (WHERE action = 2) AS allows
    FROM flows_n f JOIN labels l ON l.id = f.matched_id GROUP BY ALL`);
  const query = (performance.now() - q0) / 1000;
  c.closeSync(); inst.closeSync();
  return { load_s: load, rows_per_s: N / load, query_s: query, rss_mb: rss() };
}

const which = process.argv[3];
const results: Record<string, Record<string, number>> = {};
if (!which || which === 'store' || which === 'wide') results['store (v4 chunks)'] = await wide();
if (!which || which === 'rows') results['narrow rows'] = await narrow('rows');
if (!which || which === 'chunks') results['narrow DataChunks'] = await narrow('chunks');
if (!which || which === 'csv') results['narrow CSV staging'] = await narrow('csv');
for (const [k, v] of Object.entries(results)) {
  process.stdout.write(`${k.padEnd(22)} ${N} rows: load ${v.load_s!.toFixed(2)} s (${Math.round(v.rows_per_s! / 1000)} k rows/s), day aggregate ${v.query_s!.toFixed(3)} s${v.model_s !== undefined ? `, report model ${v.model_s.toFixed(2)} s` : ''}, rss ${v.rss_mb} MB\n`);
}
writeFileSync(join(dir, 'done'), '');
rmSync(dir, { recursive: true, force: true });
