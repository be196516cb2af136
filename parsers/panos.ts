/**
 * Palo Alto Networks PAN-OS TRAFFIC and THREAT logs (docs/log-formats.md §4).
 *
 * Formats:
 * - `panos-syslog` (lines): the syslog CSV body behind any envelope (BSD with/without PRI or hostname,
 *   IETF with one or two spaces, octet counting `535 <14>1 …` incl. several frames on one line, relay
 *   double headers, no header, Wazuh test-case wrapper `log N pass = …`). The CSV start is located by
 *   the `type` value (position 3, after FUTURE_USE, receive_time, serial); lines without the leading
 *   FUTURE_USE column (Prisma Access) are read with positions shifted back.
 * - `panos-csv` (lines): web UI / Panorama CSV export with a header row, columns by normalized name.
 * - `panos-json` (json): Cortex Data Lake / Strata Logging Service records (CamelCase keys, snake_case
 *   query results with `{"value": x}` wrappers) and custom payloads keyed by the `$variable` names.
 *
 * Hot path (syslog): a CSV boundary scanner (parsers/csv.ts) reads fields only up to the ones needed;
 * strings are built for the kept fields; common tokens (tcp/udp, allow/deny …) are interned.
 *
 * Decisions visible in the output:
 * - Every TRAFFIC line is a flow (start/end/drop/deny); `start` lines are also counted with
 *   `sink.note('traffic-start', 1)` so later stages can dedupe. end_reason is the field as given.
 * - TRAFFIC action: `allow` → allow, any other token → deny, empty → unknown. THREAT: alert/allow/
 *   continue/override → allow; the block tokens → deny; unknown tokens → unknown.
 * - THREAT subtype `url`: url = misc (field 31) as logged, host = misc up to the first `/`, `?` or `#`,
 *   without `:port` and `[]`, lower-cased. Other THREAT subtypes carry no url/host.
 * - ts = high_res_timestamp (TRAFFIC 102 / THREAT 107; ISO with offset, located without counting
 *   fields, see findHiRes) when it agrees with time_generated within 5 minutes, else time_generated
 *   (6; ISO with Z/offset as given, otherwise wall-clock in --tz), else receive_time (1) when
 *   time_generated is empty. A present but invalid date (e.g. `2020/00/00`)
 *   skips the line as 'malformed'.
 * - device = device_name (TRAFFIC 52 / THREAT 59), else the serial (2). direction stays null (zones
 *   are site-specific; THREAT's client-to-server is not a network direction).
 * - ICMP/ICMPv6 flows carry no ports (PAN-OS logs 0/0 for them).
 * - Missing or invalid src/dst addresses → 'malformed'. Lines shorter than 31 fields → 'malformed'.
 * - SYSTEM/CONFIG/GLOBALPROTECT/… lines → 'not-flow' `panos <TYPE> log`; other text → 'not-flow'.
 */
import { canonicalIp } from '../src/model/ip.js';
import { newFlow, normalizeTransport, type Action, type Flow } from '../src/model/flow.js';
import type { ZoneConverter } from '../src/model/time.js';
import { CsvFields, splitCsvLine } from './csv.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';


const FORMATS = ['panos-syslog', 'panos-csv', 'panos-json'] as const;

/** Log types that are not flows (skipped 'not-flow' with their own reason). */
const OTHER_TYPES = new Set([
  'SYSTEM', 'CONFIG', 'GLOBALPROTECT', 'USERID', 'HIPMATCH', 'HIP-MATCH', 'CORRELATION', 'AUTHENTICATION',
  'AUTH', 'DECRYPTION', 'TUNNEL', 'GTP', 'SCTP', 'IPTAG', 'AUDIT', 'DATA', 'WILDFIRE', 'EMAIL',
]);

// ---------------------------------------------------------------------------------------------------
// Field positions (0-based, syslog order).
const F_RECEIVE = 1, F_SERIAL = 2, F_TYPE = 3, F_SUBTYPE = 4, F_TIME = 6, F_SRC = 7, F_DST = 8;
const F_RULE = 11, F_APP = 14, F_SPORT = 24, F_DPORT = 25, F_PROTO = 29, F_ACTION = 30;
const T_BYTES = 31, T_PACKETS = 34, T_END_REASON = 46, T_DEVICE = 52;
const H_MISC = 31, H_DEVICE = 59;

// ---------------------------------------------------------------------------------------------------
// Actions.
const THREAT_ALLOW = ['alert', 'allow', 'continue', 'override'];
const THREAT_DENY = [
  'block-url', 'block-continue', 'block-override', 'override-lockout', 'deny', 'drop', 'reset-client',
  'reset-server', 'reset-both', 'block-ip', 'sinkhole', 'random-drop', 'drop-all-packets', 'block',
];
const TRAFFIC_DENY_TOKENS = ['deny', 'drop', 'drop-icmp', 'reset-client', 'reset-server', 'reset-both'];
/** Tokens interned when read from a line (no allocation for the common values). */
const ACTION_TOKENS = ['allow', 'deny', 'drop', 'reset-both', 'alert', 'block-url', 'reset-client',
  'reset-server', 'drop-icmp', 'continue', 'override', 'block-continue', 'block-override', 'override-lockout',
  'block-ip', 'sinkhole', 'random-drop', 'drop-all-packets', 'block'];
