/**
 * Flow → UTF-8 bytes, written straight into a reused Buffer: the output of `fwaudit parse` (JSON Lines and CSV)
 * without a string per line, and without the main thread encoding text (the workers send these buffers,
 * transferred). The bytes are exactly UTF-8 of what the string encoders of serialize.ts give, and of
 * JSON.stringify / csvCell (test/sinks-bytes.test.ts: every golden fixture, hostile text, every number shape,
 * timestamps across days, column runs through phases of few and many values):
 * - a record is a template: the timestamp with its key (its date text made once a day, HH:MM:SS digit by digit,
 *   the milliseconds patched), runs of low-cardinality columns with the keys around them (action … "src_ip":,
 *   direction … rule, app … "bytes":, end_reason … "line":) copied from kept bytes with one native copy each (a
 *   byte loop costs ~1.6 ns a byte, a copy ~24 ns whatever its length up to a few hundred bytes), and the per-flow
 *   values written in between;
 * - the usual record (plain addresses, small integers, every run kept) is written in one pass with one
 *   reservation; anything else field by field (`general`): a string is copied byte by byte while it is printable
 *   ASCII without `"` or `\`, any other character sends it through `jsonString` (JSON.stringify's escaping) and
 *   Buffer's UTF-8 writer; integers up to 2^31 are written digit by digit, other numbers through `String`;
 * - a record JSON.stringify would write differently from the template (an undefined field) is written as
 *   JSON.stringify writes it.
 * Kept bytes are bounded (KEEP_VALUES per column, SEG_ENTRIES per run), so memory stays flat whatever the input.
 */
import type { Flow } from '../model/flow.js';
import { COMMUNITY_ID_JSON_BYTES, COMMUNITY_ID_TEXT_BYTES, communityIdJsonInto, communityIdTextInto } from './community-id.js';
import { isoUtc } from '../model/time.js';
import { csvCell } from '../reports/escape.js';
import { jsonString, nativeRecord } from './serialize.js';

/** A growable byte buffer of whole output lines. */
export class LineBuffer {
  buf: Buffer;
  pos = 0;
  constructor(private readonly size: number, buf?: Buffer) {
    this.buf = buf && buf.length >= size ? buf : allocOwn(size);
  }
  /** Room for `n` more bytes (the buffer grows, keeping what is written: a line is never cut). */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) {
      const b = allocOwn(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(b, 0, 0, this.pos);
      this.buf = b;
    }
  }
  /** UTF-8 of any string. */
  writeString(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  /** The bytes written, in a Buffer that owns its whole ArrayBuffer (transferable); a new buffer (or `next`) continues. */
  take(next?: Buffer): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = next && next.length >= this.size ? next : allocOwn(this.size);
    this.pos = 0;
    return out;
  }
}

/** A Buffer alone on its ArrayBuffer (never a slice of Node's shared pool), so that it can be transferred. */
export function allocOwn(n: number): Buffer {
  const b = Buffer.allocUnsafe(Math.max(n, 8192));
  return b.byteOffset === 0 && b.buffer.byteLength === b.length ? b : Buffer.from(new ArrayBuffer(b.length));
}

/** Marks a record that JSON.stringify would write differently from the template (an undefined field). */
class Irregular extends Error {}
const IRREGULAR = new Irregular();

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const NULL = ascii('null');
const NOTHING = new Uint8Array(0);

/** `"s"` as JSON.stringify writes it, UTF-8. */
function putString(lb: LineBuffer, s: string): void {
  const n = s.length;
  lb.reserve(n * 6 + 2); // JSON escaping: at most 6 bytes per UTF-16 unit (\u001f, a lone surrogate)
  const b = lb.buf;
  let p = lb.pos;
  b[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92 || c > 0x7e) {
      lb.pos += b.write(jsonString(s), lb.pos, 'utf8');
      return;
    }
    b[p++] = c;
  }
  b[p++] = 34;
  lb.pos = p;
}

