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
import { intToIpv4, ipv4SliceToInt } from '../model/ip.js';
import { IntMap } from './int-map.js';
import { BATCH_TEXT as B, NUM, STR, type FlowBatchView } from '../pipeline/flow-batch.js';

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

  /**
   * Writes the texts (and matched-set labels) created since the last call through Appenders, and flushes them unless
   * `flush` is false (the rows then wait in the Appenders for the next flush).
   */
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

  /** Per batch (with keyOf): action codes (0 none, 1 deny, 2 allow, 255 not computed), direction codes (0 null), whether a format is a host firewall's, address texts as IPv4 integers. */
  private actOf = new Uint8Array(256);
  private dirOf = new Uint8Array(256);
  private hostOf = new Uint8Array(256);
  private ip4Of = new Float64Array(256);
  /** Log device key per IPv4 local address (host firewall logs): keys never change during the writer's life. */
  private readonly ip4Key = new IntMap();
  /** Per segment: the log device key of each row (0: null). */
  private readonly ldKey = new Uint32Array(ROWS);

  private useBatch(v: FlowBatchView): void {
    if (v === this.view) return;
    this.view = v;
    const k = v.strings.length;
    if (this.keyOf.length < k) {
      this.keyOf = new Uint32Array(k * 2); this.matchedOf = new Uint32Array(k * 2);
      this.actOf = new Uint8Array(k * 2); this.dirOf = new Uint8Array(k * 2); this.hostOf = new Uint8Array(k * 2); this.ip4Of = new Float64Array(k * 2);
    } else { this.keyOf.fill(0, 0, k); this.matchedOf.fill(0, 0, k); }
    this.actOf.fill(255, 0, k); this.dirOf.fill(255, 0, k); this.hostOf.fill(255, 0, k); this.ip4Of.fill(-2, 0, k);
  }

  private actionCode(id: number): number {
    let a = this.actOf[id]!;
    if (a === 255) { const t = this.view!.strings[id]; a = this.actOf[id] = t === 'deny' ? 1 : t === 'allow' ? 2 : 0; }
    return a;
  }
  private directionCode(id: number): number {
    let d = this.dirOf[id]!;
    if (d === 255) { const t = this.view!.strings[id]; d = this.dirOf[id] = t === 'inbound' ? 1 : t === 'outbound' ? 2 : t === 'forward' ? 3 : 0; }
    return d;
  }
  private isHost(id: number): boolean {
    let h = this.hostOf[id]!;
    if (h === 255) { const t = this.view!.strings[id]!; h = this.hostOf[id] = t.startsWith('winfw') || t.startsWith('wfp') ? 1 : 0; }
    return h === 1;
  }
  /** An address text of the batch as `ip` reads it: the integer of a canonical dotted quad, else -1. */
  private textIp4(id: number): number {
    let n = this.ip4Of[id]!;
    if (n === -2) { const t = this.view!.strings[id]!; n = this.ip4Of[id] = t.length <= 15 ? ipv4SliceToInt(t, 0, t.length, true) : -1; }
    return n;
  }
  /** The key of a text column's string id of the current batch, created on first use (0 for -1: null). */
  private prep(id: number): number {
    if (id < 0) return 0;
    let k = this.keyOf[id]!;
    if (k === 0) k = this.keyOf[id] = this.dict.key(this.view!.strings[id]!);
    return k;
  }
  /** `text`'s key of a constant column value (0: null). */
  private keyText(col: Col, v: string | null): number {
    if (v === null) return 0;
    const c = col as Col & { lastText?: string; lastKey?: number };
    if (c.lastText !== v) { c.lastKey = this.dict.key(v); c.lastText = v; }
    return c.lastKey!;
  }

  /**
   * Rows sel[i0], sel[i0 + 1], … of a worker's batch, as many as fit in the current chunk (at most `count`), exactly
   * as `add` of the Flow readFlowBatch makes of each would append them (same values, same checks, dictionary keys
   * created in the same order: row by row, column by column), but column by column: each text of the batch looked up once, IPv4 log devices by
   * their integer. Line numbers are the batch's plus `lineOffset`; `file`, when not null, replaces the batch's.
   * Returns how many rows were added.
   */
  addBatchRows(v: FlowBatchView, sel: Int32Array, i0: number, count: number, lineOffset: number,
    inputId: string | null, runId: string | null, file: string | null): number {
    this.useBatch(v);
    const r0 = this.rows;
    const k = Math.min(count, ROWS - r0);
    if (k <= 0) return 0;
    const num = v.num, st = v.str, mask = v.mask, strings = v.strings, c = this.cols, ld = this.ldKey;
    // Keys first, in the order add() creates them (row by row: transport, raw action, device, rule, app, end reason,
    // format, file, input, run, matched set, log device).
    let fileKey = 0, inputKey = 0, runKey = 0;
    for (let j = 0; j < k; j++) {
      const br = sel[i0 + j]!, s = br * STR;
      this.prep(st[s + B.transport]!); this.prep(st[s + B.raw_action]!);
      const dev = st[s + B.device]!;
      this.prep(dev); this.prep(st[s + B.rule]!); this.prep(st[s + B.app]!); this.prep(st[s + B.end_reason]!);
      const format = st[s + B.format]!;
      this.prep(format);
      if (file !== null) fileKey = this.keyText(c[20]!, file); else this.prep(st[s + B.file]!);
      inputKey = this.keyText(c[22]!, inputId);
      runKey = this.keyText(c[23]!, runId);
      const mid = st[s + B.matched]!;
      if (mid >= 0 && this.matchedOf[mid] === 0) this.matchedOf[mid] = this.dict.matchedKey(strings[mid]!);
      // logDevice: the device, else for host firewall logs (winfw, wfp) the local address
      let key = 0;
      if (dev >= 0) key = this.keyOf[dev]!;
      else {
        const dir = st[s + B.direction]!;
        const dcode = dir < 0 ? 0 : this.directionCode(dir);
        const side = (dcode === 1 || dcode === 2) && this.isHost(format) ? dcode : 0;
        if (side !== 0) {
          const m = mask[br]!;
          const a4 = side === 1 ? (m & 64 ? num[br * NUM + 7]! : -1) : (m & 32 ? num[br * NUM + 6]! : -1);
          if (a4 >= 0) {
            key = this.ip4Key.get(a4);
            if (key < 0) { key = this.dict.key(intToIpv4(a4)); this.ip4Key.set(a4, key); }
          } else key = this.prep(st[s + (side === 1 ? B.dst_ip : B.src_ip)]!);
        }
      }
      ld[j] = key;
    }
    // Then the columns.
    for (let j = 0; j < k; j++) {
      const br = sel[i0 + j]!, r = r0 + j, o = br * NUM, s = br * STR, m = mask[br]!;
      const byte = r >> 3, bit = 1 << (r & 7);
      i64(c[0]!, r, byte, bit, m & 1 ? null : num[o]! * 1000);
      const act = st[s + B.action]!;
      (c[1]!.data as Uint8Array)[r] = act < 0 ? 0 : this.actionCode(act); c[1]!.valid[byte]! |= bit;
      const dir = st[s + B.direction]!;
      const dcode = dir < 0 ? 0 : this.directionCode(dir);
      if (dcode === 0) c[2]!.valid[byte]! &= ~bit; else { (c[2]!.data as Uint8Array)[r] = dcode; c[2]!.valid[byte]! |= bit; }
      keyCol(c[3]!, r, byte, bit, this.keyOf, st[s + B.transport]!);
      const sid = st[s + B.src_ip]!;
      if (m & 32) { (c[4]!.data as Uint32Array)[r] = num[o + 6]!; c[4]!.valid[byte]! |= bit; str(c[5]!, r, byte, bit, null); }
      else this.addr(c[4]!, c[5]!, r, byte, bit, sid, strings);
      i32(c[6]!, r, byte, bit, m & 2 ? null : num[o + 1]!);
      const did = st[s + B.dst_ip]!;
      if (m & 64) { (c[7]!.data as Uint32Array)[r] = num[o + 7]!; c[7]!.valid[byte]! |= bit; str(c[8]!, r, byte, bit, null); }
      else this.addr(c[7]!, c[8]!, r, byte, bit, did, strings);
      i32(c[9]!, r, byte, bit, m & 4 ? null : num[o + 2]!);
      keyCol(c[10]!, r, byte, bit, this.keyOf, st[s + B.raw_action]!);
      keyCol(c[11]!, r, byte, bit, this.keyOf, st[s + B.device]!);
      keyCol(c[12]!, r, byte, bit, this.keyOf, st[s + B.rule]!);
      keyCol(c[13]!, r, byte, bit, this.keyOf, st[s + B.app]!);
      keyCol(c[14]!, r, byte, bit, this.keyOf, st[s + B.end_reason]!);
      i64(c[15]!, r, byte, bit, m & 8 ? null : num[o + 3]!);
      i64(c[16]!, r, byte, bit, m & 16 ? null : num[o + 4]!);
      const h = st[s + B.host]!, u = st[s + B.url]!;
      str(c[17]!, r, byte, bit, h < 0 ? null : strings[h]!);
      str(c[18]!, r, byte, bit, u < 0 ? null : strings[u]!);
      keyCol(c[19]!, r, byte, bit, this.keyOf, st[s + B.format]!);
      if (file !== null) constCol(c[20]!, r, byte, bit, fileKey);
      else keyCol(c[20]!, r, byte, bit, this.keyOf, st[s + B.file]!);
      i64(c[21]!, r, byte, bit, num[o + 5]! + lineOffset);
      constCol(c[22]!, r, byte, bit, inputKey);
      constCol(c[23]!, r, byte, bit, runKey);
      keyCol(c[24]!, r, byte, bit, this.matchedOf, st[s + B.matched]!);
      constCol(c[25]!, r, byte, bit, ld[j]!);
    }
    this.rows += k;
    if (this.rows === ROWS) this.flush();
    return k;
  }

  /** An address text of the batch (id, -1: null) into the integer or the text column, as `ip` does. */
  private addr(v4: Col, text: Col, r: number, byte: number, bit: number, id: number, strings: string[]): void {
    if (id < 0) { v4.valid[byte]! &= ~bit; str(text, r, byte, bit, null); return; }
    const n = this.textIp4(id);
    if (n >= 0) { (v4.data as Uint32Array)[r] = n; v4.valid[byte]! |= bit; str(text, r, byte, bit, null); }
    else { v4.valid[byte]! &= ~bit; str(text, r, byte, bit, strings[id]!); }
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

/** A key column from a per-batch cache of keys by string id (-1: null; the key was created by the first pass). */
function keyCol(col: Col, r: number, byte: number, bit: number, keys: Uint32Array, id: number): void {
  if (id < 0) { col.valid[byte]! &= ~bit; return; }
  (col.data as Uint32Array)[r] = keys[id]!;
  col.valid[byte]! |= bit;
}
/** A key column from a key (0: null). */
function constCol(col: Col, r: number, byte: number, bit: number, key: number): void {
  if (key === 0) { col.valid[byte]! &= ~bit; return; }
  (col.data as Uint32Array)[r] = key;
  col.valid[byte]! |= bit;
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