const THREAT_ACTIONS = new Map<string, Action>();
for (const a of THREAT_ALLOW) THREAT_ACTIONS.set(a, 'allow');
for (const a of THREAT_DENY) THREAT_ACTIONS.set(a, 'deny');

/** TRAFFIC verdict: allow → allow, empty → unknown, anything else (deny, drop, reset-*) → deny. */
export function trafficAction(raw: string | null): Action {
  if (raw === null || raw === '') return 'unknown';
  return raw.trim().toLowerCase() === 'allow' ? 'allow' : 'deny';
}

/** THREAT (incl. url) verdict per the PAN-OS action table; unknown tokens → unknown. */
export function threatAction(raw: string | null): Action {
  if (raw === null || raw === '') return 'unknown';
  const a = THREAT_ACTIONS.get(raw);
  if (a) return a;
  const k = raw.trim().toLowerCase().replace(/\s+/g, '-');
  return THREAT_ACTIONS.get(k) ?? (k === 'drop-icmp' ? 'deny' : 'unknown');
}

/** Verdict when the log type is unknown (JSON without a type): union of both tables. */
function anyAction(raw: string | null): Action {
  const t = threatAction(raw);
  if (t !== 'unknown' || raw === null) return t;
  const k = raw.trim().toLowerCase().replace(/\s+/g, '-');
  return TRAFFIC_DENY_TOKENS.includes(k) ? 'deny' : 'unknown';
}

const TRANSPORTS = ['tcp', 'udp', 'icmp', 'icmp6', 'ipv6-icmp', 'sctp', 'gre', 'esp'];

// ---------------------------------------------------------------------------------------------------
// URL host.