function putBytes(lb: LineBuffer, a: Uint8Array): void {
  lb.reserve(a.length);
  lb.pos = copyIn(lb.buf, lb.pos, a);
}

/** A number as JSON.stringify writes it (String(v); null when not finite). */
function putNumber(lb: LineBuffer, v: number): void {
  if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) { // (-0 too: String(-0) is "0")
    lb.reserve(10);
    const b = lb.buf;
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    let p = lb.pos + digits;
    lb.pos = p;
    let t = v;
    do { b[--p] = 48 + (t % 10); t = (t / 10) | 0; } while (t > 0);
    return;
  }
  if (!Number.isFinite(v)) { putBytes(lb, NULL); return; }
  lb.writeString(String(v));
}

/** Any field value as JSON.stringify writes it inside an object. */
function putValue(lb: LineBuffer, v: unknown): void {
  if (typeof v === 'string') putString(lb, v);
  else if (typeof v === 'number') putNumber(lb, v);
  else if (v === null) putBytes(lb, NULL);
  else {
    if (v === undefined) throw IRREGULAR; // the key would be left out: the record takes the slow path
    const t = JSON.stringify(v);
    if (t === undefined) throw IRREGULAR;
    lb.writeString(t);
  }
}

/** The usual shapes first (a string, a number), then anything. */
function putStringOr(lb: LineBuffer, v: unknown): void {
  if (typeof v === 'string') putString(lb, v); else if (v === null) putBytes(lb, NULL); else putValue(lb, v);
}
function putNumberOr(lb: LineBuffer, v: unknown): void {
  if (typeof v === 'number') putNumber(lb, v); else if (v === null) putBytes(lb, NULL); else putValue(lb, v);
}

function putJsonValue(lb: LineBuffer, v: unknown): void {
  if (typeof v === 'string') putString(lb, v); else putValue(lb, v);
}

/** Longest key + value whose bytes a column keeps. */
const KEEP_MAX = 96;
/** Values whose bytes a column keeps (the first ones seen; any further value is written each time). */
const KEEP_VALUES = 64;

/**
 * A key and its value, the bytes of its values kept: a low-cardinality column (action, transport, device,
 * rule, format, file, …) costs one lookup and one copy per record. Strings and null are kept, by value; the
 * first KEEP_VALUES values of a column only, each of at most KEEP_MAX bytes, so memory stays bounded
 * whatever the input.
 */
class KeyedLast {
  private last: unknown = undefined;
  private lastBytes: Uint8Array | null = null;
  private readonly kept = new Map<string | null, Uint8Array>();
  /**
   * `suffix`: constant bytes written after the value (the next key), kept with it; `value`: how a value is written
   * (JSON by default, a CSV cell for the CSV rows).
   */
  constructor(private readonly key: Uint8Array, private readonly suffix: Uint8Array = NOTHING, private readonly value: (lb: LineBuffer, v: unknown) => void = putJsonValue) {}
  /** The kept bytes of `v` (key, value, suffix), or null. */
  find(v: unknown): Uint8Array | null {
    if (v === this.last && this.lastBytes !== null) return this.lastBytes;
    if (typeof v !== 'string' && v !== null) return null;
    const k = this.kept.get(v);
    if (k === undefined) return null;
    this.last = v; this.lastBytes = k;
    return k;
  }
  put(lb: LineBuffer, v: unknown): void {
    let k: Uint8Array | undefined;
    if (v === this.last && this.lastBytes !== null) k = this.lastBytes;
    else if (typeof v === 'string' || v === null) k = this.kept.get(v);
    if (k !== undefined) {
      lb.reserve(k.length);
      lb.pos = copyIn(lb.buf, lb.pos, k);
      this.last = v; this.lastBytes = k;
      return;
    }
    const start = lb.pos;
    putBytes(lb, this.key);
    this.value(lb, v);
    if (this.suffix.length) putBytes(lb, this.suffix);
    const n = lb.pos - start;
    if ((typeof v === 'string' || v === null) && n <= KEEP_MAX + this.suffix.length && this.kept.size < KEEP_VALUES) {
      const bytes = Uint8Array.prototype.slice.call(lb.buf, start, lb.pos);
      this.kept.set(v, bytes);
      this.last = v; this.lastBytes = bytes;
    }
  }
}

