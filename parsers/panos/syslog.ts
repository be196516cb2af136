/**
 * PAN-OS syslog CSV (`panos-syslog`): the CSV body behind any envelope (BSD with/without PRI or
 * hostname, IETF with one or two spaces, RFC 6587 octet counting incl. several frames on one line,
 * relay double headers, no header, Wazuh test-file wrapping; parsers/syslog/envelope.ts). The CSV body
 * is where the shared syslog header (parsers/syslog/header.ts) says the message starts, when
 * `[FU,]date,serial,TYPE` starts there; for headers the module reads otherwise (`<pri>stamp 1,…` with
 * no host: the CSV is read as the host) the body is located by the `type` value (TRAFFIC, THREAT,
 * SYSTEM …) after the first commas, else by a linear scan. Then the layout is decided from the line:
 *
 * - standard (PAN-OS 4.x–11.x): leading FUTURE_USE (`1`), receive_time, serial, type … protocol at 29,
 *   action at 30;
 * - no leading FUTURE_USE (some relays): the same columns shifted by one;
 * - Prisma Access / Strata Logging Service / Cortex Data Lake forwarded layout: no leading `1,`, no
 *   "Time Logged" column (21) and no flags column (28): protocol at 27 and action at 28 in standard
 *   numbering, counters shifted by three; device_name is not read (the serial is the device).
 *
 * A TRAFFIC or THREAT line whose protocol column does not hold a protocol or whose action column does
 * not hold an action in any of these layouts is malformed — never a flow read from shifted columns.
 *
 * Hot path, on the line's UTF-8 bytes (`bytes()`; `line()` encodes and takes the same path): the syslog
 * header module (parsers/syslog/header.ts) parses the envelope (not again for a line with the same
 * header bytes before the same kind of body: quietBody), a CSV boundary scanner over the buffer
 * (parsers/csv.ts CsvFieldsB) reads fields only up to the ones needed; numbers and IPv4 are read from
 * the bytes; strings are made only for kept fields, the repeated ones interned (rule, app, device, end
 * reason), other address spellings canonicalised once per text. The flows are valid by construction and
 * go to the sink under the gate (emitPanRecord); skips and notes pass the gate as before.
 * Time: high_res_timestamp (TRAFFIC 102 / THREAT 107; ISO with offset, located without counting fields,
 * see findHiRes) when it agrees with time_generated within 5 minutes, else time_generated (6; ISO with
 * Z/offset as given, otherwise wall-clock in --tz), else receive_time (1) when time_generated is empty.
 * A present but invalid date (e.g. `2020/00/00`, `2026/02/31`) makes the line malformed.
 */
import { MAX_TS, MIN_TS, parseIsoTime, scanIsoTime, scanned, timeError, TERR_SYNTAX } from '../../src/model/time.js';
import { CsvFieldsB } from '../csv.js';
import { ascii15, BytesInterner, canonicalV6At, d2B, latin1, text } from '../bytes.js';
import { ipv4BytesToInt, noteIpv4, v4lead } from '../../src/model/ip.js';
import { SyslogHeader } from '../syslog/header.js';
import { splitOctetFramesB, wazuhBodyStartB } from '../syslog/envelope.js';
import type { Detection, ParseOptions, ParseSink, RecordParser } from '../types.js';
import { ACTION_TOKENS, END_REASONS, OTHER_TYPES, PanRecord, TRANSPORTS, canonicalText, emitPanRecord, isPanAction, isPanProtocol } from './common.js';

// Field positions (0-based, standard syslog order).
const F_RECEIVE = 1, F_SERIAL = 2, F_TYPE = 3, F_SUBTYPE = 4, F_TIME = 6, F_SRC = 7, F_DST = 8;
const F_RULE = 11, F_APP = 14;
const T_DEVICE = 52, H_DEVICE = 59;

