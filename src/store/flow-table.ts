/**
 * The narrow flow table (schema v4) and its bulk writer.
 *
 * `flow_rows` keeps a flow in typed columns: IPv4 addresses as UINTEGER (any other address text, IPv6 included,
 * kept exactly as text), action and direction as UTINYINT codes, and every repeated label (raw action, transport,
 * device, rule, app, end reason, format, file, input id, run id, matched requirements, logging device) as a key into
 * one dictionary table `texts`. The `flows` view gives the readable columns back in FLOW_TABLE_COLUMNS order.
 *
 * FlowChunkWriter fills its own typed arrays (one per column, 2048 rows: one DuckDB vector) and hands them to
 * DuckDB as a DataChunk through the Appender: one memory copy per column per chunk, no value object per field.
 * Measured (scripts/bench-flow-table.ts) against the row Appender on the wide table and against CSV staging.
 */
import duckdb from '@duckdb/node-bindings';
import {
  BIGINT, DuckDBDataChunk, INTEGER, TIMESTAMP, UINTEGER, UTINYINT, VARCHAR,
  type DuckDBAppender, type DuckDBType,
} from '@duckdb/node-api';
import type { Flow } from '../model/flow.js';
import { ipv4SliceToInt } from '../model/ip.js';
import { BATCH_TEXT as B, type FlowBatchView } from '../pipeline/flow-batch.js';

import { ACTION_TEXT, DIRECTION_TEXT } from './codes.js';

export { ACTION_CODES, ACTION_TEXT, DIRECTION_CODES, DIRECTION_TEXT } from './codes.js';

/** DuckDB's vector size: rows per DataChunk. */
export const CHUNK_ROWS = duckdb.vector_size();

/** Column order of `flow_rows` (the writer fills them in this order). */
export const FLOW_ROW_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['ts', 'TIMESTAMP'], ['action', 'UTINYINT'], ['direction', 'UTINYINT'], ['transport_key', 'UINTEGER'],
  ['src4', 'UINTEGER'], ['src_text', 'VARCHAR'], ['src_port', 'INTEGER'],
  ['dst4', 'UINTEGER'], ['dst_text', 'VARCHAR'], ['dst_port', 'INTEGER'],
  ['raw_action_key', 'UINTEGER'], ['device_key', 'UINTEGER'], ['rule_key', 'UINTEGER'], ['app_key', 'UINTEGER'],
  ['end_reason_key', 'UINTEGER'], ['bytes', 'BIGINT'], ['packets', 'BIGINT'], ['host', 'VARCHAR'], ['url', 'VARCHAR'],
  ['format_key', 'UINTEGER'], ['file_key', 'UINTEGER'], ['line', 'BIGINT'], ['input_key', 'UINTEGER'], ['run_key', 'UINTEGER'],
  ['matched_key', 'UINTEGER'], ['log_device_key', 'UINTEGER'],
];

const TYPE_OF: Record<string, DuckDBType> = { TIMESTAMP, UTINYINT, UINTEGER, VARCHAR, INTEGER, BIGINT };

export const CREATE_FLOW_ROWS = `CREATE TABLE flow_rows (${FLOW_ROW_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`;

/**
 * Denied flows of every finished run per (source, destination, transport, destination port): count, first and last
 * time. Kept up to date by each run in its own transaction (BLOCKED_GROUPS_MERGE); the report's top blocked flows
 * over the whole store read it instead of grouping every denied flow.
 */
export const CREATE_BLOCKED_GROUPS = `CREATE TABLE blocked_groups (src4 UINTEGER, src_text VARCHAR, dst4 UINTEGER, dst_text VARCHAR,
  transport_key UINTEGER, dst_port INTEGER, count BIGINT NOT NULL, first_ts TIMESTAMP, last_ts TIMESTAMP)`;
const GROUP_KEY = ['src4', 'src_text', 'dst4', 'dst_text', 'transport_key', 'dst_port'];
/** Adds the denied flows of run key $1 to blocked_groups. */
export const BLOCKED_GROUPS_MERGE = `MERGE INTO blocked_groups g USING (
    SELECT ${GROUP_KEY.join(', ')}, count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM flow_rows WHERE run_key = $1 AND action = 1 GROUP BY ALL) s
  ON ${GROUP_KEY.map((k) => `g.${k} IS NOT DISTINCT FROM s.${k}`).join(' AND ')}
  WHEN MATCHED THEN UPDATE SET count = g.count + s.n, first_ts = least(g.first_ts, s.lo), last_ts = greatest(g.last_ts, s.hi)
  WHEN NOT MATCHED THEN INSERT VALUES (${GROUP_KEY.map((k) => `s.${k}`).join(', ')}, s.n, s.lo, s.hi)`;