/** Bytes above which a copy is one native `set` rather than a loop (measured: a loop wins up to ~12 bytes). */
const COPY_LOOP_MAX = 12;

/** Appends bytes that fit (the caller reserved room). */
function copyIn(b: Buffer, p: number, a: Uint8Array): number {
  const n = a.length;
  if (n > COPY_LOOP_MAX) b.set(a, p);
  else for (let i = 0; i < n; i++) b[p + i] = a[i]!;
  return p + n;
}

/** Entries a segment keeps. */
const SEG_ENTRIES = 16;
/** Longest bytes of a segment entry. */
const SEG_MAX = 512;
/** A segment checks its hit rate every SEG_WINDOW lookups; with more than a quarter of misses it rests for SEG_REST records. */
const SEG_WINDOW = 512;
const SEG_REST = 16384;

/**
 * A run of consecutive low-cardinality columns (up to 4) written as one copy of the bytes of their keys and values,
 * plus the constant text that follows (the next key): `,"action":"deny","raw_action":"DROP","transport":"tcp","src_ip":`.
 * Entries are compared by value (`===`), the last hit first; only strings and null are kept (a number, an object or
 * undefined is written column by column, each time). At most SEG_ENTRIES entries of SEG_MAX bytes, replaced in
 * turn; a segment whose values vary too much to hit (PAN-OS rule × app) rests, and its columns are written by their
 * KeyedLast, as when the segment misses.
 */
class Segment {
  private readonly v0: unknown[] = [];
  private readonly v1: unknown[] = [];
  private readonly v2: unknown[] = [];
  private readonly v3: unknown[] = [];
  private readonly bytes: Uint8Array[] = [];
  private last = -1;
  private next = 0;
  private lookups = 0;
  private misses = 0;
  private rest = 0;
  constructor(private readonly cols: KeyedLast[], private readonly tail: Uint8Array) {}

  /** The bytes of these values when kept (null: not kept, or resting); counts towards the hit rate. */
  find(a: unknown, b: unknown, c: unknown, d: unknown): Uint8Array | null {
    if (this.rest > 0) { this.rest--; return null; }
    let k = this.last;
    if (k < 0 || this.v0[k] !== a || this.v1[k] !== b || this.v2[k] !== c || this.v3[k] !== d) {
      k = -1;
      const n = this.bytes.length;
      for (let i = 0; i < n; i++) {
        if (this.v0[i] === a && this.v1[i] === b && this.v2[i] === c && this.v3[i] === d) { k = i; break; }
      }
    }
    if (++this.lookups === SEG_WINDOW) {
      if (this.misses > SEG_WINDOW / 4) this.rest = SEG_REST;
      this.lookups = 0; this.misses = 0;
    }
    if (k < 0) { this.misses++; return null; }
    this.last = k;
    return this.bytes[k]!;
  }

  put(lb: LineBuffer, a: unknown, b: unknown, c: unknown, d: unknown): void {
    if (this.rest > 0) { this.rest--; this.fields(lb, a, b, c, d); return; }
    let k = this.last;
    if (k < 0 || this.v0[k] !== a || this.v1[k] !== b || this.v2[k] !== c || this.v3[k] !== d) {
      k = -1;
      const n = this.bytes.length;
      for (let i = 0; i < n; i++) {
        if (this.v0[i] === a && this.v1[i] === b && this.v2[i] === c && this.v3[i] === d) { k = i; break; }
      }
    }
    if (++this.lookups === SEG_WINDOW) {
      if (this.misses > SEG_WINDOW / 4) this.rest = SEG_REST;
      this.lookups = 0; this.misses = 0;
    }
    if (k >= 0) {
      const bytes = this.bytes[k]!;
      this.last = k;
      lb.reserve(bytes.length);
      lb.pos = copyIn(lb.buf, lb.pos, bytes);
      return;
    }
    this.misses++;
    const start = lb.pos;
    this.fields(lb, a, b, c, d);
    const len = lb.pos - start;
    if (len <= SEG_MAX && keepable(a) && keepable(b) && keepable(c) && keepable(d)) {
      const i = this.bytes.length < SEG_ENTRIES ? this.bytes.length : this.next;
      this.next = (i + 1) % SEG_ENTRIES;
      this.v0[i] = a; this.v1[i] = b; this.v2[i] = c; this.v3[i] = d;
      this.bytes[i] = Uint8Array.prototype.slice.call(lb.buf, start, lb.pos);
      this.last = i;
    }
  }