interface Layout {
  name: string;
  sport: number; dport: number; proto: number; action: number;
  bytes: number; packets: number; endReason: number; misc: number;
  /** device_name column, -1 when the layout's is not known (then the serial is the device). */
  tDevice: number; hDevice: number;
}
const STANDARD: Layout = {
  name: 'standard', sport: 24, dport: 25, proto: 29, action: 30, bytes: 31, packets: 34, endReason: 46, misc: 31,
  tDevice: T_DEVICE, hDevice: H_DEVICE,
};
const PRISMA: Layout = {
  name: 'prisma', sport: 23, dport: 24, proto: 27, action: 28, bytes: 29, packets: 32, endReason: 44, misc: 29,
  tDevice: -1, hDevice: -1,
};

/** Largest distance between high_res_timestamp and time_generated accepted as the same event. */
const HIRES_TOLERANCE_MS = 300_000;

function isTypeToken(s: string, a: number, b: number): boolean {
  if (b - a < 3 || b - a > 20) return false;
  for (let k = a; k < b; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 65 && c <= 90) || c === 45)) return false;
  }
  return true;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Whitespace or `>` (end of `<pri>`), the characters that can precede the CSV body. */
function isBodyBoundary(c: number): boolean {
  return c === 32 || c === 9 || c === 62;
}

/** `YYYY/MM/DD` or `YYYY-MM-DD` at p (digits and separators only). */
function dateShapeAt(s: string, p: number): boolean {
  const a = s.charCodeAt(p + 4);
  if (!(a === 47 || a === 45) || s.charCodeAt(p + 7) !== a) return false;
  for (const k of [0, 1, 2, 3, 5, 6, 8, 9]) if (!isDigitAt(s, p + k)) return false;
  return true;
}

/**
 * Fallback locator: `[FU,]receive_time,serial,TYPE,` anywhere in the line, found by scanning the
 * commas once (linear): a field that starts with a date, followed by one field and a type token.
 * Sets `located` to the start of the body and whether it has the leading FUTURE_USE column.
 */
const located = { at: 0, fu: false };
function locateByScan(s: string): boolean {
  let a = 0; // start of the current field
  let prevStart = -1; // start of the previous field
  const n = s.length;
  while (a < n) {
    let e = s.indexOf(',', a);
    if (e < 0) e = n;
    // a field at [a, e): does a date start here or after the last boundary inside it?
    let d = a;
    for (let k = e - 1; k >= a; k--) if (isBodyBoundary(s.charCodeAt(k))) { d = k + 1; break; }
    if (e - d >= 10 && dateShapeAt(s, d) && e < n) {
      const c2 = s.indexOf(',', e + 1);
      if (c2 > 0) {
        let c3 = s.indexOf(',', c2 + 1);
        if (c3 < 0) c3 = n;
        if (isTypeToken(s, c2 + 1, c3)) {
          if (d === a && prevStart >= 0 && a - 1 - prevStart <= 8) {
            located.at = prevStart; located.fu = true; // a short FUTURE_USE value (`1`) before it
            return true;
          }
          located.at = d; located.fu = false;
          return true;
        }
      }
    }
    prevStart = a;
    // the next field's start: for the FUTURE_USE check keep where the token after a boundary starts
    for (let k = e - 1; k >= a; k--) if (isBodyBoundary(s.charCodeAt(k))) { prevStart = k + 1; break; }
    a = e + 1;
  }
  return false;
}

/** isTypeToken on bytes. */
function isTypeTokenB(b: Buffer, a: number, e: number): boolean {
  if (e - a < 3 || e - a > 20) return false;
  for (let k = a; k < e; k++) {
    const c = b[k]!;
    if (!((c >= 65 && c <= 90) || c === 45)) return false;
  }
  return true;
}

function isDigitB(b: Buffer, i: number, end: number): boolean {
  if (i < 0 || i >= end) return false;
  const c = b[i]!;
  return c >= 48 && c <= 57;
}

function at(b: Buffer, i: number, end: number): number {
  return i >= 0 && i < end ? b[i]! : -1;
}

/** dateShapeAt on bytes. */
function dateShapeAtB(b: Buffer, p: number, end: number): boolean {
  if (p < 0 || p + 10 > end) return false;
  const a = b[p + 4]!;
  if (!(a === 47 || a === 45) || b[p + 7] !== a) return false;
  return dig(b[p]!) && dig(b[p + 1]!) && dig(b[p + 2]!) && dig(b[p + 3]!) && dig(b[p + 5]!) && dig(b[p + 6]!)
    && dig(b[p + 8]!) && dig(b[p + 9]!);
}