/** Text columns of the wide layout that are dictionary keys in `flow_rows`. */
export const KEYED_COLUMNS = ['raw_action', 'transport', 'device', 'rule', 'app', 'end_reason', 'format', 'file', 'input_id', 'run_id', 'matched'] as const;
export const KEY_COLUMN: Record<(typeof KEYED_COLUMNS)[number] | 'log_device', string> = {
  raw_action: 'raw_action_key', transport: 'transport_key', device: 'device_key', rule: 'rule_key', app: 'app_key',
  end_reason: 'end_reason_key', format: 'format_key', file: 'file_key', input_id: 'input_key', run_id: 'run_key',
  matched: 'matched_key', log_device: 'log_device_key',
};

/**
 * The dictionary: text → key (dense, from 1). Loaded from `texts` when a run starts; keys created during a run are
 * written to `texts` (and, for matched sets, their labels to `matched_labels`) in the run's transaction.
 */
export class TextDictionary {
  private readonly keys = new Map<string, number>();
  /** Keys whose labels are in `matched_labels`. */
  private readonly labelled = new Set<number>();
  private next = 1;
  /** Texts created since the last drain, in key order. */
  private pending: string[] = [];
  private pendingMatched: Array<{ key: number; text: string }> = [];

  load(rows: Iterable<{ key: number; text: string }>, labelled: Iterable<number>): void {
    this.keys.clear();
    this.labelled.clear();
    this.pending = [];
    this.pendingMatched = [];
    this.next = 1;
    for (const r of rows) {
      this.keys.set(r.text, r.key);
      if (r.key >= this.next) this.next = r.key + 1;
    }
    for (const k of labelled) this.labelled.add(k);
  }

  key(text: string): number {
    let k = this.keys.get(text);
    if (k === undefined) {
      k = this.next++;
      this.keys.set(text, k);
      this.pending.push(text);
    }
    return k;
  }

  /** The key of a matched set ("product/requirement;…"); its labels are written with the texts. */
  matchedKey(text: string): number {
    const k = this.key(text);
    if (!this.labelled.has(k)) {
      this.labelled.add(k);
      this.pendingMatched.push({ key: k, text });
    }
    return k;
  }

  lookup(text: string): number | undefined {
    return this.keys.get(text);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Writes the texts (and matched-set labels) created since the last call through Appenders. */
  drain(texts: DuckDBAppender, matchedLabels: DuckDBAppender): void {
    if (this.pending.length === 0 && this.pendingMatched.length === 0) return;
    // One row per label, as string_split gives them (the labels are texts too: key them first).
    const labelRows: Array<[number, number]> = [];
    for (const m of this.pendingMatched) for (const label of m.text.split(';')) labelRows.push([m.key, this.key(label)]);
    this.pendingMatched = [];
    const first = this.next - this.pending.length;
    for (let i = 0; i < this.pending.length; i++) {
      texts.appendUInteger(first + i);
      texts.appendVarchar(this.pending[i]!);
      texts.endRow();
    }
    this.pending = [];
    for (const [m, l] of labelRows) {
      matchedLabels.appendUInteger(m);
      matchedLabels.appendUInteger(l);
      matchedLabels.endRow();
    }
    texts.flushSync();
    matchedLabels.flushSync();
  }
}

const ROWS = CHUNK_ROWS;
const TWO32 = 4294967296;

/** One column of a DataChunk being filled: typed values and a validity bitmap (bit set: not null). */
export type Col =
  | { kind: 'u8'; data: Uint8Array; valid: Uint8Array }
  | { kind: 'u32'; data: Uint32Array; valid: Uint8Array }
  | { kind: 'i32'; data: Int32Array; valid: Uint8Array }
  | { kind: 'i64'; data: Int32Array; valid: Uint8Array }
  | { kind: 'str'; data: Array<string | null>; valid: Uint8Array };

export function makeCol(type: string): Col {
  const valid = new Uint8Array(ROWS / 8);
  switch (type) {
    case 'UTINYINT': return { kind: 'u8', data: new Uint8Array(ROWS), valid };
    case 'UINTEGER': return { kind: 'u32', data: new Uint32Array(ROWS), valid };
    case 'INTEGER': return { kind: 'i32', data: new Int32Array(ROWS), valid };
    case 'BIGINT': case 'TIMESTAMP': return { kind: 'i64', data: new Int32Array(ROWS * 2), valid };
    case 'VARCHAR': return { kind: 'str', data: new Array<string | null>(ROWS).fill(null), valid };
    default: throw new Error(`no writer for ${type}`);
  }
}

/**
 * Writes flows into `flow_rows` in DataChunks. `add` encodes one flow; a full chunk goes to the Appender.
 * Values outside a column's range (a port above 2^31, a byte count beyond 2^53) are stored as NULL, never wrapped.
 */
export class FlowChunkWriter {
  private readonly cols: Col[] = FLOW_ROW_COLUMNS.map(([, t]) => makeCol(t));
  private readonly types = FLOW_ROW_COLUMNS.map(([, t]) => TYPE_OF[t]!);
  private rows = 0;
  private chunk: duckdb.DataChunk | null = null;

