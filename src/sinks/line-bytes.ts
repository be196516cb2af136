/**
 * Flow → UTF-8 bytes, written straight into a reused Buffer: the output of `fwaudit parse` without a string
 * per line, and without the main thread encoding text (the workers send these buffers, transferred).
 * The bytes are exactly UTF-8 of what the string encoders of serialize.ts give (test/sinks-bytes.test.ts:
 * every golden fixture, hostile text, every number shape):
 * - a string is copied byte by byte while it is printable ASCII without `"` or `\`; any other character
 *   sends the whole string through `jsonString` (JSON.stringify's escaping) and Buffer's UTF-8 writer;
 * - the low-cardinality columns (action, transport, device, rule, format, file, …) keep the bytes of their
 *   last key and value, so a run of flows from one file or device encodes them once;
 * - the timestamp keeps the bytes of its second (`"2026-03-10T09:00:05.`), the milliseconds are patched;
 * - integers up to 2^31 are written digit by digit, other numbers through `String`;
 * - a record JSON.stringify would write differently from the template (an undefined field) is written as
 *   JSON.stringify writes it.
 */
import type { Flow } from '../model/flow.js';
import { COMMUNITY_ID_JSON_BYTES, communityIdJsonInto } from './community-id.js';
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
  const n = a.length;
  lb.reserve(n);
  const b = lb.buf;
  let p = lb.pos;
  for (let i = 0; i < n; i++) b[p++] = a[i]!;
  lb.pos = p;
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
  constructor(private readonly key: Uint8Array) {}
  put(lb: LineBuffer, v: unknown): void {
    let k: Uint8Array | undefined;
    if (v === this.last && this.lastBytes !== null) k = this.lastBytes;
    else if (typeof v === 'string' || v === null) k = this.kept.get(v);
    if (k !== undefined) {
      const n = k.length;
      lb.reserve(n);
      const b = lb.buf;
      let p = lb.pos;
      for (let i = 0; i < n; i++) b[p++] = k[i]!;
      lb.pos = p;
      this.last = v; this.lastBytes = k;
      return;
    }
    const start = lb.pos;
    putBytes(lb, this.key);
    if (typeof v === 'string') putString(lb, v); else putValue(lb, v);
    const n = lb.pos - start;
    if ((typeof v === 'string' || v === null) && n <= KEEP_MAX && this.kept.size < KEEP_VALUES) {
      const bytes = Uint8Array.prototype.slice.call(lb.buf, start, lb.pos);
      this.kept.set(v, bytes);
      this.last = v; this.lastBytes = bytes;
    }
  }
}

const MAX_4DIGIT_MS = 253402300799999;
const K_TS = ascii('{"ts":');
const K_SRC_IP = ascii(',"src_ip":');
const K_SRC_PORT = ascii(',"src_port":');
const K_DST_IP = ascii(',"dst_ip":');
const K_DST_PORT = ascii(',"dst_port":');
const K_BYTES = ascii(',"bytes":');
const K_PACKETS = ascii(',"packets":');
const K_HOST = ascii(',"host":');
const K_URL = ascii(',"url":');
const K_LINE = ascii(',"line":');
const K_CID = ascii(',"community_id":');
const END = ascii('}\n');

/** The native JSON Lines record (flow columns + community_id) and its newline, as UTF-8 bytes. */
export class NativeJsonBytes {
  private sec = Number.NaN;
  /** `"YYYY-MM-DDTHH:MM:SS.` of the second `sec`. */
  private readonly secText = new Uint8Array(21);
  private readonly action = new KeyedLast(ascii(',"action":'));
  private readonly rawAction = new KeyedLast(ascii(',"raw_action":'));
  private readonly transport = new KeyedLast(ascii(',"transport":'));
  private readonly direction = new KeyedLast(ascii(',"direction":'));
  private readonly device = new KeyedLast(ascii(',"device":'));
  private readonly rule = new KeyedLast(ascii(',"rule":'));
  private readonly app = new KeyedLast(ascii(',"app":'));
  private readonly endReason = new KeyedLast(ascii(',"end_reason":'));
  private readonly format = new KeyedLast(ascii(',"format":'));
  private readonly file = new KeyedLast(ascii(',"file":'));

  private putTs(lb: LineBuffer, ms: number | null): void {
    if (ms === null || !Number.isInteger(ms) || ms < 0 || ms > MAX_4DIGIT_MS) {
      if (ms === null || !Number.isFinite(ms)) putBytes(lb, NULL);
      else putString(lb, new Date(ms).toISOString());
      return;
    }
    const rem = ms % 1000;
    const sec = ms - rem;
    if (sec !== this.sec) {
      this.sec = sec;
      this.secText[0] = 34;
      this.secText.set(ascii(new Date(sec).toISOString().slice(0, 20)), 1);
    }
    lb.reserve(26);
    const b = lb.buf;
    let p = lb.pos;
    const st = this.secText;
    for (let i = 0; i < 21; i++) b[p++] = st[i]!;
    b[p++] = 48 + ((rem / 100) | 0);
    b[p++] = 48 + (((rem / 10) | 0) % 10);
    b[p++] = 48 + (rem % 10);
    b[p++] = 90; // Z
    b[p++] = 34;
    lb.pos = p;
  }

  /** Appends the record and its newline to `lb`. */
  encode(f: Flow, lb: LineBuffer): void {
    const start = lb.pos;
    try {
      putBytes(lb, K_TS);
      this.putTs(lb, f.ts);
      this.action.put(lb, f.action);
      this.rawAction.put(lb, f.raw_action);
      this.transport.put(lb, f.transport);
      putBytes(lb, K_SRC_IP); putStringOr(lb, f.src_ip);
      putBytes(lb, K_SRC_PORT); putNumberOr(lb, f.src_port);
      putBytes(lb, K_DST_IP); putStringOr(lb, f.dst_ip);
      putBytes(lb, K_DST_PORT); putNumberOr(lb, f.dst_port);
      this.direction.put(lb, f.direction);
      this.device.put(lb, f.device);
      this.rule.put(lb, f.rule);
      this.app.put(lb, f.app);
      putBytes(lb, K_BYTES); putNumberOr(lb, f.bytes);
      putBytes(lb, K_PACKETS); putNumberOr(lb, f.packets);
      this.endReason.put(lb, f.end_reason);
      putBytes(lb, K_HOST); putStringOr(lb, f.host);
      putBytes(lb, K_URL); putStringOr(lb, f.url);
      this.format.put(lb, f.format);
      this.file.put(lb, f.file);
      putBytes(lb, K_LINE); putNumberOr(lb, f.line);
      putBytes(lb, K_CID);
      lb.reserve(COMMUNITY_ID_JSON_BYTES);
      if (communityIdJsonInto(lb.buf, lb.pos, f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port)) lb.pos += COMMUNITY_ID_JSON_BYTES;
      else putBytes(lb, NULL);
      putBytes(lb, END);
    } catch (e) {
      if (e !== IRREGULAR) throw e;
      lb.pos = start;
      lb.writeString(JSON.stringify(nativeRecord(f)) + '\n');
    }
  }
}