  private fields(lb: LineBuffer, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const cols = this.cols, n = cols.length;
    cols[0]!.put(lb, a);
    if (n > 1) cols[1]!.put(lb, b);
    if (n > 2) cols[2]!.put(lb, c);
    if (n > 3) cols[3]!.put(lb, d);
    putBytes(lb, this.tail);
  }
}

const keepable = (v: unknown): boolean => typeof v === 'string' || v === null;

/** An integer JSON.stringify writes as its digits and that `putUint` takes (-0 included: "0"). */
const smallUint = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 0x7fffffff && (v | 0) === v;

/**
 * Whether a flow can take the one-pass writers (JSON Lines' and CSV's `usual`): a timestamp of a four-digit year,
 * address texts of at most 64 characters, ports, counters and line as small integers or null, no host or url.
 */
function usualShape(f: Flow): boolean {
  const ms = f.ts, src = f.src_ip, dst = f.dst_ip, sp = f.src_port, dp = f.dst_port, nb = f.bytes, np = f.packets;
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_4DIGIT_MS) || ms % 1 !== 0) return false;
  if (typeof src !== 'string' || typeof dst !== 'string' || src.length > 64 || dst.length > 64) return false;
  if (!smallUint(f.line) || !(sp === null || smallUint(sp)) || !(dp === null || smallUint(dp)) || !(nb === null || smallUint(nb)) || !(np === null || smallUint(np))) return false;
  return f.host === null && f.url === null;
}

/** The digits of `v` (smallUint) at `p`; returns the end. */
function putUint(b: Buffer, p: number, v: number): number {
  let digits = 1;
  for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
  const end = p + digits;
  let q = end, t = v;
  do { b[--q] = 48 + (t % 10); t = (t / 10) | 0; } while (t > 0);
  return end;
}

/** `"s"` at `p` when no character of `s` needs a JSON escape or more than one UTF-8 byte: the end; else -1. */
function putPlain(b: Buffer, p: number, s: string): number {
  const n = s.length;
  b[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92 || c > 0x7e) return -1;
    b[p++] = c;
  }
  b[p++] = 34;
  return p;
}

/**
 * The ISO-8601 UTC text of epoch milliseconds (as `Date.prototype.toISOString`, 4-digit years), between a prefix
 * and a suffix, as bytes: the date text made once a day, HH:MM:SS digit by digit when the second changes (epoch
 * time has no leap seconds), the milliseconds patched.
 */
