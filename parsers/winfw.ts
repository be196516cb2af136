/**
 * Windows Firewall log (`pfirewall.log`, W3C-style, space separated, local time).
 *
 * Hot path: the line's UTF-8 bytes (`bytes()`, straight from the read buffer; `line()` encodes text to
 * the same bytes): one pass records token boundaries; numbers (date, time, ports, size) and IPv4 are
 * read from the bytes, and strings exist only for the kept fields: action, protocol and direction are
 * constants, addresses are interned (parsers/bytes.ts). The UTC timestamp is cached for repeated
 * `date time` prefixes.
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
import { civilToUtc, timeError } from '../src/model/time.js';
import { newFlow, normalizeTransport, type Action, type Direction } from '../src/model/flow.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';
import { Capture, CONTINUATION, WrapJoiner } from './wrap.js';
import { AddrInterner, d2B, litAt, text as utf8 } from './bytes.js';

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
    this.sink = guardSink(cap);
    this.joiner = new WrapJoiner(cap, out, (b, s, e, n, replay) => {
      if (replay) { // the layout of the joined record's first line
        const now = this.layout;
        this.layout = this.pinnedLayout;
        this.one(b, s, e, n);
        this.layout = now;
      } else this.one(b, s, e, n);
      return startsRecord(b, s, e);
    }, () => { this.pinnedLayout = this.layout; return true; }, RECORD_TOKENS, () => this.exactFit);
  }

  private readonly addrs = new AddrInterner();

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
