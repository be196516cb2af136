/**
 * Parquet output of flows through DuckDB: rows are bulk-loaded with the Appender into a staging table
 * (DuckDB spills to disk when it outgrows memory), then written with COPY … (FORMAT parquet).
 */
import { mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { FLOW_COLUMNS, type Flow } from '../model/flow.js';
import type { FlowWriter } from './flow-writer.js';
import { communityId } from './community-id.js';

const INT_COLS = new Set(['src_port', 'dst_port', 'line']);
const BIG_COLS = new Set(['ts', 'bytes', 'packets']);

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

export async function parquetWriter(path: string, o: { partitionByDay?: boolean } = {}): Promise<FlowWriter> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { temp_directory: tmpdir() });
  const con = await db.connect();
  const cols = FLOW_COLUMNS.map((c) => `${c} ${INT_COLS.has(c) ? 'INTEGER' : BIG_COLS.has(c) ? 'BIGINT' : 'VARCHAR'}`);
  await con.run(`CREATE TABLE flows (${cols.join(', ')}, community_id VARCHAR)`);
  const app = await con.createAppender('flows');
  let pending = 0;
  return {
    write(f: Flow) {
      for (const c of FLOW_COLUMNS) {
        const v = f[c];
        if (v === null || v === undefined) app.appendNull();
        else if (BIG_COLS.has(c)) app.appendBigInt(BigInt(Math.trunc(v as number)));
        else if (INT_COLS.has(c)) app.appendInteger(v as number);
        else app.appendVarchar(String(v));
      }
      const cid = communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port);
      if (cid === null) app.appendNull(); else app.appendVarchar(cid);
      app.endRow();
      pending++;
    },
    async drain() { if (pending > 100_000) { app.flushSync(); pending = 0; } },
    async close() {
      app.closeSync();
      const sel = FLOW_COLUMNS.map((c) => (c === 'ts' ? 'epoch_ms(ts) AS ts' : c)).join(', ');
      if (o.partitionByDay) {
        // One COPY from the staged batches; DuckDB writes one file per day partition (more when large).
        await con.run(`COPY (SELECT ${sel}, community_id, strftime(epoch_ms(ts), '%Y-%m-%d') AS day FROM flows) TO ${sqlPathLiteral(path)} ` +
          `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day), APPEND, FILENAME_PATTERN ${sqlPathLiteral(partitionFilePattern())})`);
      } else {
        await con.run(`COPY (SELECT ${sel}, community_id FROM flows) TO ${sqlPathLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`);
      }
      con.closeSync();
      db.closeSync();
    },
  };
}