class TsBytes {
  private day = Number.NaN;
  private sec = Number.NaN;
  private ms = Number.NaN;
  /** prefix + `YYYY-MM-DDTHH:MM:SS.mmmZ` + suffix of the millisecond `ms`. */
  private readonly text: Uint8Array;
  private readonly o: number;
  constructor(prefix: Uint8Array, suffix: Uint8Array) {
    this.o = prefix.length;
    this.text = new Uint8Array(prefix.length + 24 + suffix.length);
    this.text.set(prefix, 0);
    this.text.set(suffix, this.o + 24);
  }
  /** The text of `ms`, an integer in [0, MAX_4DIGIT_MS] (the array is reused: copy it before the next call). */
  at(ms: number): Uint8Array {
    const t = this.text;
    if (ms !== this.ms) {
      const o = this.o;
      const rem = ms % 1000;
      const sec = ms - rem;
      if (sec !== this.sec) {
        this.sec = sec;
        const day = sec - (sec % 86400000);
        if (day !== this.day) {
          this.day = day;
          t.set(ascii(new Date(day).toISOString().slice(0, 11)), o); // YYYY-MM-DDT
          t[o + 13] = 58; t[o + 16] = 58; t[o + 19] = 46; t[o + 23] = 90; // : : . Z
        }
        const s = (sec - day) / 1000;
        const h = (s / 3600) | 0, m = ((s % 3600) / 60) | 0, x = s % 60;
        t[o + 11] = 48 + ((h / 10) | 0); t[o + 12] = 48 + (h % 10);
        t[o + 14] = 48 + ((m / 10) | 0); t[o + 15] = 48 + (m % 10);
        t[o + 17] = 48 + ((x / 10) | 0); t[o + 18] = 48 + (x % 10);
      }
      this.ms = ms;
      t[o + 20] = 48 + ((rem / 100) | 0);
      t[o + 21] = 48 + (((rem / 10) | 0) % 10);
      t[o + 22] = 48 + (rem % 10);
    }
    return t;
  }
}

const MAX_4DIGIT_MS = 253402300799999;
const K_TS = ascii('{"ts":');
const K_SRC_PORT = ascii(',"src_port":');
const K_DST_IP = ascii(',"dst_ip":');
const K_DST_PORT = ascii(',"dst_port":');
const K_PACKETS = ascii(',"packets":');
const K_HOST = ascii(',"host":');
const K_URL = ascii(',"url":');
const K_CID = ascii(',"community_id":');
const BYTES_PACKETS_NULL = ascii('null,"packets":null');
const END = ascii('}\n');

/**
 * The native JSON Lines record (flow columns + community_id) and its newline, as UTF-8 bytes: a template of
 * segments (the timestamp, three runs of low-cardinality columns with the keys between them) copied from cached
 * bytes, and the per-flow values (addresses, ports, counters, line, community id) written in between.
 */
export class NativeJsonBytes {
  /** `{"ts":"YYYY-MM-DDTHH:MM:SS.mmmZ"`. */
  private readonly ts = new TsBytes(ascii('{"ts":"'), ascii('"'));
  /** action, raw_action, transport, and the key of src_ip. */
  private readonly head = new Segment([new KeyedLast(ascii(',"action":')), new KeyedLast(ascii(',"raw_action":')), new KeyedLast(ascii(',"transport":'))], ascii(',"src_ip":'));
  /** direction, device, rule (app apart: rule × app has ~100 combinations in a PAN-OS traffic log). */
  private readonly mid = new Segment([new KeyedLast(ascii(',"direction":')), new KeyedLast(ascii(',"device":')), new KeyedLast(ascii(',"rule":'))], NOTHING);
  /** app and the key of bytes. */
  private readonly app = new KeyedLast(ascii(',"app":'), ascii(',"bytes":'));
  /** end_reason, `"host":null,"url":null`, format, file, and the key of line (a flow without host and url). */
  private readonly tailNoUrl = new Segment([new KeyedLast(ascii(',"end_reason":')), new KeyedLast(ascii(',"host":null,"url":null,"format":')), new KeyedLast(ascii(',"file":'))], ascii(',"line":'));
  /** end_reason (a flow with a host or url). */
  private readonly endReason = new KeyedLast(ascii(',"end_reason":'));
  /** format, file, and the key of line (a flow with a host or url). */
  private readonly tailUrl = new Segment([new KeyedLast(ascii(',"format":')), new KeyedLast(ascii(',"file":'))], ascii(',"line":'));

  private putTs(lb: LineBuffer, ms: number | null): void {
    if (ms === null || !Number.isInteger(ms) || ms < 0 || ms > MAX_4DIGIT_MS) {
      putBytes(lb, K_TS);
      if (ms === null || !Number.isFinite(ms)) putBytes(lb, NULL);
      else putString(lb, new Date(ms).toISOString());
      return;
    }
    const t = this.ts.at(ms);
    lb.reserve(t.length);
    lb.buf.set(t, lb.pos);
    lb.pos += t.length;
  }

