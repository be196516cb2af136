/**
 * Parquet output of flows through DuckDB. Flows are staged in a narrow typed table (action and direction as codes, repeated labels as keys into one dictionary) written in DataChunks of 2048 rows:
 * one copy per numeric column per chunk, no value object per field (store/flow-table.ts's column writer). The
 * staging database is a file in a temporary directory with a small memory limit and one thread, so DuckDB spills to it and memory
 * stays flat whatever the input size. At the end one COPY … (FORMAT parquet) gives the native columns back (texts
 * looked up in a list) in input order; the temporary directory is removed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { join } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import { BIGINT, DuckDBDataChunk, INTEGER, LIST, UINTEGER, UTINYINT, VARCHAR, listValue, type DuckDBType } from '@duckdb/node-api';
import type { Flow } from '../model/flow.js';
import { OutputError } from '../model/errors.js';
import type { FlowWriter } from './flow-writer.js';
import { communityId } from './community-id.js';
import { ACTION_TEXT, CHUNK_ROWS, DIRECTION_TEXT, fillChunk, i32, i64, makeCol, str, u8, type Col } from '../store/flow-table.js';
/** Staging directories in use; removed if the process is interrupted (SIGINT, SIGTERM, SIGHUP) or exits first. */
const staging = new Set<string>();
let handlersInstalled = false;
function removeStaging(): void {
  for (const d of staging) { try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
  staging.clear();
}
function holdStaging(dir: string): void {
  staging.add(dir);
  if (handlersInstalled || !isMainThread) return; // (signals reach the main thread only)
  handlersInstalled = true;
  process.once('exit', removeStaging);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeStaging();
      // then the signal's own outcome (killed by it), as if no handler had been installed
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(s);
      process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

/** Quotes a path for a DuckDB string literal (COPY cannot bind its target). */
export function sqlPathLiteral(path: string): string {
  if (/[\0-\x1f]/.test(path)) throw new Error(`refusing path with control characters: ${JSON.stringify(path)}`);
  return `'${path.replace(/'/g, "''")}'`;
}

/** Parquet file names of one writer: host and process, then DuckDB's {uuid} per file (never an existing name). */
export function partitionFilePattern(host = hostname(), pid = process.pid): string {
  const safe = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '_').slice(0, 64) || 'host';
  return `fwaudit-${safe}-${pid}-{uuid}`;
}

/**
 * Hive-partitioned Parquet under `dir`: `dir/day=YYYY-MM-DD/fwaudit-<host>-<pid>-<uuid>.parquet` (UTC day of
 * `ts`; flows without a timestamp under `day=NULL`). Files are added beside existing ones and never
 * replace them, so collectors on many hosts can write into one shared layout.
 */
export async function partitionedParquetWriter(dir: string): Promise<FlowWriter> {
  mkdirSync(dir, { recursive: true });
  return parquetWriter(dir, { partitionByDay: true });
}

/**
 * The staging table: FLOW_COLUMNS with action and direction as codes and labels as dictionary keys. Addresses stay
 * text: rebuilding a dotted quad from an integer in the COPY cost more (0.6 s per million rows) than the text's copy.
 */
const STAGE: ReadonlyArray<readonly [string, string]> = [
  ['ts', 'BIGINT'], ['action', 'UTINYINT'], ['raw_action', 'UINTEGER'], ['transport', 'UINTEGER'],
  ['src_ip', 'VARCHAR'], ['src_port', 'INTEGER'], ['dst_ip', 'VARCHAR'], ['dst_port', 'INTEGER'],
  ['direction', 'UTINYINT'], ['device', 'UINTEGER'], ['rule', 'UINTEGER'], ['app', 'UINTEGER'], ['bytes', 'BIGINT'], ['packets', 'BIGINT'],
  ['end_reason', 'UINTEGER'], ['host', 'VARCHAR'], ['url', 'VARCHAR'], ['format', 'UINTEGER'], ['file', 'UINTEGER'], ['line', 'INTEGER'],
  ['community_id', 'VARCHAR'],
];
const TYPES: Record<string, DuckDBType> = { BIGINT, UTINYINT, UINTEGER, VARCHAR, INTEGER };
const label = (c: string) => `getvariable('fwaudit_texts')[${c}]`;
/** The native columns (FLOW_COLUMNS order, then community_id) from the staging table, as the row writer gave them. */
const NATIVE_SELECT = `epoch_ms(ts) AS ts, ${ACTION_TEXT('action')} AS action, ${label('raw_action')} AS raw_action, ${label('transport')} AS transport,
  src_ip, src_port, dst_ip, dst_port, ${DIRECTION_TEXT('direction')} AS direction,
  ${label('device')} AS device, ${label('rule')} AS rule, ${label('app')} AS app, bytes, packets, ${label('end_reason')} AS end_reason,
  host, url, ${label('format')} AS format, ${label('file')} AS file, line, community_id`;

/**
 * Memory DuckDB may use while staging and writing (it spills to the staging directory beyond it), on one thread (each
 * COPY thread buffers its own row group). Peak RSS of parse --out x.parquet, 1 M iptables lines: 128 MB and 2 threads
 * 375-435 MB; 64 MB and 1 thread 283-380 MB, the same for 3 M lines; 32 MB ran out of memory in the COPY.
 */
const STAGING_MEMORY = '64MB';

export async function parquetWriter(path: string, o: { partitionByDay?: boolean } = {}): Promise<FlowWriter> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'fwaudit-parquet-'));
  } catch (e) {
    throw new OutputError(`cannot stage Parquet output in ${tmpdir()} (TMPDIR): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  holdStaging(dir);
  let db;
  try {
    db = await DuckDBInstance.create(join(dir, 'staging.duckdb'), { memory_limit: STAGING_MEMORY, threads: '1', temp_directory: join(dir, 'tmp') });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    staging.delete(dir);
    throw e;
  }
  const con = await db.connect();
  await con.run(`CREATE TABLE flows (${STAGE.map(([n, t]) => `${n} ${t}`).join(', ')})`);
  const app = await con.createAppender('flows');
  const cols: Col[] = STAGE.map(([, t]) => makeCol(t));
  const chunk = duckdb.create_data_chunk(STAGE.map(([, t]) => TYPES[t]!.toLogicalType().logical_type));
  // the dictionary of labels: text -> key (from 1: DuckDB lists are 1-based); the last text per column is kept
  const keys = new Map<string, number>();
  const texts: string[] = [];
  const lastText: Array<string | null> = STAGE.map(() => null);
  const lastKey = new Uint32Array(STAGE.length);
  const key = (c: number, r: number, byte: number, bit: number, v: string | null): void => {
    const col = cols[c]!;
    if (v === null) { col.valid[byte]! &= ~bit; return; }
    let k: number;
    if (lastText[c] === v) k = lastKey[c]!;
    else {
      k = keys.get(v) ?? 0;
      if (k === 0) { texts.push(v); k = texts.length; keys.set(v, k); }
      lastText[c] = v; lastKey[c] = k;
    }
    (col.data as Uint32Array)[r] = k;
    col.valid[byte]! |= bit;
  };
  let rows = 0;
  const flush = (): void => {
    if (rows === 0) return;
    duckdb.data_chunk_reset(chunk);
    duckdb.data_chunk_set_size(chunk, rows);
    fillChunk(chunk, cols, rows);
    app.appendDataChunk(new DuckDBDataChunk(chunk));
    rows = 0;
    for (const col of cols) if (col.kind === 'str') col.data.fill(null);
  };
  let closed = false;
  const cleanup = (): void => {
    if (closed) return;
    closed = true;
    try { con.closeSync(); db.closeSync(); } finally { rmSync(dir, { recursive: true, force: true }); staging.delete(dir); }
  };
  return {
    write(f: Flow) {
      const r = rows, c = cols;
      const byte = r >> 3, bit = 1 << (r & 7);
      i64(c[0]!, r, byte, bit, f.ts);
      u8(c[1]!, r, byte, bit, f.action === 'deny' ? 1 : f.action === 'allow' ? 2 : 0);
      key(2, r, byte, bit, f.raw_action);
      key(3, r, byte, bit, f.transport);
      str(c[4]!, r, byte, bit, f.src_ip);
      i32(c[5]!, r, byte, bit, f.src_port);
      str(c[6]!, r, byte, bit, f.dst_ip);
      i32(c[7]!, r, byte, bit, f.dst_port);
      u8(c[8]!, r, byte, bit, f.direction === 'inbound' ? 1 : f.direction === 'outbound' ? 2 : f.direction === 'forward' ? 3 : null);
      key(9, r, byte, bit, f.device);
      key(10, r, byte, bit, f.rule);
      key(11, r, byte, bit, f.app);
      i64(c[12]!, r, byte, bit, f.bytes);
      i64(c[13]!, r, byte, bit, f.packets);
      key(14, r, byte, bit, f.end_reason);
      str(c[15]!, r, byte, bit, f.host);
      str(c[16]!, r, byte, bit, f.url);
      key(17, r, byte, bit, f.format);
      key(18, r, byte, bit, f.file);
      i32(c[19]!, r, byte, bit, f.line);
      str(c[20]!, r, byte, bit, communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port));
      if (++rows === CHUNK_ROWS) flush();
    },
    async drain() {},
    async close() {
      try {
        flush();
        app.closeSync();
        // the labels as one list variable: a lookup per row without a join (a join would not keep the input order)
        await con.run('SET VARIABLE fwaudit_texts = $1', [listValue(texts)], [LIST(VARCHAR)]);
        if (o.partitionByDay) {
          // One COPY from the staged batches; DuckDB writes one file per day partition (more when large).
          await con.run(`COPY (SELECT ${NATIVE_SELECT}, strftime(epoch_ms(ts), '%Y-%m-%d') AS day FROM flows) TO ${sqlPathLiteral(path)} ` +
            `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day), APPEND, FILENAME_PATTERN ${sqlPathLiteral(partitionFilePattern())})`);
        } else {
          await con.run(`COPY (SELECT ${NATIVE_SELECT} FROM flows) TO ${sqlPathLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`);
        }
      } finally {
        cleanup();
      }
    },
  };
}