function dig(c: number): boolean {
  return c >= 48 && c <= 57;
}

function commaB(b: Buffer, p: number, end: number): number {
  for (let i = p; i < end; i++) if (b[i] === 44) return i;
  return -1;
}

/** locateByScan on bytes (same rules): sets `located`. */
function locateByScanB(b: Buffer, p0: number, n: number): boolean {
  let a = p0;
  let prevStart = -1;
  while (a < n) {
    let e = commaB(b, a, n);
    if (e < 0) e = n;
    let d = a;
    for (let k = e - 1; k >= a; k--) if (isBodyBoundary(b[k]!)) { d = k + 1; break; }
    if (e - d >= 10 && dateShapeAtB(b, d, n) && e < n) {
      const c2 = commaB(b, e + 1, n);
      if (c2 > 0) {
        let c3 = commaB(b, c2 + 1, n);
        if (c3 < 0) c3 = n;
        if (isTypeTokenB(b, c2 + 1, c3)) {
          if (d === a && prevStart >= 0 && a - 1 - prevStart <= 8) { located.at = prevStart; located.fu = true; return true; }
          located.at = d; located.fu = false;
          return true;
        }
      }
    }
    prevStart = a;
    for (let k = e - 1; k >= a; k--) if (isBodyBoundary(b[k]!)) { prevStart = k + 1; break; }
    a = e + 1;
  }
  return false;
}

/**
 * Finds high_res_timestamp (`YYYY-MM-DDTHH:MM:SS.fff±HH:MM` or `…Z`, its own CSV field) after position
 * `from` (the end of the last field read). Instead of counting 40+ more fields to reach position
 * 102/107, the first ISO field with an offset whose time agrees with time_generated within 5 minutes
 * (`ref`: wall clock, or the instant when `instant`) is taken. Returns epoch ms or NaN.
 */
function findHiResB(b: Buffer, from: number, end: number, ref: number, instant: boolean): number {
  // `T` is rare in the columns after the last one read: the native byte search (memchr) skips the
  // ~250 bytes between them faster than a loop here. It cannot be bounded by `end`, so a line without a
  // `T` left searches on into the buffer's next lines (a hit at or after `end` ends the search): linear
  // overall, as every line that searches holds a `T` before its own `from` (its type, TRAFFIC/THREAT).
  for (let t = from + 11; t < end; t++) {
    t = b.indexOf(84, t);
    if (t < 0 || t >= end) break;
    const a = t - 10;
    if (at(b, a - 1, end) === 44 && at(b, a + 4, end) === 45 && at(b, a + 7, end) === 45
      && at(b, t + 3, end) === 58 && at(b, t + 6, end) === 58) {
      let fe = commaB(b, a, end);
      if (fe < 0) fe = end;
      const v = isoB(b, a, fe);
      if (v >= 0 && scanned.offset && scanned.end === fe - a) {
        const wall = v + scanned.offsetMin * 60_000;
        if (Math.abs((instant ? v : wall) - ref) <= HIRES_TOLERANCE_MS) return v;
      }
    }
  }
  return NaN;
}

/**
 * scanIsoTime(latin1(b, a, fe), 0, null) without the string for the usual high_res_timestamp shape
 * `YYYY-MM-DDTHH:MM:SS.fff±HH:MM`: the last conversion is kept by its bytes other than the 3 fraction
 * digits (the milliseconds are added); any other shape, or a value near the range limits, is converted.
 */