  /** Appends the record and its newline to `lb`. */
  encode(f: Flow, lb: LineBuffer): void {
    if (!this.usual(f, lb)) this.general(f, lb);
  }

  /**
   * The usual record, written in one pass with one reservation: a timestamp, plain addresses (no character JSON
   * escapes, at most 64), ports, counters and line as small integers or null, no host or url, and every run of
   * columns kept. True when written; false, nothing written, for `general`.
   */
  private usual(f: Flow, lb: LineBuffer): boolean {
    if (!usualShape(f)) return false;
    const ms = f.ts!, src = f.src_ip!, dst = f.dst_ip!, sp = f.src_port, dp = f.dst_port, nb = f.bytes, np = f.packets, line = f.line;
    const h = this.head.find(f.action, f.raw_action, f.transport, null);
    if (h === null) return false;
    const m = this.mid.find(f.direction, f.device, f.rule, null);
    if (m === null) return false;
    const a = this.app.find(f.app);
    if (a === null) return false;
    const t = this.tailNoUrl.find(f.end_reason, f.format, f.file, null);
    if (t === null) return false;
    // the segments, plus at most: ts 32, addresses 2 × 66, 5 numbers of 10 digits, keys and nulls ~110, id 32 + 2
    lb.reserve(h.length + m.length + a.length + t.length + 512);
    const b = lb.buf;
    let p = lb.pos;
    const tt = this.ts.at(ms);
    b.set(tt, p); p += tt.length;
    b.set(h, p); p += h.length;
    p = putPlain(b, p, src);
    if (p < 0) return false;
    p = copyIn(b, p, K_SRC_PORT);
    p = sp === null ? copyIn(b, p, NULL) : putUint(b, p, sp);
    p = copyIn(b, p, K_DST_IP);
    p = putPlain(b, p, dst);
    if (p < 0) return false;
    p = copyIn(b, p, K_DST_PORT);
    p = dp === null ? copyIn(b, p, NULL) : putUint(b, p, dp);
    b.set(m, p); p += m.length;
    b.set(a, p); p += a.length;
    if (nb === null && np === null) p = copyIn(b, p, BYTES_PACKETS_NULL);
    else {
      p = nb === null ? copyIn(b, p, NULL) : putUint(b, p, nb);
      p = copyIn(b, p, K_PACKETS);
      p = np === null ? copyIn(b, p, NULL) : putUint(b, p, np);
    }
    b.set(t, p); p += t.length;
    p = putUint(b, p, line);
    p = copyIn(b, p, K_CID);
    if (communityIdJsonInto(b, p, f.transport, src, dst, sp, dp)) p += COMMUNITY_ID_JSON_BYTES;
    else p = copyIn(b, p, NULL);
    b[p++] = 125; // }
    b[p++] = 10;
    lb.pos = p;
    return true;
  }

  /** Any record, field by field. */
  private general(f: Flow, lb: LineBuffer): void {
    const start = lb.pos;
    try {
      this.putTs(lb, f.ts);
      this.head.put(lb, f.action, f.raw_action, f.transport, null);
      putStringOr(lb, f.src_ip);
      putBytes(lb, K_SRC_PORT); putNumberOr(lb, f.src_port);
      putBytes(lb, K_DST_IP); putStringOr(lb, f.dst_ip);
      putBytes(lb, K_DST_PORT); putNumberOr(lb, f.dst_port);
      this.mid.put(lb, f.direction, f.device, f.rule, null);
      this.app.put(lb, f.app);
      const bytes = f.bytes, packets = f.packets;
      if (bytes === null && packets === null) putBytes(lb, BYTES_PACKETS_NULL);
      else { putNumberOr(lb, bytes); putBytes(lb, K_PACKETS); putNumberOr(lb, packets); }
      if (f.host === null && f.url === null) this.tailNoUrl.put(lb, f.end_reason, f.format, f.file, null);
      else {
        this.endReason.put(lb, f.end_reason);
        putBytes(lb, K_HOST); putStringOr(lb, f.host);
        putBytes(lb, K_URL); putStringOr(lb, f.url);
        this.tailUrl.put(lb, f.format, f.file, null, null);
      }
      putNumberOr(lb, f.line);
      putBytes(lb, K_CID);
      lb.reserve(COMMUNITY_ID_JSON_BYTES + 2);
      if (communityIdJsonInto(lb.buf, lb.pos, f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port)) lb.pos += COMMUNITY_ID_JSON_BYTES;
      else putBytes(lb, NULL);
      lb.buf[lb.pos++] = 125; // }
      lb.buf[lb.pos++] = 10;
    } catch (e) {
      if (e !== IRREGULAR) throw e;
      lb.pos = start;
      lb.writeString(JSON.stringify(nativeRecord(f)) + '\n');
    }
  }
}