/** Host of a PAN-OS URL field (no scheme; may carry `host:port`, path, query): lower-case, or null. */
export function hostFromUrl(url: string | null): string | null {
  if (url === null) return null;
  let s = url.trim();
  const scheme = s.indexOf('://');
  if (scheme > 0 && scheme < 10) s = s.slice(scheme + 3);
  let end = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35 || c === 32) { end = i; break; } // / ? # space
  }
  s = s.slice(0, end);
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) {
    const rb = s.indexOf(']');
    s = rb > 0 ? s.slice(1, rb) : s.slice(1);
  } else {
    const colon = s.indexOf(':');
    if (colon >= 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  }
  if (s === '' || s === '-') return null;
  return s.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------
// Time.

function digits(s: string, a: number, n: number): number {
  let v = 0;
  for (let k = a; k < a + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

const DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses `YYYY/MM/DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH:MM|±HHMM]` in s[a, b).
 * Without an offset the time is wall-clock in `zone`. Returns NaN when invalid.
 */
export function parseStamp(s: string, a: number, b: number, zone: ZoneConverter): number {
  if (b - a < 19) return NaN;
  const y = digits(s, a, 4), mo = digits(s, a + 5, 2), d = digits(s, a + 8, 2);
  const h = digits(s, a + 11, 2), mi = digits(s, a + 14, 2), se = digits(s, a + 17, 2);
  const s1 = s.charCodeAt(a + 4), s2 = s.charCodeAt(a + 7), sp = s.charCodeAt(a + 10);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > DAYS[mo]! || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) return NaN;
  if (!((s1 === 47 && s2 === 47) || (s1 === 45 && s2 === 45))) return NaN;
  if (!(sp === 32 || sp === 84 || sp === 116) || s.charCodeAt(a + 13) !== 58 || s.charCodeAt(a + 16) !== 58) return NaN;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  let k = a + 19;
  let ms = 0;
  if (k < b && s.charCodeAt(k) === 46) {
    k++;
    let scale = 100;
    while (k < b) {
      const c = s.charCodeAt(k) - 48;
      if (!(c >= 0 && c <= 9)) break;
      ms += c * scale;
      scale /= 10;
      k++;
    }
    ms = Math.floor(ms);
  }
  const sec = se === 60 ? 59 : se;
  if (k === b) return zone.toUtc(y, mo, d, h, mi, sec, ms);
  const c = s.charCodeAt(k);
  if ((c === 90 || c === 122) && k + 1 === b) return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  if (c === 43 || c === 45) {
    const oh = digits(s, k + 1, 2);
    let om = 0;
    let e = k + 3;
    if (e < b) {
      if (s.charCodeAt(e) === 58) e++;
      om = digits(s, e, 2);
      e += 2;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || e !== b) return NaN;
    const off = (oh * 60 + om) * 60_000;
    return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - (c === 43 ? off : -off);
  }
  return NaN;
}

/** True when s[a,b) looks like an ISO stamp with date and time (`YYYY-MM-DDT…`). */
function isIsoAt(s: string, a: number, b: number): boolean {
  return b - a >= 20 && s.charCodeAt(a + 4) === 45 && s.charCodeAt(a + 10) === 84;
}

/** Wall-clock of a `YYYY?MM?DD?HH:MM:SS` stamp at a, as if UTC; NaN when a part is out of range. */
function wallMs(s: string, a: number): number {
  const y = digits(s, a, 4), mo = digits(s, a + 5, 2), d = digits(s, a + 8, 2);
  const h = digits(s, a + 11, 2), mi = digits(s, a + 14, 2), se = digits(s, a + 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

/** Largest distance between high_res_timestamp and time_generated accepted as the same event. */
const HIRES_TOLERANCE_MS = 300_000;

/**
 * Finds high_res_timestamp (`YYYY-MM-DDTHH:MM:SS.fff±HH:MM` or `…Z`, its own CSV field) after
 * position `from` (the end of the last field read). Instead of counting 40+ more fields to reach
 * position 102/107 (as much work as the rest of the line), the first ISO field with an offset whose
 * time agrees with time_generated within 5 minutes (`ref`: wall clock, or the instant when
 * `instant`) is taken: it is the same event time with milliseconds and the firewall's UTC offset.
 * Returns epoch ms or NaN.
 */
function findHiRes(s: string, from: number, ref: number, instant: boolean): number {
  let t = s.indexOf('T', from + 11);
  while (t >= 0) {
    const a = t - 10;
    if (s.charCodeAt(a - 1) === 44 && s.charCodeAt(a + 4) === 45 && s.charCodeAt(a + 7) === 45
      && s.charCodeAt(t + 3) === 58 && s.charCodeAt(t + 6) === 58) {
      const v = isoWithOffset(s, a);
      if (!Number.isNaN(v) && Math.abs((instant ? v : isoWall) - ref) <= HIRES_TOLERANCE_MS) return v;
    }
    t = s.indexOf('T', t + 1);
  }
  return NaN;
}

/** Wall clock (as if UTC, ms included) of the last successful `isoWithOffset` call. */
let isoWall = NaN;

/**
 * `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM|±HHMM)` field at a (ends at `,` or the end of s): epoch ms, or
 * NaN when there is no offset or a part is invalid.
 */
function isoWithOffset(s: string, a: number): number {
  const wall = wallMs(s, a);
  if (Number.isNaN(wall)) return NaN;
  const n = s.length;
  let k = a + 19;
  let ms = 0;
  if (k < n && s.charCodeAt(k) === 46) {
    k++;
    let scale = 100;
    for (let c = s.charCodeAt(k) - 48; k < n && c >= 0 && c <= 9; c = s.charCodeAt(++k) - 48) {
      ms += c * scale;
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  const c = s.charCodeAt(k);
  let off = 0;
  if (c === 90) k++;
  else if (c === 43 || c === 45) {
    const oh = digits(s, k + 1, 2);
    k += 3;
    if (s.charCodeAt(k) === 58) k++;
    const om = digits(s, k, 2);
    k += 2;
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    off = (oh * 60 + om) * 60_000;
    if (c === 45) off = -off;
  } else return NaN;
  if (k < n && s.charCodeAt(k) !== 44) return NaN;
  isoWall = wall + ms;
  return wall + ms - off;
}

/** JSON time: epoch number (s, ms, µs or ns by magnitude), numeric text, or a date text. */
function jsonTime(v: unknown, zone: ZoneConverter): number {
  if (typeof v === 'number') return epochOf(v);
  if (typeof v !== 'string') return NaN;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return epochOf(Number(t));
  const ms = parseStamp(t, 0, t.length, zone);
  if (!Number.isNaN(ms)) return ms;
  const p = Date.parse(t);
  return Number.isNaN(p) ? NaN : p;
}

function epochOf(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return NaN;
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1000);
  return Math.round(n / 1e6);
}

// ---------------------------------------------------------------------------------------------------
// Locating the CSV body inside a syslog line.

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

/** Fallback: [FU,]receive_time,serial,TYPE, anywhere in the line. */
const LOCATE_RE =
  /(?:^|[\s>])(?:([^,\s]{0,8}),)?(\d{4}[/-]\d{2}[/-]\d{2}[ T][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?),[^,]*,([A-Z][A-Z-]{2,19}),/;

const WRAPPER_RE = /^log \d+ (?:pass|fail) = /;
const OCTET_RE = /^(\d{1,6}) </;

// ---------------------------------------------------------------------------------------------------
// Detection.

const BODY_RE =
  /(?:^|[\s>,])\d{4}[/-]\d{2}[/-]\d{2}[ T][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?,[^,\r\n]*,([A-Z][A-Z-]{2,19}),/;

function syslogDialect(line: string): string {
  if (WRAPPER_RE.test(line)) return 'wazuh-ini';
  if (OCTET_RE.test(line)) return 'octet';
  if (/^<\d{1,3}>\s?\d /.test(line)) return 'ietf';
  if (/^<\d{1,3}>/.test(line)) return 'bsd';
  if (/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /.test(line)) return 'relay';
  if (/^[A-Z][a-z]{2} [ \d]\d /.test(line)) return 'bsd-nopri';
  if (/^\d{4}-\d\d-\d\dT/.test(line)) return 'rfc3339';
  return 'noheader';
}

function isWebHeader(line: string): boolean {
  const l = line.toLowerCase();
  return l.includes('receive time') && (l.includes('source address') || l.includes('source ip'))
    && l.indexOf(',') >= 0;
}

function detectJson(head: string): Detection | null {
  const t = head.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  const has = (re: RegExp) => re.test(head);
  // CDL/SLS records always carry LogType; Windows events share SourceAddress/DestinationPort names.
  if (has(/"(?:SourceAddress|DestinationAddress|SourceIP|DestinationIP)"\s*:/) && has(/"LogType"\s*:/)
    && !has(/"(?:EventID|EventId|event_id|winlog)"\s*:/)) {
    return { format: 'panos-json', dialect: 'cdl', framing: 'json', confidence: 0.9 };
  }
  if (has(/"source_ip"\s*:/) && has(/"dest_ip"\s*:/)) {
    return { format: 'panos-json', dialect: 'sls-query', framing: 'json', confidence: 0.8 };
  }
  if (has(/"\$?src"\s*:/) && has(/"\$?dst"\s*:/) && has(/"\$?(?:sport|dport|receive_time|time_generated|proto)"\s*:/)) {
    return { format: 'panos-json', dialect: 'custom', framing: 'json', confidence: 0.7 };
  }
  return null;
}

function detect(head: string, _fileName: string): Detection | null {
  const json = detectJson(head);
  if (json) return json;
  const lines = head.split('\n', 200);
  const first = lines.find((l) => l.trim() !== '');
  if (first !== undefined && isWebHeader(first)) {
    return { format: 'panos-csv', dialect: 'web-csv', framing: 'lines', confidence: 0.95 };
  }
  let flows = 0, others = 0, dialect: string | null = null;
  for (const l of lines) {
    const m = BODY_RE.exec(l);
    if (!m) continue;
    const t = m[1]!;
    if (t === 'TRAFFIC' || t === 'THREAT') flows++;
    else if (OTHER_TYPES.has(t)) others++;
    else continue;
    if (dialect === null) dialect = syslogDialect(l);
  }
  if (flows + others === 0) return null;
  if (WRAPPER_RE.test(head) || /^log \d+ (?:pass|fail) = /m.test(head)) dialect = 'wazuh-ini';
  return {
    format: 'panos-syslog', dialect: dialect ?? 'noheader', framing: 'lines',
    confidence: flows > 0 ? (flows + others >= 2 ? 0.95 : 0.85) : 0.6,
  };
}

function forced(format: string, head: string): Detection {
  const d = detect(head, '');
  if (d && d.format === format) return d;
  if (format === 'panos-json') return { format, dialect: 'cdl', framing: 'json', confidence: 1 };
  if (format === 'panos-csv') return { format, dialect: 'web-csv', framing: 'lines', confidence: 1 };
  if (format !== 'panos-syslog') throw new Error(`panos: unknown format ${format}`);
  const first = head.split('\n', 50).find((l) => BODY_RE.test(l));
  return { format, dialect: first ? syslogDialect(first) : 'noheader', framing: 'lines', confidence: 1 };
}

// ---------------------------------------------------------------------------------------------------
// Syslog parser.

class SyslogParser implements RecordParser {
  private readonly f = new CsvFields(128);
  private readonly format: string;
  private lastStamp = '';
  private lastMs = NaN;
  private lastWall = NaN;
  private lastIso = false;

  constructor(det: Detection, private readonly opts: ParseOptions, private readonly sink: ParseSink) {
    this.format = det.format;
  }

  line(text: string, lineNo: number): void {
    if (text.length === 0) return;
    let s = text;
    const c0 = s.charCodeAt(0);
    if (c0 === 108 /* l */ && s.startsWith('log ')) {
      const m = WRAPPER_RE.exec(s);
      if (m) s = s.slice(m[0].length);
      else { this.sink.skip('not a PAN-OS log line', lineNo, 'not-flow'); return; }
    } else if (c0 >= 48 && c0 <= 57 && s.length > 4) {
      // Octet counting: `LEN <PRI>…`; several frames may share one line.
      const m = OCTET_RE.exec(s);
      if (m) {
        let rest = s;
        let mm: RegExpExecArray | null = m;
        while (mm) {
          const body = mm[0].length - 1;
          const len = Number(mm[1]);
          const end = body + len;
          if (end < rest.length) {
            const tail = rest.slice(end).trimStart();
            const next = OCTET_RE.exec(tail);
            if (next) {
              this.frame(rest.slice(body, end), lineNo);
              rest = tail;
              mm = next;
              continue;
            }
          }
          this.frame(rest.slice(body), lineNo);
          return;
        }
        return;
      }
    }
    if (s.trim() === '') return;
    this.frame(s, lineNo);
  }

  /** Positions the field reader on the CSV body; false when the line is not a PAN-OS CSV log. */
  private locate(s: string): boolean {
    const f = this.f;
    const n = s.length;
    const c1 = s.indexOf(',');
    if (c1 < 0) return false;
    const c2 = s.indexOf(',', c1 + 1);
    if (c2 < 0) return false;
    const c3 = s.indexOf(',', c2 + 1);
    if (c3 < 0) return false;
    let c4 = s.indexOf(',', c3 + 1);
    if (c4 < 0) c4 = n;
    if (isDigitAt(s, c1 + 1) && isTypeToken(s, c3 + 1, c4)) {
      let a = c1;
      while (a > 0 && !isBodyBoundary(s.charCodeAt(a - 1))) a--;
      f.reset(s, a, 0);
      return true;
    }
    if (isTypeToken(s, c2 + 1, c3)) {
      // No leading FUTURE_USE: the line's first comma ends receive_time (`YYYY/MM/DD HH:MM:SS` or ISO).
      let a = c1;
      while (a > 0 && !isBodyBoundary(s.charCodeAt(a - 1))) a--;
      if (c1 - a === 8 && s.charCodeAt(a + 2) === 58 && a >= 11) {
        const d = a - 11;
        if (s.charCodeAt(a - 1) === 32 && digits(s, d, 4) >= 0 && (d === 0 || isBodyBoundary(s.charCodeAt(d - 1)))) a = d;
      }
      if (isDigitAt(s, a)) {
        f.reset(s, a, 1);
        return true;
      }
    }
    const m = LOCATE_RE.exec(s);
    if (!m) return false;
    const at = m.index + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) f.reset(s, at, 0);
    else f.reset(s, at, 1);
    return true;
  }

  private frame(s: string, lineNo: number): void {
    const f = this.f;
    const sink = this.sink;
    if (!this.locate(s)) { sink.skip('not a PAN-OS log line', lineNo, 'not-flow'); return; }
    f.readTo(F_SUBTYPE);
    let threat: boolean;
    if (f.is(F_TYPE, 'TRAFFIC')) threat = false;
    else if (f.is(F_TYPE, 'THREAT')) threat = true;
    else {
      const t = f.get(F_TYPE);
      sink.skip(OTHER_TYPES.has(t) ? `panos ${t} log` : 'panos other log', lineNo, 'not-flow');
      return;
    }
    const cnt = f.readTo(threat ? H_DEVICE : T_DEVICE);
    if (cnt <= F_ACTION) {
      sink.skip(threat ? 'panos THREAT line too short' : 'panos TRAFFIC line too short', lineNo, 'malformed');
      return;
    }
    const src = canonicalIp(f.get(F_SRC));
    const dst = canonicalIp(f.get(F_DST));
    if (src === null || dst === null) { sink.skip('panos invalid address', lineNo, 'malformed'); return; }

    // Time: high_res_timestamp, else time_generated, else receive_time.
    const zone = this.opts.zone;
    let ts = NaN;
    const tf = f.len(F_TIME) > 0 ? F_TIME : F_RECEIVE;
    if (f.len(tf) > 0) {
      const a = f.start(tf), b = f.end(tf);
      // Consecutive lines mostly share their time_generated: reuse the last conversion.
      if (b - a === this.lastStamp.length && s.startsWith(this.lastStamp, a)) ts = this.lastMs;
      else {
        ts = parseStamp(s, a, b, zone);
        this.lastStamp = s.slice(a, b);
        this.lastMs = ts;
        this.lastIso = isIsoAt(s, a, b);
        this.lastWall = this.lastIso ? ts : wallMs(s, a);
      }
      if (Number.isNaN(ts)) { sink.skip('panos invalid time', lineNo, 'malformed'); return; }
      // high_res_timestamp (TRAFFIC 102 / THREAT 107) lies after the last field read; see findHiRes.
      if (cnt > (threat ? H_DEVICE : T_DEVICE)) {
        const hr = findHiRes(s, f.end(cnt - 1), this.lastWall, this.lastIso);
        if (!Number.isNaN(hr)) ts = hr;
      }
    }

    const fl: Flow = newFlow(this.format, this.opts.file, lineNo);
    fl.ts = Number.isNaN(ts) ? null : ts;
    fl.src_ip = src;
    fl.dst_ip = dst;
    const sp = f.uint(F_SPORT), dp = f.uint(F_DPORT);
    fl.src_port = sp >= 0 && sp <= 65535 ? sp : null;
    fl.dst_port = dp >= 0 && dp <= 65535 ? dp : null;
    fl.transport = this.transport();
    if (fl.transport === 'icmp' || fl.transport === 'icmpv6') { fl.src_port = null; fl.dst_port = null; }
    const raw = this.rawAction();
    fl.raw_action = raw;
    fl.rule = f.opt(F_RULE);
    fl.app = f.opt(F_APP);
    if (threat) {
      fl.action = threatAction(raw);
      fl.device = f.opt(H_DEVICE) ?? f.opt(F_SERIAL);
      if (f.is(F_SUBTYPE, 'url')) {
        const misc = f.opt(H_MISC);
        fl.url = misc;
        fl.host = hostFromUrl(misc);
      }
    } else {
      fl.action = trafficAction(raw);
      fl.device = f.opt(T_DEVICE) ?? f.opt(F_SERIAL);
      const by = f.uint(T_BYTES), pk = f.uint(T_PACKETS);
      fl.bytes = by >= 0 ? by : null;
      fl.packets = pk >= 0 ? pk : null;
      fl.end_reason = f.opt(T_END_REASON);
      if (f.is(F_SUBTYPE, 'start')) sink.note('traffic-start', 1);
    }
    sink.flow(fl);
  }

  private transport(): string | null {
    const f = this.f;
    for (let i = 0; i < TRANSPORTS.length; i++) if (f.is(F_PROTO, TRANSPORTS[i]!)) return normalizeTransport(TRANSPORTS[i]!);
    return normalizeTransport(f.opt(F_PROTO));
  }

  private rawAction(): string | null {
    const f = this.f;
    for (let i = 0; i < ACTION_TOKENS.length; i++) if (f.is(F_ACTION, ACTION_TOKENS[i]!)) return ACTION_TOKENS[i]!;
    return f.opt(F_ACTION);
  }
}

// ---------------------------------------------------------------------------------------------------
// Web UI / Panorama CSV export.

/** Normalized header name (lower-case, letters and digits only) → flow input. */
const HEADER_ALIASES: Record<string, string[]> = {
  receive: ['receivetime', 'timereceived'],
  time: ['generatetime', 'timegenerated', 'generatedtime', 'generatedat'],
  hires: ['highresolutiontimestamp', 'highrestimestamp', 'hightimestamp'],
  serial: ['serial', 'serialnumber', 'serialno', 'deviceserial'],
  type: ['type', 'logtype'],
  subtype: ['threatcontenttype', 'subtype', 'contenttype', 'logsubtype'],
  src: ['sourceaddress', 'sourceip', 'src', 'srcip', 'source'],
  dst: ['destinationaddress', 'destinationip', 'dst', 'dstip', 'destination', 'destaddress'],
  sport: ['sourceport', 'srcport', 'sport'],
  dport: ['destinationport', 'dstport', 'dport', 'destport'],
  proto: ['ipprotocol', 'protocol', 'proto'],
  action: ['action'],
  rule: ['rule', 'rulename', 'securityrule'],
  app: ['application', 'app'],
  url: ['url', 'urlfilename', 'misc', 'urlfile'],
  device: ['devicename', 'hostname'],
  endReason: ['sessionendreason', 'endreason'],
  bytes: ['bytes', 'totalbytes'],
  packets: ['packets', 'totalpackets'],
};

function normHeader(h: string): string {
  return h.toLowerCase().replace(/[^a-z0-9]/g, '');
}

interface Columns {
  [k: string]: number;
}

function columnsOf(header: string[]): { cols: Columns; max: number; threatish: boolean } {
  const names = header.map(normHeader);
  const cols: Columns = {};
  let max = 0;
  for (const [k, aliases] of Object.entries(HEADER_ALIASES)) {
    let idx = -1;
    for (const a of aliases) { idx = names.indexOf(a); if (idx >= 0) break; }
    cols[k] = idx;
    if (idx > max) max = idx;
  }
  const threatish = names.includes('url') || names.includes('threatcontentname') || names.includes('urlfilename');
  return { cols, max, threatish };
}

const TRAFFIC_SUBTYPES = new Set(['start', 'end', 'drop', 'deny']);

class WebCsvParser implements RecordParser {
  private readonly f = new CsvFields(128);
  private layout: ReturnType<typeof columnsOf> | null = null;

  constructor(private readonly opts: ParseOptions, private readonly sink: ParseSink) {}

  line(text: string, lineNo: number): void {
    if (text.trim() === '') return;
    if (isWebHeader(text)) {
      this.layout = columnsOf(splitCsvLine(text));
      this.sink.skip('header', lineNo, 'not-flow');
      return;
    }
    const L = this.layout;
    if (!L) { this.sink.skip('panos csv row before header', lineNo, 'malformed'); return; }
    const f = this.f;
    f.reset(text, 0, 0);
    f.readTo(L.max);
    const c = L.cols;
    const col = (k: string): string | null => (c[k]! >= 0 ? f.opt(c[k]!) : null);
    const typeRaw = (col('type') ?? '').trim();
    const sub = (col('subtype') ?? '').trim().toLowerCase();
    const T = typeRaw.toUpperCase();
    let threat: boolean;
    if (T === 'TRAFFIC') threat = false;
    else if (T === 'THREAT' || T === 'URL') threat = true;
    else if (T === '') threat = L.threatish;
    else if (TRAFFIC_SUBTYPES.has(T.toLowerCase())) threat = false;
    else {
      this.sink.skip(OTHER_TYPES.has(T) ? `panos ${T} log` : 'panos other log', lineNo, 'not-flow');
      return;
    }
    const subtype = T === 'URL' ? 'url' : (T === '' || T === 'TRAFFIC' || T === 'THREAT' ? sub : T.toLowerCase());
    const src = canonicalIp((col('src') ?? '').trim());
    const dst = canonicalIp((col('dst') ?? '').trim());
    if (src === null || dst === null) { this.sink.skip('panos invalid address', lineNo, 'malformed'); return; }
    let ts = NaN;
    const hr = col('hires');
    if (hr) ts = parseStamp(hr, 0, hr.length, this.opts.zone);
    if (Number.isNaN(ts)) {
      const tg = col('time') ?? col('receive');
      if (tg) {
        ts = parseStamp(tg.trim(), 0, tg.trim().length, this.opts.zone);
        if (Number.isNaN(ts)) ts = jsonTime(tg, this.opts.zone);
        if (Number.isNaN(ts)) { this.sink.skip('panos invalid time', lineNo, 'malformed'); return; }
      }
    }
    const fl = newFlow('panos-csv', this.opts.file, lineNo);
    fl.ts = Number.isNaN(ts) ? null : ts;
    fl.src_ip = src;
    fl.dst_ip = dst;
    fl.src_port = portOf(col('sport'));
    fl.dst_port = portOf(col('dport'));
    fl.transport = normalizeTransport(col('proto'));
    if (fl.transport === 'icmp' || fl.transport === 'icmpv6') { fl.src_port = null; fl.dst_port = null; }
    const raw = col('action');
    fl.raw_action = raw;
    fl.action = threat ? threatAction(raw) : trafficAction(raw);
    fl.rule = col('rule');
    fl.app = col('app');
    fl.device = col('device') ?? col('serial');
    if (threat) {
      if (subtype === 'url') {
        const u = col('url');
        fl.url = u;
        fl.host = hostFromUrl(u);
      }
    } else {
      fl.bytes = countOf(col('bytes'));
      fl.packets = countOf(col('packets'));
      fl.end_reason = col('endReason');
      if (subtype === 'start') this.sink.note('traffic-start', 1);
    }
    this.sink.flow(fl);
  }
}

function portOf(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

function countOf(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

// ---------------------------------------------------------------------------------------------------
// JSON (CDL / SLS / custom payloads).

const JSON_KEYS = {
  hires: ['timegeneratedhighresolution', 'highrestimestamp', 'highresolutiontimestamp'],
  time: ['timegenerated', 'generatedtime', 'generatetime', 'eventtime'],
  receive: ['receivetime', 'timereceived'],
  type: ['logtype', 'type'],
  subtype: ['subtype', 'logsubtype'],
  src: ['sourceaddress', 'sourceip', 'src', 'srcip', 'sourceaddr'],
  dst: ['destinationaddress', 'destinationip', 'destip', 'dst', 'dstip', 'destaddress'],
  sport: ['sourceport', 'srcport', 'sport'],
  dport: ['destinationport', 'destport', 'dstport', 'dport'],
  proto: ['protocol', 'proto', 'ipprotocol'],
  action: ['action'],
  rule: ['rule', 'rulematched', 'rulename'],
  app: ['application', 'app'],
  device: ['devicename', 'logsourcename'],
  serial: ['serial', 'serialnumber', 'logsourceid', 'deviceserial'],
  bytes: ['bytes', 'bytestotal', 'totalbytes'],
  packets: ['packets', 'packetstotal', 'totalpackets'],
  packetsSent: ['packetssent'],
  packetsReceived: ['packetsreceived'],
  endReason: ['sessionendreason'],
  url: ['url', 'misc', 'urlfilename', 'uri'],
} as const;

const NON_FLOW_JSON_TYPES = new Set(['system', 'config', 'globalprotect', 'userid', 'hipmatch', 'hip-match',
  'correlation', 'authentication', 'auth', 'decryption', 'tunnel', 'gtp', 'sctp', 'iptag', 'audit']);

function unwrap(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ('value' in o) return o.value;
  }
  return v;
}

function scalarText(v: unknown): string | null {
  const u = unwrap(v);
  if (u === null || u === undefined) return null;
  if (typeof u === 'string') return u === '' ? null : u;
  if (typeof u === 'number' || typeof u === 'boolean') return String(u);
  return null;
}

class JsonParser implements RecordParser {
  constructor(private readonly opts: ParseOptions, private readonly sink: ParseSink) {}

  record(value: unknown, lineNo: number): void {
    const sink = this.sink;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      sink.skip('panos json record is not an object', lineNo, 'malformed');
      return;
    }
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const nk = normHeader(k.startsWith('$') ? k.slice(1) : k);
      if (!m.has(nk)) m.set(nk, v);
    }
    const pick = (keys: readonly string[]): unknown => {
      for (const k of keys) { const v = m.get(k); if (v !== undefined && v !== null) return unwrap(v); }
      return undefined;
    };
    const text = (keys: readonly string[]): string | null => {
      for (const k of keys) { const v = scalarText(m.get(k)); if (v !== null) return v; }
      return null;
    };
    let type = (text(JSON_KEYS.type) ?? '').trim().toLowerCase();
    const dot = type.lastIndexOf('.');
    if (dot >= 0) type = type.slice(dot + 1);
    let subtype = (text(JSON_KEYS.subtype) ?? '').trim().toLowerCase();
    if (type === 'url') subtype = 'url';
    if (NON_FLOW_JSON_TYPES.has(type)) { sink.skip(`panos ${type.toUpperCase()} log`, lineNo, 'not-flow'); return; }
    const kind: 'traffic' | 'threat' | 'any' = type === 'traffic' ? 'traffic'
      : type === 'threat' || type === 'url' ? 'threat' : 'any';
    if (type !== '' && kind === 'any') { sink.skip('panos other log', lineNo, 'not-flow'); return; }
    const srcText = text(JSON_KEYS.src), dstText = text(JSON_KEYS.dst);
    if (srcText === null && dstText === null) {
      sink.skip('panos json record without addresses', lineNo, kind === 'any' ? 'not-flow' : 'malformed');
      return;
    }
    const src = canonicalIp((srcText ?? '').trim());
    const dst = canonicalIp((dstText ?? '').trim());
    if (src === null || dst === null) { sink.skip('panos invalid address', lineNo, 'malformed'); return; }

    const zone = this.opts.zone;
    let ts = NaN;
    const hr = pick(JSON_KEYS.hires);
    if (hr !== undefined) ts = jsonTime(hr, zone);
    if (Number.isNaN(ts)) {
      const tg = pick(JSON_KEYS.time) ?? pick(JSON_KEYS.receive);
      if (tg !== undefined && tg !== '') {
        ts = jsonTime(tg, zone);
        if (Number.isNaN(ts)) { sink.skip('panos invalid time', lineNo, 'malformed'); return; }
      }
    }
    const f = newFlow('panos-json', this.opts.file, lineNo);
    f.ts = Number.isNaN(ts) ? null : ts;
    f.src_ip = src;
    f.dst_ip = dst;
    f.src_port = portOf(pick(JSON_KEYS.sport));
    f.dst_port = portOf(pick(JSON_KEYS.dport));
    const proto = pick(JSON_KEYS.proto);
    f.transport = typeof proto === 'number' || typeof proto === 'string' ? normalizeTransport(proto) : null;
    if (f.transport === 'icmp' || f.transport === 'icmpv6') { f.src_port = null; f.dst_port = null; }
    const raw = text(JSON_KEYS.action);
    f.raw_action = raw;
    f.action = kind === 'traffic' ? trafficAction(raw) : kind === 'threat' ? threatAction(raw) : anyAction(raw);
    f.rule = text(JSON_KEYS.rule);
    f.app = text(JSON_KEYS.app);
    f.device = text(JSON_KEYS.device) ?? text(JSON_KEYS.serial);
    if (kind !== 'threat') {
      f.bytes = countOf(pick(JSON_KEYS.bytes));
      let pk = countOf(pick(JSON_KEYS.packets));
      if (pk === null) {
        const a = countOf(pick(JSON_KEYS.packetsSent)), b = countOf(pick(JSON_KEYS.packetsReceived));
        if (a !== null || b !== null) pk = (a ?? 0) + (b ?? 0);
      }
      f.packets = pk;
      f.end_reason = text(JSON_KEYS.endReason);
      if (subtype === 'start') sink.note('traffic-start', 1);
    }
    if (kind !== 'traffic') {
      const u = text(JSON_KEYS.url);
      if (u !== null && (subtype === 'url' || kind === 'any')) {
        f.url = u;
        f.host = hostFromUrl(u);
      }
    }
    sink.flow(f);
  }
}

// ---------------------------------------------------------------------------------------------------

export const panos: ParserModule = {
  family: 'panos',
  formats: FORMATS,
  detect,
  forced,
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser {
    sink = guardSink(sink);
    if (det.format === 'panos-json') return new JsonParser(opts, sink);
    if (det.format === 'panos-csv') return new WebCsvParser(opts, sink);
    return new SyslogParser(det, opts, sink);
  },
};