const iso = { key: Buffer.alloc(32), len: -1, base: 0, end: 0, offset: false, offsetMin: 0 };
function isoB(b: Buffer, a: number, fe: number): number {
  const n = fe - a;
  const f3 = n === 29 && b[a + 19] === 46 ? b[a + 22]! - 48 : -1;
  const f2 = f3 >= 0 && f3 <= 9 ? d2B(b, a + 20, fe) : -1;
  const ms = f2 >= 0 ? f2 * 10 + f3 : -1;
  if (ms >= 0 && iso.len === n) {
    const k = iso.key;
    let i = 0;
    while (i < 19 && k[i] === b[a + i]) i++;
    if (i === 19) {
      let j = 23;
      while (j < n && k[j] === b[a + j]) j++;
      if (j === n) {
        scanned.end = iso.end; scanned.offset = iso.offset; scanned.offsetMin = iso.offsetMin;
        return iso.base + ms;
      }
    }
  }
  const v = scanIsoTime(latin1(b, a, fe), 0, null);
  if (ms >= 0 && v >= 0 && v - ms > MIN_TS + 1000 && v - ms + 1000 < MAX_TS && scanned.end === n) {
    b.copy(iso.key, 0, a, fe);
    iso.len = n; iso.base = v - ms; iso.end = scanned.end; iso.offset = scanned.offset; iso.offsetMin = scanned.offsetMin;
  }
  return v;
}

/** True when b[a, e) holds only ASCII whitespace (the text path's `trim() === ''` for ASCII lines). */
function blankB(b: Buffer, a: number, e: number): boolean {
  for (let i = a; i < e; i++) {
    const c = b[i]!;
    if (!(c === 32 || (c >= 9 && c <= 13))) return c >= 0x80 ? text(b, a, e).trim() === '' : false;
  }
  return true;
}

/** The last value of one kept column (SyslogParser.kept). */
class LastValue {
  readonly key = Buffer.alloc(64);
  len = -1;
  val: string | null = null;
}

export class SyslogParser implements RecordParser {
  private readonly f = new CsvFieldsB(128);
  private readonly r = new PanRecord();
  private readonly format: string;
  /** The syslog envelope's header (parsers/syslog/header.ts): it says where the CSV body starts. */
  private readonly h: SyslogHeader;
  private readonly rules = new BytesInterner();
  private readonly apps = new BytesInterner();
  private readonly devices = new BytesInterner();
  private readonly misc = new BytesInterner();
  private readonly addrs = new Map<string, string | null>();
  private readonly lastDevice = new LastValue();
  private readonly stampKey = Buffer.alloc(64);
  /** The bytes before the message start of the last header the header module parsed (see quietBody). */
  private readonly hdrKey = Buffer.alloc(128);
  private hdrLen = -1;
  /** Start of the receive_time date of the body bodyAt found last. */
  private bodyDate = 0;
  private protoTok: string | null = null;
  private actionTok: string | null = null;
  private stampLen = -1;
  private lastMs = NaN;
  private lastWall = NaN;
  private lastIso = false;
  private lineNo = 0;
  private buf: Buffer = Buffer.alloc(0);
  private readonly frameFn = (a: number, e: number): void => this.frame(this.buf, a, e, this.lineNo);

  /**
   * `sink` is behind the gate (parsers/validate.ts guardSink): skips and notes go there; `direct` is the
   * sink under it, which takes the flows (valid by construction: emitPanRecord).
   */
  constructor(det: Detection, private readonly opts: ParseOptions, private readonly sink: ParseSink, private readonly direct: ParseSink) {
    this.format = det.format;
    this.h = new SyslogHeader(opts.zone, opts.years);
  }

  /** Text input (UTF-16 files): the same byte path. */
  line(text: string, lineNo: number): void {
    if (text.length === 0) return;
    const b = Buffer.from(text, 'utf8');
    this.bytes(b, 0, b.length, lineNo);
  }

  bytes(b: Buffer, start: number, end: number, lineNo: number): void {
    if (end <= start) return;
    let p = start;
    const c0 = b[p]!;
    if (c0 === 108 /* l */) {
      const w = wazuhBodyStartB(b, p, end);
      if (w >= 0) p = w;
      else if (end - p >= 4 && b[p + 1] === 111 && b[p + 2] === 103 && b[p + 3] === 32) {
        this.sink.skip('not a PAN-OS log line', lineNo, 'not-flow');
        return;
      }
    } else if (c0 >= 48 && c0 <= 57 && end - start > 4) {
      this.lineNo = lineNo;
      this.buf = b;
      const frames = splitOctetFramesB(b, start, end, this.frameFn);
      this.buf = EMPTY;
      if (frames > 0) { if (frames > 1) this.sink.note('extra-frames', frames - 1); return; }
    }
    if (blankB(b, p, end)) { this.sink.skip('blank line', lineNo, 'not-flow'); return; }
    this.frame(b, p, end, lineNo);
  }

