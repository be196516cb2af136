/**
 * Windows Firewall log (`pfirewall.log`, W3C-style, space separated, local time).
 *
 * Hot path: one pass over the line's char codes records token boundaries; numbers (date, time, ports,
 * size) are read straight from the char codes and strings are only built for the kept fields (action,
 * protocol, the two addresses). The UTC timestamp is cached for repeated `date time` prefixes.
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
import { canonicalIp, ipv4ToInt } from '../src/model/ip.js';
import { civilToUtc, timeError } from '../src/model/time.js';
import { newFlow, normalizeTransport, type Action, type Direction } from '../src/model/flow.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';

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
const MAX_TOKENS = 40;

const LOST = 'INFO-EVENTS-LOST';

function isPathToken(s: string, a: number, b: number): boolean {
  const len = b - a;
  const c = s.charCodeAt(a);
  if (len === 4 && c === 83) return s.startsWith('SEND', a);
  if (len === 7 && c === 82) return s.startsWith('RECEIVE', a);
  if (len === 7 && c === 70) return s.startsWith('FORWARD', a);
  if (len === 7 && c === 85) return s.startsWith('UNKNOWN', a);
  return false;
}

function directionOf(s: string, a: number, b: number): Direction {
  const len = b - a;
  const c = s.charCodeAt(a);
  if (len === 4 && c === 83 && s.startsWith('SEND', a)) return 'outbound';
  if (len === 7 && c === 82 && s.startsWith('RECEIVE', a)) return 'inbound';
  if (len === 7 && c === 70 && s.startsWith('FORWARD', a)) return 'forward';
  return null;
}

/** Decimal integer in s[a,b), -1 for `-`, -2 when not a number. */
function num(s: string, a: number, b: number): number {
  if (b - a === 1 && s.charCodeAt(a) === 45) return -1;
  if (b <= a || b - a > 15) return -2;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
}

