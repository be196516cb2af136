/**
 * Windows Firewall log (`pfirewall.log`, W3C-style, space separated, local time).
 *
 * Hot path: the line's UTF-8 bytes (`bytes()`, straight from the read buffer; `line()` encodes text to
 * the same bytes). The common record (standard layout or the compact shape, ALLOW/DROP of TCP/UDP/ICMP,
 * valid fields) is read by `fast` in one left-to-right pass: the UTC time of each `date hh:mm` computed
 * once, IPv4 parsed to an integer once and its text taken from a small table, canonical IPv6 text taken
 * as it is; such flows are valid by construction and skip the gate. Any other line (headers, other
 * layouts, damaged or unusual records) goes through `one`, which tokenizes the line and gives every
 * malformed reason; test/winfw-fast.test.ts shows both paths agree. Strings exist only for the kept
 * fields: action, protocol and direction are constants.
 *
 * Decisions (documented here because they are visible in the output):
 * - Blank lines are ignored silently (the service writes one after the header); `#` lines are skipped
 *   as 'not-flow'/'header'. `#Fields:` lines (re)define the column layout by name; before any header the
 *   standard 17-field layout applies, and 18 tokens are read as that layout plus `pid`.
 * - With the standard layout, lines with 17 or 18 tokens are accepted whatever the header says (`pid` is
 *   not present on every line/host and is not part of the flow record).
 * - "Compact" lines seen in real Win11 logs, where the empty `-` columns are left out
 *   (`date time action proto src dst sport dport [size] PATH [pid]`), are accepted when the path token
 *   is where that shape puts it; anything else with a wrong token count is 'malformed'/'field count'.
 * - ICMP/ICMPv6 flows never carry ports (the type/code live in icmptype/icmpcode).
 * - DROP lines are one packet each: packets=1, bytes=size. ALLOW/OPEN/CLOSE lines leave both null.
 * - A token that is no pfirewall.log action (ALLOW, DROP, XP's OPEN/OPEN-INBOUND/CLOSE) makes the line
 *   malformed; `-` addresses (no address) too (flows are validated by parsers/validate.ts).
 */
import { civilToUtc, MAX_TS, timeError } from '../src/model/time.js';
import { newFlow, normalizeTransport, type Action, type Direction } from '../src/model/flow.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';
import { Capture, CONTINUATION, WrapJoiner } from './wrap.js';
import { AddrInterner, ascii15, canonicalV6At, d2B, latin1, litAt, text as utf8 } from './bytes.js';
import { intToIpv4, noteIpv4 } from '../src/model/ip.js';

const STANDARD_FIELDS = [
  'date', 'time', 'action', 'protocol', 'src-ip', 'dst-ip', 'src-port', 'dst-port', 'size', 'tcpflags',
  'tcpsyn', 'tcpack', 'tcpwin', 'icmptype', 'icmpcode', 'info', 'path',
];

interface Layout {
  count: number;
  /** True when the first 17 columns are the standard ones (then 17 or 18 tokens are accepted). */
  standard: boolean;
  /** True when the last column is `pid` (then count-1 tokens are accepted too). */
  pidLast: boolean;
  date: number; time: number; action: number; protocol: number; src: number; dst: number;
  sport: number; dport: number; size: number; info: number; path: number;
}

function layoutFrom(names: string[]): Layout {
  const ix = (n: string) => names.indexOf(n);
  let standard = names.length >= 17;
  for (let i = 0; standard && i < 17; i++) if (names[i] !== STANDARD_FIELDS[i]) standard = false;
  if (standard && names.length === 18 && names[17] !== 'pid') standard = false;
  if (names.length > 18) standard = false;
  return {
    count: names.length, standard, pidLast: names[names.length - 1] === 'pid',
    date: ix('date'), time: ix('time'), action: ix('action'), protocol: ix('protocol'),
    src: ix('src-ip'), dst: ix('dst-ip'), sport: ix('src-port'), dport: ix('dst-port'), size: ix('size'),
    info: ix('info'), path: ix('path'),
  };
}

const DEFAULT_LAYOUT = layoutFrom(STANDARD_FIELDS);

function fieldNames(t: string): string[] {
  return t.trim().split(/\s+/).filter((x) => x.length > 0);
}