  /**
   * Positions the field reader on the CSV body of b[p0, n): where the syslog header (any envelope the
   * header module knows: RFC 3164/5424, relays, none) says the message starts, when the body starts
   * there; else by its first commas, else by a scan for `[FU,]date,serial,TYPE,` (headers the module
   * does not know: no host, foreign prefixes). False when the line is not a PAN-OS CSV log.
   */
  private locate(b: Buffer, p0: number, n: number): boolean {
    const f = this.f;
    const h = this.h;
    const hl = this.hdrLen;
    if (hl >= 0 && n - p0 > hl && this.sameHeader(b, p0, hl) && this.bodyAt(b, p0 + hl, n) && this.quietBody(b, p0 + hl, n)) return true;
    if (h.parse(b, p0, n) && this.bodyAt(b, h.msg, n)) {
      const m = h.msg;
      if (h.err === 0 && m - p0 <= this.hdrKey.length && this.quietBody(b, m, n)) { b.copy(this.hdrKey, 0, p0, m); this.hdrLen = m - p0; } else this.hdrLen = -1;
      return true;
    }
    // No header, or one the module reads differently (`<pri>stamp 1,…` without a host reads the
    // FUTURE_USE and receive_time date as the host): the body by its first commas.
    const c1 = commaB(b, p0, n);
    if (c1 < 0) return false;
    const c2 = commaB(b, c1 + 1, n);
    if (c2 < 0) return false;
    const c3 = commaB(b, c2 + 1, n);
    if (c3 < 0) return false;
    let c4 = commaB(b, c3 + 1, n);
    if (c4 < 0) c4 = n;
    if (isDigitB(b, c1 + 1, n) && isTypeTokenB(b, c3 + 1, c4)) {
      let a = c1;
      while (a > p0 && !isBodyBoundary(b[a - 1]!)) a--;
      f.reset(b, a, n, 0);
      return true;
    }
    if (isTypeTokenB(b, c2 + 1, c3)) {
      // No leading FUTURE_USE: the line's first comma ends receive_time (`YYYY/MM/DD HH:MM:SS` or ISO).
      let a = c1;
      while (a > p0 && !isBodyBoundary(b[a - 1]!)) a--;
      if (c1 - a === 8 && at(b, a + 2, n) === 58 && a - p0 >= 11) {
        const d = a - 11;
        if (b[a - 1] === 32 && dateShapeAtB(b, d, n) && (d === p0 || isBodyBoundary(b[d - 1]!))) a = d;
      }
      if (isDigitB(b, a, n)) {
        f.reset(b, a, n, 1);
        return true;
      }
    }
    // Anything else in front of the body (foreign prefixes): `[FU,]date,serial,TYPE,` anywhere.
    if (!locateByScanB(b, p0, n)) return false;
    f.reset(b, located.at, n, located.fu ? 0 : 1);
    return true;
  }

  private sameHeader(b: Buffer, p0: number, len: number): boolean {
    const k = this.hdrKey;
    for (let i = 0; i < len; i++) if (b[p0 + i] !== k[i]) return false;
    return true;
  }

  /**
   * True when the body that bodyAt found at m cannot change what the header module decides before m:
   * the header module reads past the message start only to look for a tag (`name[pid]:`, `kernel:`,
   * `facility.level kernel:`: the token up to the first space ends with `:` or starts with a letter), a
   * kernel uptime stamp (`[`), spaces, an ISO stamp (`T`/`t` at m + 10: a relay's inner header or a PRI
   * followed by a stamp). A body that starts with a digit and whose date (at bodyDate) is followed by a
   * space has none of these: its first token is `[FU,]YYYY/MM/DD`, which ends with a digit. Then a line
   * whose bytes before m equal those of the last line the header module parsed has the same message
   * start (the header's own time and host are not used by this parser), and the header is not parsed again.
   */
  private quietBody(b: Buffer, m: number, n: number): boolean {
    const d = this.bodyDate;
    if (m + 10 >= n || d + 10 >= n) return false;
    const c = b[m]!, t = b[m + 10]!;
    return c >= 48 && c <= 57 && t !== 84 && t !== 116 && b[d + 10] === 32;
  }