/** Two ASCII digits at i, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48, b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const v6cache = new Map<string, string | null>();

/** canonicalIp without building anything for the common already-canonical IPv4 case; IPv6 cached. */
function ip(s: string): string | null {
  if (s.indexOf(':') < 0) {
    if (ipv4ToInt(s) < 0) return null;
    // leading zero in a part ⇒ let canonicalIp rewrite it
    for (let i = 0; i < s.length - 1; i++) {
      if (s.charCodeAt(i) === 48 && (i === 0 || s.charCodeAt(i - 1) === 46)) {
        const n = s.charCodeAt(i + 1);
        if (n >= 48 && n <= 57) return canonicalIp(s);
      }
    }
    return s;
  }
  let v = v6cache.get(s);
  if (v === undefined) {
    v = canonicalIp(s);
    if (v6cache.size >= 4096) v6cache.clear();
    v6cache.set(s, v);
  }
  return v;
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

class WinfwParser implements RecordParser {
  private layout: Layout = DEFAULT_LAYOUT;
  private readonly st = new Int32Array(MAX_TOKENS);
  private readonly en = new Int32Array(MAX_TOKENS);
  private lastKey = -1;
  private lastTs = 0;
  private readonly file: string;
  private readonly format: string;

  constructor(det: Detection, private readonly opts: ParseOptions, private readonly sink: ParseSink) {
    this.file = opts.file;
    this.format = det.format;
  }

  // Two-entry cache of recent addresses: the logging host is on one side of nearly every line, so most
  // lookups are a startsWith at the token's offset instead of a slice + validation.
  private rawA = ''; private canA: string | null = null;
  private rawB = ''; private canB: string | null = null;
  private flip = false;

  private addr(text: string, a: number, b: number): string | null {
    const len = b - a;
    if (this.rawA.length === len && text.startsWith(this.rawA, a)) return this.canA;
    if (this.rawB.length === len && text.startsWith(this.rawB, a)) return this.canB;
    const raw = text.slice(a, b);
    const v = ip(raw);
    if (this.flip) { this.rawB = raw; this.canB = v; } else { this.rawA = raw; this.canA = v; }
    this.flip = !this.flip;
    return v;
  }

  line(text: string, lineNo: number): void {
    const len = text.length;
    if (len === 0) return; // blank lines: ignored silently (see header comment)
    const c0 = text.charCodeAt(0);
    if (c0 === 35) { // '#'
      if (text.startsWith('#Fields:')) {
        const names = text.slice(8).trim().split(/\s+/).filter((x) => x.length > 0);
        if (names.length > 0 && names.length <= MAX_TOKENS) this.layout = layoutFrom(names);
      }
      this.sink.skip('header', lineNo, 'not-flow');
      return;
    }
    // tokenize on spaces (runs of spaces count as one separator; pfirewall.log uses no tabs)
    const st = this.st, en = this.en;
    let n = 0, s0 = 0, sp: number;
    while ((sp = text.indexOf(' ', s0)) >= 0) {
      if (sp > s0) {
        if (n === MAX_TOKENS) { n++; break; }
        st[n] = s0; en[n++] = sp;
      }
      s0 = sp + 1;
    }
    if (len > s0 && n < MAX_TOKENS) { st[n] = s0; en[n++] = len; } else if (len > s0) n = MAX_TOKENS + 1;
    if (n === 0) return; // whitespace-only: same as blank

    const L = this.layout;
    // positions for this line
    let pDate = L.date, pTime = L.time, pAct = L.action, pProto = L.protocol, pSrc = L.src, pDst = L.dst;
    let pSport = L.sport, pDport = L.dport, pSize = L.size, pInfo = L.info, pPath = L.path;
    const fits = n === L.count || (L.standard && (n === 17 || n === 18)) || (L.pidLast && n === L.count - 1);
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
        if (n >= 3 && en[2]! - st[2]! === LOST.length && text.startsWith(LOST, st[2]!)) {
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
        if (text.startsWith('DROP', aS)) { raw = 'DROP'; verdict = 'deny'; }
        else if (text.startsWith('OPEN', aS)) { raw = 'OPEN'; verdict = 'allow'; }
        break;
      case 5:
        if (text.startsWith('ALLOW', aS)) { raw = 'ALLOW'; verdict = 'allow'; }
        else if (text.startsWith('CLOSE', aS)) { raw = 'CLOSE'; verdict = 'allow'; }
        break;
      case 12:
        if (text.startsWith('OPEN-INBOUND', aS)) { raw = 'OPEN-INBOUND'; verdict = 'allow'; }
        break;
    }
    if (raw === null && aE - aS === LOST.length && text.startsWith(LOST, aS)) {
      const v = pInfo >= 0 && pInfo < n ? num(text, st[pInfo]!, en[pInfo]!) : -2;
      this.sink.note('lost-events', v >= 0 ? v : 1);
      this.sink.skip('info-events-lost', lineNo, 'not-flow');
      return;
    }

    // timestamp: YYYY-MM-DD HH:MM:SS (fraction ignored if present)
    const ds = st[pDate]!, ts0 = st[pTime]!;
    if (en[pDate]! - ds !== 10 || text.charCodeAt(ds + 4) !== 45 || text.charCodeAt(ds + 7) !== 45
      || en[pTime]! - ts0 < 8 || text.charCodeAt(ts0 + 2) !== 58 || text.charCodeAt(ts0 + 5) !== 58) {
      this.sink.skip('bad timestamp', lineNo, 'malformed');
      return;
    }
    const yh = d2(text, ds), yl = d2(text, ds + 2);
    const y = yh < 0 || yl < 0 ? -1 : yh * 100 + yl, mo = d2(text, ds + 5), d = d2(text, ds + 8);
    const h = d2(text, ts0), mi = d2(text, ts0 + 3), s = d2(text, ts0 + 6);
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
      if (pl === 3 && text.startsWith('TCP', pS)) transport = 'tcp';
      else if (pl === 3 && text.startsWith('UDP', pS)) transport = 'udp';
      else if (pl === 4 && text.startsWith('ICMP', pS)) transport = 'icmp';
      else transport = normalizeTransport(text.slice(pS, pE));
    }
    f.transport = transport;

    // addresses ('-' = none)
    if (pSrc >= 0 && pSrc < n) {
      const a = st[pSrc]!, b = en[pSrc]!;
      if (!(b - a === 1 && text.charCodeAt(a) === 45)) {
        const v = this.addr(text, a, b);
        if (v === null) { this.sink.skip('bad src-ip', lineNo, 'malformed'); return; }
        f.src_ip = v;
      }
    }
    if (pDst >= 0 && pDst < n) {
      const a = st[pDst]!, b = en[pDst]!;
      if (!(b - a === 1 && text.charCodeAt(a) === 45)) {
        const v = this.addr(text, a, b);
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
    sink = guardSink(sink);
    return new WinfwParser(det, opts, sink);
  },
};
