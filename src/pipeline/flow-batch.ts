/**
 * Flows across threads: a worker packs flows into a columnar batch (numbers in one Float64Array, text as
 * ids into a per-batch string table, a null mask per row) whose ArrayBuffer is transferred, not copied;
 * the main thread rebuilds Flow objects with the same field order as `newFlow`.
 */
import type { Action, Direction, Flow } from '../model/flow.js';
import { intToIpv4, ipv4ToInt } from '../model/ip.js';

/** The address as an integer when `s` is exactly the canonical text of an IPv4 address, else -1. */
function canonicalV4(s: string): number {
  if (s.length > 15 || s.length < 7) return -1;
  const n = ipv4ToInt(s);
  if (n < 0) return -1;
  // ipv4ToInt accepts leading zeros ("010"): canonical iff the text is as long as the digits of the octets
  const d = (x: number) => (x >= 100 ? 3 : x >= 10 ? 2 : 1);
  return d(n >>> 24) + d((n >>> 16) & 255) + d((n >>> 8) & 255) + d(n & 255) + 3 === s.length ? n : -1;
}

/**
 * Numeric columns: ts, src_port, dst_port, bytes, packets, line (null flags in the mask), then src_ip and
 * dst_ip as 32-bit integers when they are canonical dotted-quad IPv4 (mask bits 32 and 64): no string
 * table entry for the column with the most distinct values.
 */
export const NUM = 8;
/** Text columns, as ids into the string table; -1 = null (the last one: the matched set, when the worker matched). */
export const STR = 15;

export interface FlowBatch {
  n: number;
  /** n × NUM float64 values, then n × STR int32 ids, then n mask bytes. */
  buf: ArrayBuffer;
  strings: string[];
}

export const BATCH_ROWS = 2048;

export class FlowBatchWriter {
  private num!: Float64Array;
  private str!: Int32Array;
  private mask!: Uint8Array;
  private buf!: ArrayBuffer;
  private strings: string[] = [];
  private ids = new Map<string, number>();
  /** Last value and id of each text column: runs of one device, rule or file skip the map. */
  private readonly lastV: Array<string | null> = new Array<string | null>(STR).fill(null);
  private readonly lastI = new Int32Array(STR).fill(-1);
  n = 0;
  /** Buffers handed back by the reader (`recycle`), reused instead of allocating new ones. */
  private readonly free: ArrayBuffer[] = [];
  constructor(private readonly rows = BATCH_ROWS) { this.reset(); }

  recycle(buf: ArrayBuffer): void {
    if (buf.byteLength === this.rows * (NUM * 8 + STR * 4 + 1) && this.free.length < 64) this.free.push(buf);
  }

  private reset(): void {
    this.buf = this.free?.pop() ?? new ArrayBuffer(this.rows * (NUM * 8 + STR * 4 + 1));
    this.num = new Float64Array(this.buf, 0, this.rows * NUM);
    this.str = new Int32Array(this.buf, this.rows * NUM * 8, this.rows * STR);
    this.mask = new Uint8Array(this.buf, this.rows * (NUM * 8 + STR * 4), this.rows);
    this.strings = [];
    this.ids = new Map();
    this.lastV?.fill(null);
    this.lastI?.fill(-1);
    this.n = 0;
  }

  private id(col: number, s: string | null): number {
    if (s === null || s === undefined) return -1;
    if (s === this.lastV[col]) return this.lastI[col]!;
    let i = this.ids.get(s);
    if (i === undefined) { i = this.strings.length; this.strings.push(String(s)); this.ids.set(s, i); }
    this.lastV[col] = s; this.lastI[col] = i;
    return i;
  }

  /** Adds a flow (and the requirements it matched, when the worker matches: ingest); true when the batch is full (take it with `take()`). */
  add(f: Flow, matched: string | null = null): boolean {
    const r = this.n++;
    const o = r * NUM, s = r * STR, num = this.num, str = this.str;
    let m = 0;
    if (f.ts === null) m |= 1; else num[o] = f.ts;
    if (f.src_port === null) m |= 2; else num[o + 1] = f.src_port;
    if (f.dst_port === null) m |= 4; else num[o + 2] = f.dst_port;
    if (f.bytes === null) m |= 8; else num[o + 3] = f.bytes;
    if (f.packets === null) m |= 16; else num[o + 4] = f.packets;
    num[o + 5] = f.line;
    const a = typeof f.src_ip === 'string' ? canonicalV4(f.src_ip) : -1;
    if (a >= 0) { m |= 32; num[o + 6] = a; str[s + 3] = -1; } else str[s + 3] = this.id(3, f.src_ip);
    const b = typeof f.dst_ip === 'string' ? canonicalV4(f.dst_ip) : -1;
    if (b >= 0) { m |= 64; num[o + 7] = b; str[s + 4] = -1; } else str[s + 4] = this.id(4, f.dst_ip);
    this.mask[r] = m;
    str[s] = this.id(0, f.action);
    str[s + 1] = this.id(1, f.raw_action);
    str[s + 2] = this.id(2, f.transport);
    str[s + 5] = this.id(5, f.direction);
    str[s + 6] = this.id(6, f.device);
    str[s + 7] = this.id(7, f.rule);
    str[s + 8] = this.id(8, f.app);
    str[s + 9] = this.id(9, f.end_reason);
    str[s + 10] = this.id(10, f.host);
    str[s + 11] = this.id(11, f.url);
    str[s + 12] = this.id(12, f.format);
    str[s + 13] = this.id(13, f.file);
    str[s + 14] = this.id(14, matched);
    return this.n === this.rows;
  }