const KNOWN_FIELDS = new Set([...STANDARD_FIELDS, 'pid']);
function knownFields(names: string[]): boolean {
  return names.length > 0 && names.length <= MAX_TOKENS && names.every((n) => KNOWN_FIELDS.has(n));
}
const MAX_TOKENS = 40;

const LOST = 'INFO-EVENTS-LOST';

function isPathToken(s: Buffer, a: number, b: number): boolean {
  return directionOf(s, a, b) !== null || (b - a === 7 && litAt(s, a, b, 'UNKNOWN'));
}

function directionOf(s: Buffer, a: number, b: number): Direction {
  const len = b - a;
  const c = s[a];
  if (len === 4 && c === 83 && litAt(s, a, b, 'SEND')) return 'outbound';
  if (len === 7 && c === 82 && litAt(s, a, b, 'RECEIVE')) return 'inbound';
  if (len === 7 && c === 70 && litAt(s, a, b, 'FORWARD')) return 'forward';
  return null;
}

/** Decimal integer in s[a,b), -1 for `-`, -2 when not a number. */
function num(s: Buffer, a: number, b: number): number {
  if (b - a === 1 && s[a] === 45) return -1;
  if (b <= a || b - a > 15) return -2;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s[i]! - 48;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
}

/** Two ASCII digits at b[i], or -1. */
function dd(b: Buffer, i: number): number {
  const x = b[i]! - 48, y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** 4,096 slots: a table this small stays in the CPU cache; larger ones measured slower (bench file: 112,640 distinct addresses). */
const V4_SHIFT = 20;
const V4_SLOTS = 1 << (32 - V4_SHIFT);

const HEAD_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (ALLOW|DROP|OPEN|OPEN-INBOUND|CLOSE|INFO-EVENTS-LOST) /;

function detect(head: string, _fileName: string): Detection | null {
  const dialect = dialectOf(head);
  if (head.indexOf('#Software: Microsoft Windows Firewall') >= 0 || /^#Fields: date time action/m.test(head)) {
    return { format: 'winfw', dialect, framing: 'lines', confidence: 0.95 };
  }
  let hits = 0, lines = 0;
  for (const l of head.split('\n', 200)) {
    const t = l.replace(/\r$/, '').replace(/\0/g, '');
    if (!t) continue;
    lines++;
    if (HEAD_LINE.test(t)) hits++;
  }
  if (hits > 0 && hits * 2 >= lines) return { format: 'winfw', dialect, framing: 'lines', confidence: 0.8 };
  return null;
}

function dialectOf(head: string): string {
  const m = /^#Fields: (.*)$/m.exec(head);
  if (m) return /\bpid\s*$/.test(m[1]!) ? 'pfirewall-pid' : 'pfirewall';
  return 'pfirewall-headerless';
}

/** Tokens a pfirewall.log record holds once (its action and path): a line repeating one is another record. */
const RECORD_TOKENS = ['ALLOW', 'DROP', 'OPEN', 'CLOSE', 'INFO-EVENTS-LOST', 'SEND', 'RECEIVE', 'FORWARD', 'UNKNOWN'];

/**
 * A line a pfirewall.log record or header starts: `#`, or `YYYY-` (the start of a date, even a damaged
 * one: a fragment of a wrapped record never starts with one).
 */
function startsRecord(b: Buffer, s: number, e: number): boolean {
  if (s < e && b[s] === 35) return true;
  if (hasClock(b, s, e)) return true; // a damaged record: a fragment never holds the time column
  if (e - s < 5 || b[s + 4] !== 45) return false;
  for (let i = s; i < s + 4; i++) { const c = b[i]!; if (c < 48 || c > 57) return false; }
  return true;
}

/** Whether b[s, e) holds `dd:dd:dd` (a time of day). Linear. */
function hasClock(b: Buffer, s: number, e: number): boolean {
  for (let i = s + 2; i + 6 <= e; i++) {
    if (b[i] !== 58 || b[i + 3] !== 58) continue;
    let ok = true;
    for (const k of [-2, -1, 1, 2, 4, 5]) { const c = b[i + k]!; if (c < 48 || c > 57) { ok = false; break; } }
    if (ok) return true;
  }
  return false;
}

class WinfwParser implements RecordParser {
  private layout: Layout = DEFAULT_LAYOUT;
  private readonly st = new Int32Array(MAX_TOKENS);
  private readonly en = new Int32Array(MAX_TOKENS);
  private lastKey = -1;
  private lastTs = 0;
  private readonly file: string;
  private readonly format: string;

  /** The validation guard in front of the wrap joiner's capture (parsers/wrap.ts). */
  private readonly sink: ParseSink;
  private readonly joiner: WrapJoiner;
  private pinnedLayout: Layout = DEFAULT_LAYOUT;
  /** The last line had exactly the layout's column count. */
  private exactFit = false;
  /** The field names of the `#Fields:` line just read (a wrapped header may continue on the next line). */
  private fieldsText: string | null = null;

  constructor(det: Detection, private readonly opts: ParseOptions, out: ParseSink) {
    this.file = opts.file;
    this.format = det.format;
    const cap = new Capture();
    this.cap = cap;
    this.sink = guardSink(cap);
    this.joiner = new WrapJoiner(cap, out, (b, s, e, n, replay) => {
      if (replay) { // the layout of the joined record's first line
        const now = this.layout;
        this.layout = this.pinnedLayout;
        const done = this.fast(b, s, e, n);
        if (!done) this.one(b, s, e, n);
        this.layout = now;
        return done || startsRecord(b, s, e);
      }
      if (this.fast(b, s, e, n)) return true; // a record: it starts with its date
      this.one(b, s, e, n);
      return startsRecord(b, s, e);
    }, () => { this.pinnedLayout = this.layout; return true; }, RECORD_TOKENS, () => this.exactFit);
  }

  private readonly addrs = new AddrInterner();
  /** The capture behind the gate: flows valid by construction (the fast path's IPv4 flows) go straight to it. */
  private readonly cap: Capture;
  /** Dotted-quad text by address (direct-mapped, a collision replaces the slot). */
  private readonly v4keys = new Int32Array(V4_SLOTS);
  private readonly v4vals: (string | null)[] = new Array<string | null>(V4_SLOTS).fill(null);
  /** UTC ms of the last `date hh:mm` (key `minKey`) read by the fast path. */
  private minKey = -1;
  private minTs = 0;
  /** End of the token the last `v4` call read. */
  private tokEnd = 0;

  /**
   * Dotted quad at b[a, …) up to the next space or e (its end in `tokEnd`): the canonical text, '' when
   * the token is no IPv4 address. The text comes from a table keyed by the address; a miss formats it.
   */
  private v4(b: Buffer, a: number, e: number): string {
    let n = 0, part = 0, digits = 0, dots = 0, lead = false, bad = false, i = a;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c === 32) break;
      if (bad) continue;
      if (c >= 48 && c <= 57) {
        if (digits === 1 && part === 0) lead = true;
        part = part * 10 + (c - 48);
        if (++digits > 3 || part > 255) bad = true;
      } else if (c === 46) {
        if (digits === 0 || ++dots > 3) bad = true;
        n = n * 256 + part; part = 0; digits = 0;
      } else bad = true;
    }
    this.tokEnd = i;
    if (bad || dots !== 3 || digits === 0) return '';
    n = n * 256 + part;
    const k = n | 0;
    const slot = Math.imul(k, 0x9e3779b1) >>> V4_SHIFT;
    const hit = this.v4vals[slot]!;
    if (hit !== null && this.v4keys[slot] === k) { noteIpv4(hit, n); return hit; } // (the gate and matcher take n: ip.ts)
    const t = lead ? intToIpv4(n) : ascii15(b, a, i);
    this.v4keys[slot] = k;
    this.v4vals[slot] = t;
    noteIpv4(t, n);
    return t;
  }

  /**
   * Port at b[i, …) up to the next space or e (its end in `tokEnd`): 0-65535, -1 for `-`, else -2 (as
   * `num` reads it, then refused above 65535), in one pass.
   */
  private port(b: Buffer, i: number, e: number): number {
    const a = i;
    let v = 0;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c === 32) break;
      const d = c - 48;
      if (d < 0 || d > 9) {
        if (c === 45 && i === a && (i + 1 === e || b[i + 1] === 32)) { this.tokEnd = i + 1; return -1; }
        return -2;
      }
      v = v * 10 + d;
      if (v > 65535) return -2;
    }
    if (i === a || i - a > 15) return -2;
    this.tokEnd = i;
    return v;
  }

  /** (parsers/bytes.ts canonicalV6At; kept as a method for its test) */
  private v6(b: Buffer, a: number, z: number): string | null {
    return canonicalV6At(b, a, z);
  }

  /**
   * The common record, read in one pass: the standard layout (17 or 18 columns, or the compact Win11
   * shape), single spaces in `date time action`, an ALLOW or DROP of TCP, UDP or ICMP, valid addresses
   * and ports. Returns false,
   * having emitted nothing and changed no state, for anything else: `one` then reads the line (and gives
   * every malformed reason). What it emits is what `one` gives for the same line (test/winfw-fast.test.ts).
   * IPv4 flows are valid by construction (ts from civilToUtc, canonical dotted quads, ports 0-65535,
   * ports only on TCP/UDP, counters below 10^15) and skip the gate; others pass it.
   */
  private fast(b: Buffer, s: number, e: number, lineNo: number): boolean {
    if (!this.fastOn || !this.layout.standard || e - s < 40) return false;
    if (b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 10] !== 32 || b[s + 13] !== 58 || b[s + 16] !== 58 || b[s + 19] !== 32) return false;
    const yh = dd(b, s), yl = dd(b, s + 2), mo = dd(b, s + 5), d = dd(b, s + 8), h = dd(b, s + 11), mi = dd(b, s + 14);
    const sec = dd(b, s + 17);
    if ((yh | yl | mo | d | h | mi | sec) < 0 || sec > 60) return false;
    // the zone's offset is the same for every second of a minute (ZoneConverter keys it by the hour)
    const key = ((((yh * 100 + yl) * 13 + mo) * 32 + d) * 24 + h) * 60 + mi;
    let base: number;
    if (key === this.minKey) base = this.minTs;
    else {
      base = civilToUtc(this.opts.zone, yh * 100 + yl, mo, d, h, mi, 0, 0, null);
      if (base < 0) return false;
      this.minKey = key; this.minTs = base;
    }
    const ts = base + (sec === 60 ? 59 : sec) * 1000; // civilToUtc reads second 60 as 59
    if (ts >= MAX_TS) return false; // (zone offsets are whole minutes: a minute in range ends in range)

    let i = s + 20;
    let raw: string, verdict: Action;
    if (b[i] === 65 && b[i + 1] === 76 && b[i + 2] === 76 && b[i + 3] === 79 && b[i + 4] === 87 && b[i + 5] === 32) {
      raw = 'ALLOW'; verdict = 'allow'; i += 6;
    } else if (b[i] === 68 && b[i + 1] === 82 && b[i + 2] === 79 && b[i + 3] === 80 && b[i + 4] === 32) {
      raw = 'DROP'; verdict = 'deny'; i += 5;
    } else return false;
    while (i < e && b[i] === 32) i++;
    let transport: string;
    const p0 = b[i];
    if (p0 === 84 && b[i + 1] === 67 && b[i + 2] === 80 && b[i + 3] === 32) { transport = 'tcp'; i += 4; }
    else if (p0 === 85 && b[i + 1] === 68 && b[i + 2] === 80 && b[i + 3] === 32) { transport = 'udp'; i += 4; }
    else if (p0 === 73 && b[i + 1] === 67 && b[i + 2] === 77 && b[i + 3] === 80 && b[i + 4] === 32) { transport = 'icmp'; i += 5; }
    else return false;
    while (i < e && b[i] === 32) i++;

    let gate = false;
    const sa = i;
    let src: string | null = this.v4(b, i, e);
    i = this.tokEnd;
    if (src === '') {
      if (i === sa) return false;
      src = this.v6(b, sa, i);
      if (src === null) { // other IPv6 spellings; '-' and bad addresses: `one` gives the reason
        src = this.addrs.addr(b, sa, i);
        if (src === null) return false;
        gate = true;
      }
    }
    while (i < e && b[i] === 32) i++;
    const da = i;
    let dst: string | null = this.v4(b, i, e);
    i = this.tokEnd;
    if (dst === '') {
      if (i === da) return false;
      dst = this.v6(b, da, i);
      if (dst === null) {
        dst = this.addrs.addr(b, da, i);
        if (dst === null) return false;
        gate = true;
      }
    }
    while (i < e && b[i] === 32) i++;

    let sport = -1, dport = -1;
    if (transport === 'icmp') { // ports never read for ICMP (type/code live in their own columns)
      for (let k = 0; k < 2; k++) {
        if (i >= e) return false;
        while (i < e && b[i] !== 32) i++;
        while (i < e && b[i] === 32) i++;
      }
    } else {
      sport = this.port(b, i, e);
      if (sport === -2) return false;
      i = this.tokEnd;
      while (i < e && b[i] === 32) i++;
      dport = this.port(b, i, e);
      if (dport === -2) return false;
      i = this.tokEnd;
      while (i < e && b[i] === 32) i++;
    }
    // the other columns: size … path [pid] (17 or 18 in all), or the compact shape's [size] PATH [pid]
    const st = this.st, en = this.en;
    let count = 8;
    while (i < e) {
      if (count === 18) return false;
      st[count] = i;
      while (i < e && b[i] !== 32) i++;
      en[count++] = i;
      while (i < e && b[i] === 32) i++;
    }
    let pSize = 8, pPath = 16;
    if (count < 17) { // the compact shape, as `one` recognises it
      if (count < 9 || count > 11) return false;
      if (count <= 10 && isPathToken(b, st[8]!, en[8]!)) { pSize = -1; pPath = 8; }
      else if (count >= 10 && isPathToken(b, st[9]!, en[9]!)) pPath = 9;
      else return false;
    }
    const size = verdict === 'deny' && pSize >= 0 ? num(b, st[pSize]!, en[pSize]!) : -1;
    const pa = st[pPath]!, pe = en[pPath]!;

    this.fieldsText = null;
    this.exactFit = count === this.layout.count;
    const f = newFlow(this.format, this.file, lineNo);
    f.ts = ts;
    f.action = verdict;
    f.raw_action = raw;
    f.transport = transport;
    f.src_ip = src;
    f.dst_ip = dst;
    if (sport >= 0) f.src_port = sport;
    if (dport >= 0) f.dst_port = dport;
    if (verdict === 'deny') {
      f.packets = 1;
      if (size >= 0) f.bytes = size;
    }
    f.direction = directionOf(b, pa, pe);
    if (gate) this.sink.flow(f);
    else this.cap.flow(f);
    this.fastLines++;
    return true;
  }

  /** Off: every line takes the general path (test/winfw-fast.test.ts compares both). */
  fastOn = true;
  /** Lines the fast path read. */
  fastLines = 0;

  /** Text lines (UTF-16 input, lines with NUL): the same parse on the line's UTF-8 bytes. */
  line(text: string, lineNo: number): void {
    const b = Buffer.from(text, 'utf8');
    this.bytes(b, 0, b.length, lineNo);
  }

  bytes(b: Buffer, start: number, end: number, lineNo: number): void {
    this.joiner.line(b, start, end, lineNo);
  }

  /** End of a range of lines: the held line is decided. */
  flush(): void { this.joiner.flush(); }
  end(): void { this.joiner.flush(); }

  private one(text: Buffer, start: number, len: number, lineNo: number): void {
    this.exactFit = false;
    if (len === start) return; // blank lines: ignored silently (see header comment)
    const c0 = text[start];
    const fields = this.fieldsText;
    this.fieldsText = null;
    if (c0 === 35) { // '#'
      if (litAt(text, start, len, '#Fields:')) {
        const t = text.toString('utf8', start + 8, len);
        const names = fieldNames(t);
        if (names.length > 0 && names.length <= MAX_TOKENS) this.layout = layoutFrom(names);
        this.fieldsText = t;
      }
      this.sink.skip('header', lineNo, 'not-flow');
      return;
    }
    if (fields !== null && !startsRecord(text, start, len)) {
      // a `#Fields:` line wrapped by copy/paste: the join (without or with a space) that names only
      // known columns; the continuation counts as such
      const rest = text.toString('utf8', start, len);
      const a = fields + rest, b = `${fields} ${rest}`;
      const okA = knownFields(fieldNames(a)), okB = knownFields(fieldNames(b));
      const pick = okA && okB ? (fieldNames(a).join(' ') === fieldNames(b).join(' ') ? a : null) : okA ? a : okB ? b : null;
      if (pick !== null) {
        this.layout = layoutFrom(fieldNames(pick));
        this.fieldsText = pick;
        this.sink.skip(CONTINUATION, lineNo, 'not-flow');
        return;
      }
    }
    // tokenize on spaces (runs of spaces count as one separator; pfirewall.log uses no tabs)
    const st = this.st, en = this.en;
    let n = 0, s0 = start;
    for (let i = start; i < len; i++) {
      if (text[i] !== 32) continue;
      if (i > s0) {
        if (n === MAX_TOKENS) { n++; s0 = len; break; }
        st[n] = s0; en[n++] = i;
      }
      s0 = i + 1;
    }
    if (len > s0 && n < MAX_TOKENS) { st[n] = s0; en[n++] = len; } else if (len > s0) n = MAX_TOKENS + 1;
    if (n === 0) return; // whitespace-only: same as blank

    const L = this.layout;
    // positions for this line
    let pDate = L.date, pTime = L.time, pAct = L.action, pProto = L.protocol, pSrc = L.src, pDst = L.dst;
    let pSport = L.sport, pDport = L.dport, pSize = L.size, pInfo = L.info, pPath = L.path;
    const fits = n === L.count || (L.standard && (n === 17 || n === 18)) || (L.pidLast && n === L.count - 1);
    this.exactFit = n === L.count;
    if (!fits) {
      // compact shape: date time action proto src dst sport dport [size] PATH [pid]
      let compact = false;
      if (n >= 9 && n <= 11) {
        for (const p of [8, 9]) {
          if (p < n && n - p - 1 <= 1 && isPathToken(text, st[p]!, en[p]!)) {
            pDate = 0; pTime = 1; pAct = 2; pProto = 3; pSrc = 4; pDst = 5; pSport = 6; pDport = 7;
            pSize = p === 9 ? 8 : -1; pInfo = -1; pPath = p;
            compact = true;
            break;
          }
        }
      }
      if (!compact) {
        // INFO-EVENTS-LOST written with an unexpected layout still counts as lost events
        if (n >= 3 && en[2]! - st[2]! === LOST.length && litAt(text, st[2]!, len, LOST)) {
          let lost = 1;
          for (let k = 3; k < n; k++) { const v = num(text, st[k]!, en[k]!); if (v >= 0) { lost = v; break; } }
          this.sink.note('lost-events', lost);
          this.sink.skip('info-events-lost', lineNo, 'not-flow');
          return;
        }
        this.sink.skip(n > MAX_TOKENS ? 'field count (too many tokens)' : `field count (${n}, expected ${L.count})`,
          lineNo, 'malformed');
        return;
      }
    }
    if (pDate < 0 || pTime < 0 || pAct < 0) { this.sink.skip('layout without date/time/action', lineNo, 'malformed'); return; }

    // action
    const aS = st[pAct]!, aE = en[pAct]!;
    let raw: string | null = null;
    let verdict: Action = 'unknown';
    switch (aE - aS) {
      case 4:
        if (litAt(text, aS, aE, 'DROP')) { raw = 'DROP'; verdict = 'deny'; }
        else if (litAt(text, aS, aE, 'OPEN')) { raw = 'OPEN'; verdict = 'allow'; }
        break;
      case 5:
        if (litAt(text, aS, aE, 'ALLOW')) { raw = 'ALLOW'; verdict = 'allow'; }
        else if (litAt(text, aS, aE, 'CLOSE')) { raw = 'CLOSE'; verdict = 'allow'; }
        break;
      case 12:
        if (litAt(text, aS, aE, 'OPEN-INBOUND')) { raw = 'OPEN-INBOUND'; verdict = 'allow'; }
        break;
    }
    if (raw === null && aE - aS === LOST.length && litAt(text, aS, aE, LOST)) {
      const v = pInfo >= 0 && pInfo < n ? num(text, st[pInfo]!, en[pInfo]!) : -2;
      this.sink.note('lost-events', v >= 0 ? v : 1);
      this.sink.skip('info-events-lost', lineNo, 'not-flow');
      return;
    }

    // timestamp: YYYY-MM-DD HH:MM:SS (fraction ignored if present)
    const ds = st[pDate]!, ts0 = st[pTime]!, de = en[pDate]!, te = en[pTime]!;
    if (de - ds !== 10 || text[ds + 4] !== 45 || text[ds + 7] !== 45
      || te - ts0 < 8 || text[ts0 + 2] !== 58 || text[ts0 + 5] !== 58) {
      this.sink.skip('bad timestamp', lineNo, 'malformed');
      return;
    }
    const yh = d2B(text, ds, de), yl = d2B(text, ds + 2, de);
    const y = yh < 0 || yl < 0 ? -1 : yh * 100 + yl, mo = d2B(text, ds + 5, de), d = d2B(text, ds + 8, de);
    const h = d2B(text, ts0, te), mi = d2B(text, ts0 + 3, te), s = d2B(text, ts0 + 6, te);
    if ((y | mo | d | h | mi | s) < 0) {
      this.sink.skip('bad timestamp', lineNo, 'malformed');
      return;
    }
    const key = ((((y * 13 + mo) * 32 + d) * 24 + h) * 60 + mi) * 61 + s;
    let ts: number;
    if (key === this.lastKey) ts = this.lastTs;
    else {
      ts = civilToUtc(this.opts.zone, y, mo, d, h, mi, s, 0, null);
      if (ts < 0) { this.sink.skip(timeError(ts), lineNo, 'malformed'); return; }
      this.lastKey = key; this.lastTs = ts;
    }

    // A token that is no pfirewall.log action means a corrupt or shifted line: never a guessed verdict.
    if (raw === null) { this.sink.skip('invalid action (not ALLOW, DROP, OPEN, OPEN-INBOUND or CLOSE)', lineNo, 'malformed'); return; }
    const f = newFlow(this.format, this.file, lineNo);
    f.ts = ts;
    f.action = verdict;
    f.raw_action = raw;

    // protocol
    let transport: string | null = null;
    if (pProto >= 0 && pProto < n) {
      const pS = st[pProto]!, pE = en[pProto]!, pl = pE - pS;
      if (pl === 3 && litAt(text, pS, pE, 'TCP')) transport = 'tcp';
      else if (pl === 3 && litAt(text, pS, pE, 'UDP')) transport = 'udp';
      else if (pl === 4 && litAt(text, pS, pE, 'ICMP')) transport = 'icmp';
      else transport = normalizeTransport(utf8(text, pS, pE));
    }
    f.transport = transport;

    // addresses ('-' = none)
    if (pSrc >= 0 && pSrc < n) {
      const a = st[pSrc]!, b = en[pSrc]!;
      if (!(b - a === 1 && text[a] === 45)) {
        const v = this.addrs.addr(text, a, b);
        if (v === null) { this.sink.skip('bad src-ip', lineNo, 'malformed'); return; }
        f.src_ip = v;
      }
    }
    if (pDst >= 0 && pDst < n) {
      const a = st[pDst]!, b = en[pDst]!;
      if (!(b - a === 1 && text[a] === 45)) {
        const v = this.addrs.addr(text, a, b);
        if (v === null) { this.sink.skip('bad dst-ip', lineNo, 'malformed'); return; }
        f.dst_ip = v;
      }
    }

    // ports (never for ICMP)
    if (transport !== 'icmp' && transport !== 'icmpv6') {
      if (pSport >= 0 && pSport < n) {
        const v = num(text, st[pSport]!, en[pSport]!);
        if (v === -2 || v > 65535) { this.sink.skip('bad src-port', lineNo, 'malformed'); return; }
        if (v >= 0) f.src_port = v;
      }
      if (pDport >= 0 && pDport < n) {
        const v = num(text, st[pDport]!, en[pDport]!);
        if (v === -2 || v > 65535) { this.sink.skip('bad dst-port', lineNo, 'malformed'); return; }
        if (v >= 0) f.dst_port = v;
      }
    }

    if (f.action === 'deny') {
      f.packets = 1;
      if (pSize >= 0 && pSize < n) {
        const v = num(text, st[pSize]!, en[pSize]!);
        if (v >= 0) f.bytes = v;
      }
    }
    if (pPath >= 0 && pPath < n) f.direction = directionOf(text, st[pPath]!, en[pPath]!);
    this.sink.flow(f);
  }
}

export const winfw: ParserModule = {
  family: 'winfw',
  formats: ['winfw'],
  detect,
  forced(_format: string, head: string): Detection {
    return { format: 'winfw', dialect: dialectOf(head), framing: 'lines', confidence: 1 };
  },
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser {
    return new WinfwParser(det, opts, sink); // (every result passes guardSink: see the constructor)
  },
  startsRecord(_det: Detection, b: Buffer, start: number, end: number): boolean {
    return startsRecord(b, start, end);
  },
};