// ---- CSV ----------------------------------------------------------------------------------------------------

/**
 * One CSV cell as the string encoder writes it (serialize.ts `csvValue`): nothing for null and undefined, a number
 * as `String`, anything else through `csvCell` (RFC 4180 quoting, formula neutralisation); a string that needs
 * neither (printable ASCII without `"` or `,`, not starting with `=`, `+`, `-` or `@`) is copied as it is.
 */
function putCsvCell(lb: LineBuffer, v: unknown): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'number') {
    if (smallUint(v)) { lb.reserve(10); lb.pos = putUint(lb.buf, lb.pos, v); } else lb.writeString(String(v));
    return;
  }
  if (typeof v === 'string') {
    const n = v.length;
    if (n === 0) return;
    const c0 = v.charCodeAt(0);
    if (c0 !== 61 && c0 !== 43 && c0 !== 45 && c0 !== 64) {
      lb.reserve(n);
      const p = putCsvPlain(lb.buf, lb.pos, v);
      if (p >= 0) { lb.pos = p; return; }
    }
  }
  lb.writeString(csvCell(v));
}

/** `s` at `p` when it is a CSV cell as it is (printable ASCII without `"` or `,`; the caller checked its first character): the end; else -1. */
function putCsvPlain(b: Buffer, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 44 || c > 0x7e) return -1;
    b[p++] = c;
  }
  return p;
}

/** An address as a CSV cell at `p` when it needs no quoting nor neutralising: the end; else -1. */
function putCsvAddress(b: Buffer, p: number, s: string): number {
  if (s.length === 0) return p;
  const c0 = s.charCodeAt(0);
  if (c0 === 61 || c0 === 43 || c0 === 45 || c0 === 64) return -1;
  return putCsvPlain(b, p, s);
}

const COMMA = ascii(',');
const csvColumn = (prefix: string, suffix: Uint8Array = NOTHING): KeyedLast => new KeyedLast(ascii(prefix), suffix, putCsvCell);

/**
 * One CSV row of the native columns and its newline (what `NativeCsvEncoder` gives, UTF-8), the way
 * `NativeJsonBytes` writes JSON Lines: the timestamp's text cached, runs of low-cardinality columns copied from kept
 * bytes, the usual row written in one pass.
 */
export class NativeCsvBytes {
  private readonly ts = new TsBytes(NOTHING, NOTHING);
  /** `,action,raw_action,transport,` */
  private readonly head = new Segment([csvColumn(','), csvColumn(','), csvColumn(',')], COMMA);
  /** `,direction,device,rule` */
  private readonly mid = new Segment([csvColumn(','), csvColumn(','), csvColumn(',')], NOTHING);
  /** `,app,` */
  private readonly app = csvColumn(',', COMMA);
  /** `,end_reason,,,format,file,` (no host nor url) */
  private readonly tailNoUrl = new Segment([csvColumn(','), csvColumn(',,,'), csvColumn(',')], COMMA);
  private readonly endReason = csvColumn(',');
  /** `,format,file,` */
  private readonly tailUrl = new Segment([csvColumn(','), csvColumn(',')], COMMA);