  take(): FlowBatch {
    const b: FlowBatch = { n: this.n, buf: this.buf, strings: this.strings };
    this.reset();
    return b;
  }
}

/**
 * Calls onFlow for every flow of a batch, rows [from, n), with the matched set the worker added (else null).
 * `line` is shifted by lineOffset.
 */
export function readFlowBatch(b: FlowBatch, lineOffset: number, onFlow: (f: Flow, matched: string | null) => void, from = 0): void {
  const rows = b.buf.byteLength / (NUM * 8 + STR * 4 + 1);
  const num = new Float64Array(b.buf, 0, rows * NUM);
  const str = new Int32Array(b.buf, rows * NUM * 8, rows * STR);
  const mask = new Uint8Array(b.buf, rows * (NUM * 8 + STR * 4), rows);
  const t = b.strings;
  const S = (i: number): string | null => (i < 0 ? null : t[i]!);
  for (let r = from; r < b.n; r++) {
    const o = r * NUM, s = r * STR, m = mask[r]!;
    onFlow({
      ts: m & 1 ? null : num[o]!,
      action: t[str[s]!] as Action,
      raw_action: S(str[s + 1]!),
      transport: S(str[s + 2]!),
      src_ip: m & 32 ? intToIpv4(num[o + 6]!) : S(str[s + 3]!),
      src_port: m & 2 ? null : num[o + 1]!,
      dst_ip: m & 64 ? intToIpv4(num[o + 7]!) : S(str[s + 4]!),
      dst_port: m & 4 ? null : num[o + 2]!,
      direction: S(str[s + 5]!) as Direction,
      device: S(str[s + 6]!),
      rule: S(str[s + 7]!),
      app: S(str[s + 8]!),
      bytes: m & 8 ? null : num[o + 3]!,
      packets: m & 16 ? null : num[o + 4]!,
      end_reason: S(str[s + 9]!),
      host: S(str[s + 10]!),
      url: S(str[s + 11]!),
      format: t[str[s + 12]!]!,
      file: t[str[s + 13]!]!,
      line: num[o + 5]! + lineOffset,
    }, S(str[s + 14]!));
  }
}

/** Text columns of a batch (ids into its string table). */
export const BATCH_TEXT = {
  action: 0, raw_action: 1, transport: 2, src_ip: 3, dst_ip: 4, direction: 5, device: 6, rule: 7, app: 8, end_reason: 9,
  host: 10, url: 11, format: 12, file: 13, matched: 14,
} as const;

/**
 * A batch read in place, column by column, without a Flow object per row (the store's writer: ingest on both cores).
 * Every accessor gives exactly the field readFlowBatch would put in the Flow of row `r`.
 */
export class FlowBatchView {
  readonly n: number;
  readonly strings: string[];
  /** The raw columns (row r: num[r * NUM + k], str[r * STR + BATCH_TEXT.x], mask[r]), for column-wise readers. */
  readonly num: Float64Array;
  readonly str: Int32Array;
  readonly mask: Uint8Array;
  constructor(b: FlowBatch) {
    const rows = b.buf.byteLength / (NUM * 8 + STR * 4 + 1);
    this.n = b.n;
    this.strings = b.strings;
    this.num = new Float64Array(b.buf, 0, rows * NUM);
    this.str = new Int32Array(b.buf, rows * NUM * 8, rows * STR);
    this.mask = new Uint8Array(b.buf, rows * (NUM * 8 + STR * 4), rows);
  }
  /** Id of a text column's value in `strings`, -1 for null. */
  textId(r: number, col: number): number { return this.str[r * STR + col]!; }
  text(r: number, col: number): string | null { const i = this.str[r * STR + col]!; return i < 0 ? null : this.strings[i]!; }
  ts(r: number): number | null { return this.mask[r]! & 1 ? null : this.num[r * NUM]!; }
  srcPort(r: number): number | null { return this.mask[r]! & 2 ? null : this.num[r * NUM + 1]!; }
  dstPort(r: number): number | null { return this.mask[r]! & 4 ? null : this.num[r * NUM + 2]!; }
  bytes(r: number): number | null { return this.mask[r]! & 8 ? null : this.num[r * NUM + 3]!; }
  packets(r: number): number | null { return this.mask[r]! & 16 ? null : this.num[r * NUM + 4]!; }
  /** Line number within the part the batch came from (add the lines before it). */
  line(r: number): number { return this.num[r * NUM + 5]!; }
  /** The source (dst: the destination) address as an integer when it is canonical dotted-quad IPv4, else -1 (then see `text`). */
  src4(r: number): number { return this.mask[r]! & 32 ? this.num[r * NUM + 6]! : -1; }
  dst4(r: number): number { return this.mask[r]! & 64 ? this.num[r * NUM + 7]! : -1; }
  /** The address text as readFlowBatch gives it. */
  srcIp(r: number): string | null { const a = this.src4(r); return a >= 0 ? intToIpv4(a) : this.text(r, 3); }
  dstIp(r: number): string | null { const a = this.dst4(r); return a >= 0 ? intToIpv4(a) : this.text(r, 4); }
}