  constructor(private readonly appender: DuckDBAppender, private readonly dict: TextDictionary) {}

  get buffered(): number {
    return this.rows;
  }

  add(f: Flow, inputId: string | null, runId: string | null, matched: string | null): void {
    const r = this.rows;
    const c = this.cols;
    const byte = r >> 3, bit = 1 << (r & 7);
    i64(c[0]!, r, byte, bit, f.ts === null ? null : f.ts * 1000);
    u8(c[1]!, r, byte, bit, f.action === 'deny' ? 1 : f.action === 'allow' ? 2 : 0);
    const dir = f.direction === 'inbound' ? 1 : f.direction === 'outbound' ? 2 : f.direction === 'forward' ? 3 : null;
    u8(c[2]!, r, byte, bit, dir);
    this.text(c[3]!, r, byte, bit, f.transport);
    ip(c[4]!, c[5]!, r, byte, bit, f.src_ip);
    i32(c[6]!, r, byte, bit, f.src_port);
    ip(c[7]!, c[8]!, r, byte, bit, f.dst_ip);
    i32(c[9]!, r, byte, bit, f.dst_port);
    this.text(c[10]!, r, byte, bit, f.raw_action);
    this.text(c[11]!, r, byte, bit, f.device);
    this.text(c[12]!, r, byte, bit, f.rule);
    this.text(c[13]!, r, byte, bit, f.app);
    this.text(c[14]!, r, byte, bit, f.end_reason);
    i64(c[15]!, r, byte, bit, f.bytes);
    i64(c[16]!, r, byte, bit, f.packets);
    str(c[17]!, r, byte, bit, f.host);
    str(c[18]!, r, byte, bit, f.url);
    this.text(c[19]!, r, byte, bit, f.format);
    this.text(c[20]!, r, byte, bit, f.file);
    i64(c[21]!, r, byte, bit, f.line);
    this.text(c[22]!, r, byte, bit, inputId);
    this.text(c[23]!, r, byte, bit, runId);
    const m = c[24]!;
    if (matched === null || matched === undefined) m.valid[byte]! &= ~bit;
    else { (m.data as Uint32Array)[r] = this.dict.matchedKey(matched); m.valid[byte]! |= bit; }
    this.text(c[25]!, r, byte, bit, logDevice(f));
    if (++this.rows === ROWS) this.flush();
  }

  /** The batch whose string ids `keyOf` caches, and the caches (0: not looked up yet; keys start at 1). */
  private view: FlowBatchView | null = null;
  private keyOf = new Uint32Array(256);
  private matchedOf = new Uint32Array(256);