  /**
   * The CSV body right where the syslog header says the message starts: `FU,date…,serial,TYPE` (FU a
   * short value without a boundary) or `date…,serial,TYPE`. Positions the field reader there (and
   * leaves the date's start in bodyDate).
   */
  private bodyAt(b: Buffer, m: number, n: number): boolean {
    let d = m, fu = false;
    if (!dateShapeAtB(b, m, n)) {
      let k = m;
      while (k < n && k - m <= 8 && b[k] !== 44 && !isBodyBoundary(b[k]!)) k++;
      if (k === m || k - m > 8 || at(b, k, n) !== 44 || !dateShapeAtB(b, k + 1, n)) return false;
      d = k + 1; fu = true;
    }
    const ca = commaB(b, d, n);
    if (ca < 0) return false;
    const cb = commaB(b, ca + 1, n);
    if (cb < 0) return false;
    let cc = commaB(b, cb + 1, n);
    if (cc < 0) cc = n;
    if (!isTypeTokenB(b, cb + 1, cc)) return false;
    this.bodyDate = d;
    this.f.reset(b, fu ? m : d, n, fu ? 0 : 1);
    return true;
  }

  /** The layout whose protocol and action columns hold a protocol and an action, or null. */
  private layout(): Layout | null {
    const f = this.f;
    f.readTo(STANDARD.action);
    if (this.protoAt(STANDARD.proto) && this.actionAt(STANDARD.action)) return STANDARD;
    if (this.protoAt(PRISMA.proto) && this.actionAt(PRISMA.action)) return PRISMA;
    return null;
  }

  /** True when column i holds a protocol; its text is left in protoTok (interned for the usual names). */
  private protoAt(i: number): boolean {
    const f = this.f;
    for (let k = 0; k < TRANSPORTS.length; k++) if (f.is(i, TRANSPORTS[k]!)) { this.protoTok = TRANSPORTS[k]!; return true; }
    const v = f.opt(i);
    this.protoTok = v;
    return v !== null && isPanProtocol(v);
  }

  /** True when column i holds an action; its text is left in actionTok (interned for the usual tokens). */
  private actionAt(i: number): boolean {
    const f = this.f;
    for (let k = 0; k < ACTION_TOKENS.length; k++) if (f.is(i, ACTION_TOKENS[k]!)) { this.actionTok = ACTION_TOKENS[k]!; return true; }
    const v = f.opt(i);
    this.actionTok = v;
    return v !== null && isPanAction(v);
  }