  encode(f: Flow, lb: LineBuffer): void {
    if (!this.usual(f, lb)) this.general(f, lb);
  }

  /** As NativeJsonBytes.usual: true when written; false, nothing written, for `general`. */
  private usual(f: Flow, lb: LineBuffer): boolean {
    if (!usualShape(f)) return false;
    const ms = f.ts!, src = f.src_ip!, dst = f.dst_ip!, sp = f.src_port, dp = f.dst_port, nb = f.bytes, np = f.packets, line = f.line;
    const h = this.head.find(f.action, f.raw_action, f.transport, null);
    if (h === null) return false;
    const m = this.mid.find(f.direction, f.device, f.rule, null);
    if (m === null) return false;
    const a = this.app.find(f.app);
    if (a === null) return false;
    const t = this.tailNoUrl.find(f.end_reason, f.format, f.file, null);
    if (t === null) return false;
    // the segments, plus at most: ts 24, addresses 2 × 64, 5 numbers of 10 digits, commas, id 30, newline
    lb.reserve(h.length + m.length + a.length + t.length + 512);
    const b = lb.buf;
    let p = lb.pos;
    const tt = this.ts.at(ms);
    b.set(tt, p); p += tt.length;
    b.set(h, p); p += h.length;
    p = putCsvAddress(b, p, src);
    if (p < 0) return false;
    b[p++] = 44;
    if (sp !== null) p = putUint(b, p, sp);
    b[p++] = 44;
    p = putCsvAddress(b, p, dst);
    if (p < 0) return false;
    b[p++] = 44;
    if (dp !== null) p = putUint(b, p, dp);
    b.set(m, p); p += m.length;
    b.set(a, p); p += a.length;
    if (nb !== null) p = putUint(b, p, nb);
    b[p++] = 44;
    if (np !== null) p = putUint(b, p, np);
    b.set(t, p); p += t.length;
    p = putUint(b, p, line);
    b[p++] = 44;
    if (communityIdTextInto(b, p, f.transport, src, dst, sp, dp)) p += COMMUNITY_ID_TEXT_BYTES;
    b[p++] = 10;
    lb.pos = p;
    return true;
  }

  /** Any row, cell by cell. */
  private general(f: Flow, lb: LineBuffer): void {
    const ms = f.ts;
    if (typeof ms === 'number' && ms >= 0 && ms <= MAX_4DIGIT_MS && Number.isInteger(ms)) putBytes(lb, this.ts.at(ms));
    else { const t = isoUtc(ms); if (t !== null) lb.writeString(csvCell(t)); }
    this.head.put(lb, f.action, f.raw_action, f.transport, null);
    putCsvCell(lb, f.src_ip); putBytes(lb, COMMA);
    putCsvCell(lb, f.src_port); putBytes(lb, COMMA);
    putCsvCell(lb, f.dst_ip); putBytes(lb, COMMA);
    putCsvCell(lb, f.dst_port);
    this.mid.put(lb, f.direction, f.device, f.rule, null);
    this.app.put(lb, f.app);
    putCsvCell(lb, f.bytes); putBytes(lb, COMMA);
    putCsvCell(lb, f.packets);
    if (f.host === null && f.url === null) this.tailNoUrl.put(lb, f.end_reason, f.format, f.file, null);
    else {
      this.endReason.put(lb, f.end_reason);
      putBytes(lb, COMMA); putCsvCell(lb, f.host);
      putBytes(lb, COMMA); putCsvCell(lb, f.url);
      this.tailUrl.put(lb, f.format, f.file, null, null);
    }
    putCsvCell(lb, f.line);
    putBytes(lb, COMMA);
    lb.reserve(COMMUNITY_ID_TEXT_BYTES + 1);
    if (communityIdTextInto(lb.buf, lb.pos, f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port)) lb.pos += COMMUNITY_ID_TEXT_BYTES;
    lb.buf[lb.pos++] = 10;
  }
}