  /**
   * Row `br` of a worker's batch, exactly as `add` of the Flow readFlowBatch makes of it (with `line`, and `file` for
   * the batch's file when not null): the same checks, the same keys; no Flow object, and each text of the batch looked
   * up in the dictionary once.
   */
  addFromBatch(v: FlowBatchView, br: number, line: number, inputId: string | null, runId: string | null, file: string | null): void {
    if (v !== this.view) {
      this.view = v;
      const k = v.strings.length;
      if (this.keyOf.length < k) { this.keyOf = new Uint32Array(k * 2); this.matchedOf = new Uint32Array(k * 2); }
      else { this.keyOf.fill(0, 0, k); this.matchedOf.fill(0, 0, k); }
    }
    const r = this.rows;
    const c = this.cols;
    const byte = r >> 3, bit = 1 << (r & 7);
    const ts = v.ts(br);
    i64(c[0]!, r, byte, bit, ts === null ? null : ts * 1000);
    const action = v.text(br, B.action);
    u8(c[1]!, r, byte, bit, action === 'deny' ? 1 : action === 'allow' ? 2 : 0);
    const direction = v.text(br, B.direction);
    u8(c[2]!, r, byte, bit, direction === 'inbound' ? 1 : direction === 'outbound' ? 2 : direction === 'forward' ? 3 : null);
    this.batchKey(c[3]!, r, byte, bit, v.textId(br, B.transport));
    const s4 = v.src4(br);
    if (s4 >= 0) { (c[4]!.data as Uint32Array)[r] = s4; c[4]!.valid[byte]! |= bit; str(c[5]!, r, byte, bit, null); }
    else ip(c[4]!, c[5]!, r, byte, bit, v.text(br, B.src_ip));
    i32(c[6]!, r, byte, bit, v.srcPort(br));
    const d4 = v.dst4(br);
    if (d4 >= 0) { (c[7]!.data as Uint32Array)[r] = d4; c[7]!.valid[byte]! |= bit; str(c[8]!, r, byte, bit, null); }
    else ip(c[7]!, c[8]!, r, byte, bit, v.text(br, B.dst_ip));
    i32(c[9]!, r, byte, bit, v.dstPort(br));
    this.batchKey(c[10]!, r, byte, bit, v.textId(br, B.raw_action));
    const dev = v.textId(br, B.device);
    this.batchKey(c[11]!, r, byte, bit, dev);
    this.batchKey(c[12]!, r, byte, bit, v.textId(br, B.rule));
    this.batchKey(c[13]!, r, byte, bit, v.textId(br, B.app));
    this.batchKey(c[14]!, r, byte, bit, v.textId(br, B.end_reason));
    i64(c[15]!, r, byte, bit, v.bytes(br));
    i64(c[16]!, r, byte, bit, v.packets(br));
    str(c[17]!, r, byte, bit, v.text(br, B.host));
    str(c[18]!, r, byte, bit, v.text(br, B.url));
    const format = v.textId(br, B.format);
    this.batchKey(c[19]!, r, byte, bit, format);
    if (file !== null) this.text(c[20]!, r, byte, bit, file);
    else this.batchKey(c[20]!, r, byte, bit, v.textId(br, B.file));
    i64(c[21]!, r, byte, bit, line);
    this.text(c[22]!, r, byte, bit, inputId);
    this.text(c[23]!, r, byte, bit, runId);
    const m = c[24]!, mid = v.textId(br, B.matched);
    if (mid < 0) m.valid[byte]! &= ~bit;
    else {
      let k = this.matchedOf[mid]!;
      if (k === 0) k = this.matchedOf[mid] = this.dict.matchedKey(v.strings[mid]!);
      (m.data as Uint32Array)[r] = k; m.valid[byte]! |= bit;
    }
    // logDevice: the device, else for host firewall logs (winfw, wfp) the local address
    if (dev >= 0) this.batchKey(c[25]!, r, byte, bit, dev);
    else {
      const side = localSide(v.strings[format]!, direction);
      this.text(c[25]!, r, byte, bit, side === 'dst' ? v.dstIp(br) : side === 'src' ? v.srcIp(br) : null);
    }
    if (++this.rows === ROWS) this.flush();
  }

  /** A dictionary column from a string id of the current batch (-1: null). */
  private batchKey(col: Col, r: number, byte: number, bit: number, id: number): void {
    if (id < 0) { col.valid[byte]! &= ~bit; return; }
    let k = this.keyOf[id]!;
    if (k === 0) k = this.keyOf[id] = this.dict.key(this.view!.strings[id]!);
    (col.data as Uint32Array)[r] = k;
    col.valid[byte]! |= bit;
  }

  /** Dictionary columns: the key of the text; the previous row's text and key per column are kept (runs of equal values). */
  private text(col: Col, r: number, byte: number, bit: number, v: string | null | undefined): void {
    if (v === null || v === undefined) { col.valid[byte]! &= ~bit; return; }
    const c = col as Col & { lastText?: string; lastKey?: number };
    let k: number;
    if (c.lastText === v) k = c.lastKey!;
    else { k = this.dict.key(v); c.lastText = v; c.lastKey = k; }
    (col.data as Uint32Array)[r] = k;
    col.valid[byte]! |= bit;
  }