  private frame(b: Buffer, p0: number, n: number, lineNo: number): void {
    const f = this.f;
    const sink = this.sink;
    if (!this.locate(b, p0, n)) { sink.skip('not a PAN-OS log line', lineNo, 'not-flow'); return; }
    f.readTo(F_SUBTYPE);
    let threat: boolean;
    if (f.is(F_TYPE, 'TRAFFIC')) threat = false;
    else if (f.is(F_TYPE, 'THREAT')) threat = true;
    else {
      const t = f.get(F_TYPE);
      sink.skip(OTHER_TYPES.has(t) ? `panos ${t} log` : 'panos other log', lineNo, 'not-flow');
      return;
    }
    const cnt = f.readTo(STANDARD.action);
    if (cnt <= STANDARD.action && !(cnt > PRISMA.action && this.protoAt(PRISMA.proto) && this.actionAt(PRISMA.action))) {
      sink.skip(threat ? 'panos THREAT line too short' : 'panos TRAFFIC line too short', lineNo, 'malformed');
      return;
    }
    const L = this.layout();
    if (L === null) {
      sink.skip(threat ? 'panos THREAT columns match no known layout (protocol/action)' : 'panos TRAFFIC columns match no known layout (protocol/action)', lineNo, 'malformed');
      return;
    }
    const dev = threat ? L.hDevice : L.tDevice;
    const total = f.readTo(Math.max(dev, L.endReason));

    const r = this.r;
    r.reset();
    r.kind = threat ? 'threat' : 'traffic';
    r.subtype = f.is(F_SUBTYPE, 'end') ? 'end' : f.is(F_SUBTYPE, 'start') ? 'start' : f.is(F_SUBTYPE, 'url') ? 'url' : f.get(F_SUBTYPE).toLowerCase();
    r.actionRequired = true;
    this.addr(F_SRC, true);
    this.addr(F_DST, false);

    // Time: high_res_timestamp, else time_generated, else receive_time.
    const tf = f.len(F_TIME) > 0 ? F_TIME : F_RECEIVE;
    if (f.len(tf) > 0) {
      const a = f.start(tf), e = f.end(tf);
      let ts: number;
      // Consecutive lines mostly share their time_generated: reuse the last conversion.
      if (e - a === this.stampLen && this.sameStamp(b, a, e)) ts = this.lastMs;
      else {
        const s = text(b, a, e);
        ts = parseIsoTime(s, 0, s.length, this.opts.zone);
        this.lastMs = ts;
        this.lastIso = ts >= 0 && scanned.offset;
        // high_res_timestamp is compared with the instant when time_generated has an offset, else with
        // its wall clock (read as if UTC)
        const w = ts >= 0 && !this.lastIso ? parseIsoTime(s, 0, s.length, null) : ts;
        this.lastWall = w >= 0 ? w : NaN;
        if (e - a <= this.stampKey.length) { b.copy(this.stampKey, 0, a, e); this.stampLen = e - a; } else this.stampLen = -1;
      }
      if (ts < 0) {
        r.tsError = `panos ${timeError(ts === TERR_SYNTAX ? -1 : ts)} (${tf === F_TIME ? 'time_generated' : 'receive_time'})`;
      } else {
        r.ts = ts;
        if (total > dev && dev > 0) {
          const hr = findHiResB(b, f.end(total - 1), n, this.lastWall, this.lastIso);
          if (!Number.isNaN(hr)) r.ts = hr;
        }
      }
    }
    const sp = f.uint(L.sport), dp = f.uint(L.dport);
    r.sport = f.len(L.sport) === 0 ? null : sp >= 0 && sp <= 65535 ? sp : -1;
    r.dport = f.len(L.dport) === 0 ? null : dp >= 0 && dp <= 65535 ? dp : -1;
    // the layout's protocol and action columns, as layout() read them last
    r.proto = this.protoTok;
    r.action = this.actionTok;
    r.rule = f.optIn(F_RULE, this.rules);
    r.app = f.optIn(F_APP, this.apps);
    r.device = (dev >= 0 ? this.kept(dev, this.lastDevice, this.devices) : null) ?? f.optIn(F_SERIAL, this.devices);
    if (threat) {
      if (r.subtype === 'url') r.url = f.opt(L.misc);
    } else {
      r.bytes = f.len(L.bytes) === 0 ? null : f.uint(L.bytes);
      r.packets = f.len(L.packets) === 0 ? null : f.uint(L.packets);
      const er = f.optIn(L.endReason, this.misc);
      r.endReason = er !== null && (L === STANDARD || END_REASONS.has(er)) ? er : null;
    }
    emitPanRecord(r, this.format, this.opts.file, lineNo, sink, this.direct);
  }

  /**
   * f.optIn(i, pool) for a kept column, with the column's last value checked first: consecutive lines
   * mostly repeat the device (the rule, application and end reason change too often for it to pay:
   * measured on generated lines, 10-25 % repeats).
   */
  private kept(i: number, last: LastValue, pool: BytesInterner): string | null {
    const f = this.f;
    const a = f.start(i), e = f.end(i);
    const n = e - a;
    if (n <= 0 || f.escaped(i)) return f.optIn(i, pool);
    const b = f.buf, k = last.key;
    if (n === last.len) {
      let j = 0;
      while (j < n && b[a + j] === k[j]) j++;
      if (j === n) return last.val;
    }
    const v = f.optIn(i, pool);
    if (n <= k.length) {
      for (let j = 0; j < n; j++) k[j] = b[a + j]!;
      last.len = n;
      last.val = v;
    }
    return v;
  }

  /**
   * Source/destination address. A dotted quad without leading zeros is its own canonical text: made
   * from the bytes and not parsed again; so is IPv6 text already in its canonical form (canonicalV6At:
   * one pass over the bytes, no string made before it is known to be the result); anything else goes
   * through canonicalText (canonAddr). Dotted
   * quads are not interned: they vary too much (a table of them keeps every new string alive past the
   * young generation: measured again this round, 1 M generated lines, 65,536 slots: ~1 s more CPU).
   */
  private addr(i: number, src: boolean): void {
    const f = this.f;
    const r = this.r;
    const a = f.start(i), e = f.end(i);
    const n = f.escaped(i) || e <= a ? -1 : ipv4BytesToInt(f.buf, a, e);
    let canon = n >= 0 && !v4lead.lead;
    let v: string | null;
    if (canon) { v = ascii15(f.buf, a, e); noteIpv4(v, n); } // (the gate and matcher take n: ip.ts)
    else if (n < 0 && e > a && !f.escaped(i) && (v = canonicalV6At(f.buf, a, e)) !== null) canon = true; // its own canonical form
    else {
      v = f.opt(i);
      if (v !== null) { v = this.canonAddr(v); canon = true; }
    }
    if (src) { r.src = v; r.srcCanonical = canon; } else { r.dst = v; r.dstCanonical = canon; }
  }

  /**
   * canonicalText of any other address text (IPv6, IPv4 with leading zeros, garbage: null), kept by
   * its text: IPv6 addresses repeat (a host's own address on many flows) and their parse is the costly
   * one. Bounded: cleared when full.
   */
  private canonAddr(t: string): string | null {
    if (t.length > ADDR_KEY_MAX) return canonicalText(t); // (a long text is no address: not kept)
    let v = this.addrs.get(t);
    if (v === undefined) {
      v = canonicalText(t);
      if (this.addrs.size >= ADDR_CACHE) this.addrs.clear();
      this.addrs.set(t, v);
    }
    return v;
  }

  private sameStamp(b: Buffer, a: number, e: number): boolean {
    const k = this.stampKey;
    for (let i = a; i < e; i++) if (b[i] !== k[i - a]) return false;
    return true;
  }

}

const EMPTY = Buffer.alloc(0);
const ADDR_CACHE = 20_000;
/** Longest text canonAddr keeps (an IPv6 address with a zone and spaces around it fits). */
const ADDR_KEY_MAX = 64;


/** The log type token of a PAN-OS syslog CSV line (`TRAFFIC`, `SYSTEM`, …), or null (detection). */
export function lineType(s: string): string | null {
  const n = s.length;
  const c1 = s.indexOf(',');
  if (c1 < 0) return null;
  const c2 = s.indexOf(',', c1 + 1);
  if (c2 < 0) return null;
  const c3 = s.indexOf(',', c2 + 1);
  if (c3 < 0) return null;
  let c4 = s.indexOf(',', c3 + 1);
  if (c4 < 0) c4 = n;
  // leading FUTURE_USE: `…1,<date>,serial,TYPE,`
  let a = c1;
  while (a > 0 && !isBodyBoundary(s.charCodeAt(a - 1))) a--;
  if (c1 - a <= 8 && dateShapeAt(s, c1 + 1) && isTypeToken(s, c3 + 1, c4)) return s.slice(c3 + 1, c4);
  if (!locateByScan(s)) return null;
  // from the located body: skip [FU,] receive_time, serial
  let p = located.at;
  for (let k = located.fu ? 3 : 2; k > 0; k--) { const c = s.indexOf(',', p); if (c < 0) return null; p = c + 1; }
  let e = s.indexOf(',', p);
  if (e < 0) e = n;
  return isTypeToken(s, p, e) ? s.slice(p, e) : null;
}