  /** Hands the buffered rows to DuckDB as one DataChunk. */
  flush(): void {
    const n = this.rows;
    if (n === 0) return;
    // One chunk for the writer's life, reset before each use: a chunk per flush would hold its native memory until
    // the garbage collector finalizes it (hundreds of MB over a million rows).
    const chunk = this.chunk ??= duckdb.create_data_chunk(this.types.map((t) => t.toLogicalType().logical_type));
    duckdb.data_chunk_reset(chunk);
    duckdb.data_chunk_set_size(chunk, n);
    fillChunk(chunk, this.cols, n);
    this.appender.appendDataChunk(new DuckDBDataChunk(chunk));
    this.rows = 0;
    for (const col of this.cols) if (col.kind === 'str') col.data.fill(null);
  }
}

/** Copies the first `n` rows of `cols` into `chunk` (already sized to `n`): one copy per numeric column, strings one by one. */
export function fillChunk(chunk: duckdb.DataChunk, cols: readonly Col[], n: number): void {
  const validBytes = Math.ceil(n / 64) * 8;
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i]!;
    const vec = duckdb.data_chunk_get_vector(chunk, i);
    if (col.kind === 'str') {
      for (let r = 0; r < n; r++) {
        const v = col.data[r];
        if (v !== null && v !== undefined && (col.valid[r >> 3]! & (1 << (r & 7))) !== 0) duckdb.vector_assign_string_element(vec, r, v);
      }
    } else {
      const width = col.kind === 'u8' ? 1 : col.kind === 'i64' ? 8 : 4;
      duckdb.copy_data_to_vector(vec, 0, col.data.buffer as ArrayBuffer, col.data.byteOffset, n * width);
    }
    // Bits past n are never read; whole 64-bit words are copied.
    duckdb.vector_ensure_validity_writable(vec);
    duckdb.copy_data_to_vector_validity(vec, 0, col.valid.buffer as ArrayBuffer, col.valid.byteOffset, Math.min(validBytes, col.valid.byteLength));
  }
}

export function u8(col: Col, r: number, byte: number, bit: number, v: number | null): void {
  if (v === null) col.valid[byte]! &= ~bit;
  else { (col.data as Uint8Array)[r] = v; col.valid[byte]! |= bit; }
}
export function i32(col: Col, r: number, byte: number, bit: number, v: number | null): void {
  if (v === null || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) col.valid[byte]! &= ~bit;
  else { (col.data as Int32Array)[r] = v; col.valid[byte]! |= bit; }
}
/** A 64-bit integer from a double (exact up to 2^53) as two 32-bit halves, little-endian, without a BigInt. */
export function i64(col: Col, r: number, byte: number, bit: number, v: number | null): void {
  if (v === null || !Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) { col.valid[byte]! &= ~bit; return; }
  const x = Math.trunc(v);
  const hi = Math.floor(x / TWO32);
  const d = col.data as Int32Array;
  d[2 * r] = (x - hi * TWO32) | 0;
  d[2 * r + 1] = hi | 0;
  col.valid[byte]! |= bit;
}
export function str(col: Col, r: number, byte: number, bit: number, v: string | null | undefined): void {
  if (v === null || v === undefined) { col.valid[byte]! &= ~bit; col.data[r] = null; }
  else { (col.data as Array<string | null>)[r] = v; col.valid[byte]! |= bit; }
}
/** An address: canonical dotted quad → integer column; anything else (IPv6, odd text) → text column, exactly. */
function ip(v4: Col, text: Col, r: number, byte: number, bit: number, v: string | null): void {
  if (v === null) { v4.valid[byte]! &= ~bit; str(text, r, byte, bit, null); return; }
  const n = v.length <= 15 ? ipv4SliceToInt(v, 0, v.length, true) : -1;
  if (n >= 0) { (v4.data as Uint32Array)[r] = n; v4.valid[byte]! |= bit; str(text, r, byte, bit, null); }
  else { v4.valid[byte]! &= ~bit; str(text, r, byte, bit, v); }
}

/** Which address of a host firewall log's flow (winfw, wfp) is the logging host's own: the destination inbound, the source outbound. */
export function localSide(format: string, direction: string | null): 'src' | 'dst' | null {
  if (!(format.startsWith('winfw') || format.startsWith('wfp'))) return null;
  return direction === 'inbound' ? 'dst' : direction === 'outbound' ? 'src' : null;
}

/** The device that logged a flow: its device, else for host firewall logs (winfw, wfp) the local address. */
export function logDevice(f: Flow): string | null {
  if (f.device !== null) return f.device;
  const side = localSide(f.format, f.direction);
  return side === 'dst' ? f.dst_ip : side === 'src' ? f.src_ip : null;
}
