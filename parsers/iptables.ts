/**
 * Linux netfilter LOG lines (iptables LOG target, nftables `log`), UFW, firewalld, Shorewall, Ubiquiti,
 * OpenWrt and Proxmox variants, in syslog files (RFC 3164, RFC 3339, RFC 5424, dmesg), systemd journal
 * exports (`journalctl -o export`, `journalctl -o json`) and Filebeat/ECS journald events.
 * See /work/shared/docs/log-formats.md §3.
 *
 * Hot path: plain kernel lines are scanned with indexOf/charCodeAt only; strings are made only for the
 * kept fields (addresses, host, prefix), and timestamps, hosts and prefix verdicts are cached.
 */
import { newFlow, normalizeTransport, type Action, type Direction } from '../src/model/flow.js';
import { civilToUtc, MAX_TS, MIN_TS, parseIsoTime, timeError, TERR_SYNTAX, YearInferrer, ZoneConverter } from '../src/model/time.js';
import type { Detection, ParseOptions, ParseSink, ParserModule, RecordParser } from './types.js';
import { guardSink } from './validate.js';
import { Capture, WrapJoiner } from './wrap.js';
import { splitOctetFramesB, wazuhBodyStartB } from './syslog/envelope.js';
import { SyslogHeader, hasEq, isDigit, valueEnd } from './syslog/header.js';
import { AddrInterner, BytesInterner, byteIndex, litAt, litIndex, monthAtB, text } from './bytes.js';

const FORMAT_LINES = 'iptables';
/** Keys a netfilter LOG record carries once (LEN= is twice in UDP records): a line repeating one is another record. */
const RECORD_KEYS = ['IN=', 'OUT=', 'MAC=', 'SRC=', 'DST=', 'PROTO=', 'SPT=', 'DPT='];
const FORMAT_JOURNALD = 'iptables-journald';

// ---------------------------------------------------------------------------------------------------
// Small scanning helpers
// ---------------------------------------------------------------------------------------------------




/** Unsigned decimal at p in text (up to the first non-digit), or -1 when there is no digit / it is too long. */
function uintAtS(s: string, p: number): number {
  let n = 0, i = p;
  const lim = p + 10;
  for (; i < s.length && i < lim; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (i === p) return -1;
  if (i < s.length && isDigit(s.charCodeAt(i))) return -1;
  return n;
}

/** Two digits at p in text, or -1. */
function d2S(s: string, p: number): number {
  const a = s.charCodeAt(p) - 48, b = s.charCodeAt(p + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Month number (1-12) of a three-letter English month name at p in text, else 0. */
function monthAt(s: string, p: number): number {
  const b = Buffer.from(s.slice(p, p + 3), 'latin1');
  return b.length === 3 && s.charCodeAt(p) < 128 && s.charCodeAt(p + 1) < 128 && s.charCodeAt(p + 2) < 128 ? monthAtB(b, 0, 3) : 0;
}

// ---------------------------------------------------------------------------------------------------
// Verdict from the log prefix
// ---------------------------------------------------------------------------------------------------

const DENY_WORDS = new Set(['DROP', 'DROPS', 'DROPPED', 'REJECT', 'REJECTS', 'REJECTED', 'BLOCK', 'BLOCKS', 'BLOCKED',
  'DENY', 'DENIES', 'DENIED']);
const ALLOW_WORDS = new Set(['ACCEPT', 'ACCEPTS', 'ACCEPTED', 'ALLOW', 'ALLOWS', 'ALLOWED', 'PASS', 'PASSED', 'OPEN', 'OPENED']);

/** First verdict keyword among the letter runs of the text (case-insensitive), else 'unknown'. */
function keywordVerdict(text: string): Action {
  const u = text.toUpperCase();
  let i = 0;
  const n = u.length;
  while (i < n) {
    let c = u.charCodeAt(i);
    if (c < 65 || c > 90) { i++; continue; }
    const st = i;
    while (i < n && (c = u.charCodeAt(i)) >= 65 && c <= 90) i++;
    const w = u.slice(st, i);
    if (DENY_WORDS.has(w)) return 'deny';
    if (ALLOW_WORDS.has(w)) return 'allow';
  }
  return 'unknown';
}

/** Verdict of a trimmed, non-empty log prefix (without --action-map). */
export function prefixVerdict(pre: string): Action {
  const u = pre.toUpperCase();
  // UFW: explicit table (AUDIT INVALID is a deny, AUDIT/MISC carry no verdict).
  if (u.startsWith('[UFW ')) {
    if (u.startsWith('[UFW AUDIT INVALID]')) return 'deny';
    if (u.startsWith('[UFW AUDIT') || u.startsWith('[UFW MISC')) return 'unknown';
    return keywordVerdict(u);
  }
  // Ubiquiti EdgeOS/USG `[<ruleset>-<rule>-A|D|R]` and UniFi `[<ruleset>-A|D|R-<rule id>]`, optionally
  // followed by ` DESCR="…"` (the description is free text: its words never decide the verdict).
  if (u.charCodeAt(0) === 91) {
    const rb = u.indexOf(']');
    if (rb > 3) {
      const parts = u.slice(1, rb).split('-');
      let v: Action | null = null, n = 0;
      for (let i = 1; i < parts.length; i++) {
        const x = parts[i]!;
        if (x === 'A') { v = 'allow'; n++; } else if (x === 'D' || x === 'R') { v = 'deny'; n++; }
      }
      if (n === 1 && v !== null) return v;
    }
  }
  // FireHOL: packets it drops are logged as `'IN-<name>:'`, `'OUT-<name>:'`, `'PASS-<name>:'` (quotes optional)
  {
    const q = u.charCodeAt(0) === 39 || u.charCodeAt(0) === 34 ? 1 : 0;
    if ((u.startsWith('IN-', q) || u.startsWith('OUT-', q) || u.startsWith('PASS-', q)) && /^['"]?(?:IN|OUT|PASS)-[A-Z0-9_.-]+['"]?:?['"]?$/.test(u)) return 'deny';
  }
  // Shorewall:<chain>:<DISP>:
  if (u.startsWith('SHOREWALL:')) {
    const parts = pre.split(':');
    if (parts.length >= 3) {
      const v = keywordVerdict(parts[2]!);
      if (v !== 'unknown') return v;
    }
  }
  return keywordVerdict(pre);
}

// ---------------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------------

function isIpChar(c: number): boolean {
  return (c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Index of `OUT=` at the start of the text or after whitespace, from p; -1 when none. */
function outKey(l: string, p: number): number {
  for (let k = l.indexOf('OUT=', p); k >= 0; k = l.indexOf('OUT=', k + 4)) {
    const b = k === 0 ? 32 : l.charCodeAt(k - 1);
    if (b === 32 || b === 9) return k;
  }
  return -1;
}

/**
 * True when the line carries a netfilter LOG body: `IN=` (or a leading `OUT=`), later
 * ` SRC=<addr> DST=<addr>`, later `PROTO=`. A linear scan (each character is visited a bounded number
 * of times), where the regular expression it replaces took cubic time on hostile lines.
 */
export function isNetfilterLine(l: string): boolean {
  const i = l.indexOf('IN=');
  const o = outKey(l, 0);
  const start = i < 0 ? o : o < 0 ? i : Math.min(i, o);
  if (start < 0) return false;
  const proto = l.lastIndexOf('PROTO=');
  if (proto < start) return false;
  const n = l.length;
  for (let p = l.indexOf(' SRC=', start); p >= 0 && p < proto; p = l.indexOf(' SRC=', p + 5)) {
    let q = p + 5;
    const a = q;
    while (q < n && isIpChar(l.charCodeAt(q))) q++;
    if (q === a) continue;
    const w = q;
    while (q < n && (l.charCodeAt(q) === 32 || l.charCodeAt(q) === 9)) q++;
    if (q === w || !l.startsWith('DST=', q)) continue;
    q += 4;
    const b = q;
    while (q < n && isIpChar(l.charCodeAt(q))) q++;
    if (q > b && q <= proto) return true;
  }
  return false;
}

/** True when any line of the text is a netfilter line. */
function hasNetfilterLine(text: string): boolean {
  let a = 0;
  while (a < text.length) {
    let e = text.indexOf('\n', a);
    if (e < 0) e = text.length;
    if (isNetfilterLine(text.slice(a, e))) return true;
    a = e + 1;
  }
  return false;
}

const SYSLOG_HEAD = /^(?:<\d{1,3}>\s?)?(?:1 \S+ |[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d[ .]|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/;
const WAZUH_LINE = /^log \d+ (?:pass|fail) = /m;
const PROXMOX_LINE = /^\d+ \d+ \S+ \d{1,2}\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4} /;
const PROXMOX_LINE_M = new RegExp(PROXMOX_LINE.source, 'm');

function firstNetfilterLine(head: string): string | null {
  for (const l of head.split('\n', 2000)) if (isNetfilterLine(l)) return l;
  return null;
}

function detectIptables(head: string): Detection | null {
  const t = head.replace(/^\s+/, '');
  const nf = hasNetfilterLine(head);
  const c0 = t.charCodeAt(0);
  if (c0 === 123 || c0 === 91) { // { or [
    const journal = head.indexOf('"MESSAGE"') >= 0 || head.indexOf('"__REALTIME_TIMESTAMP"') >= 0;
    if (journal || (nf && head.indexOf('"message"') >= 0)) {
      return { format: FORMAT_JOURNALD, dialect: journal ? 'journal-json' : 'journald-ecs', framing: 'json', confidence: nf ? 0.9 : 0.1 };
    }
    if (!nf) return null;
  }
  if (/^(?:__CURSOR|__REALTIME_TIMESTAMP)=/m.test(head) && /^MESSAGE=/m.test(head)) {
    return { format: FORMAT_LINES, dialect: 'journal-export', framing: 'lines', confidence: nf ? 0.9 : 0.1 };
  }
  if (WAZUH_LINE.test(head)) {
    return nf ? { format: FORMAT_LINES, dialect: 'wazuh-ini', framing: 'lines', confidence: 0.9 } : null;
  }
  if (nf) {
    if (PROXMOX_LINE_M.test(head)) return { format: FORMAT_LINES, dialect: 'proxmox', framing: 'lines', confidence: 0.9 };
    const l = firstNetfilterLine(head) ?? '';
    let dialect = 'dmesg';
    if (/^<\d{1,3}>1 /.test(l)) dialect = 'rfc5424';
    else if (/^(?:<\d{1,3}>\s?)?\d{4}-\d\d-\d\dT/.test(l)) dialect = 'rfc3339';
    else if (/^(?:<\d{1,3}>\s?)?[A-Z][a-z]{2} [ 0-3]\d /.test(l)) dialect = 'bsd';
    return { format: FORMAT_LINES, dialect, framing: 'lines', confidence: 0.9 };
  }
  const first = t.split('\n', 1)[0] ?? '';
  if (SYSLOG_HEAD.test(first)) return { format: FORMAT_LINES, dialect: 'syslog-no-netfilter', framing: 'lines', confidence: 0.1 };
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------

class IptablesParser implements RecordParser {
  private readonly format: string;
  private readonly file: string;
  private readonly wazuh: boolean;
  private readonly exportMode: boolean;

  // The syslog header of the current line (parsers/syslog/header.ts; results kept in its fields).
  private readonly h: SyslogHeader;

  // Caches.
  // The log prefix (`IPTABLES-DROP: `) of the current line, interned by its bytes, and its verdict.
  private readonly prefixes = new BytesInterner();
  private preTrim: string | null = null;
  private preAction: Action = 'unknown';
  private lastPre = '';
  private readonly verdicts = new Map<string, { trim: string | null; action: Action }>();
  private readonly addrs = new AddrInterner();
  /** scanTail's results for the current line. */
  private readonly tp = new Int32Array(5);

  // journalctl -o export entry state.
  private jAny = false;
  private jFirst = 0;
  private jMsg: string | null = null;
  private jMsgLine = 0;
  private jTs: number | null = null;
  private jHost: string | null = null;
  private jBad: string | null = null;
  /** Lines of the current entry: one unit is its flow or skip, the others are counted as field lines. */
  private jLines = 0;

  /** Where results go: the validation guard, in front of the wrap joiner's capture for syslog lines. */
  private readonly sink: ParseSink;
  /**
   * What is behind the guard: flows valid by construction go straight there (`body`: TCP, UDP or no
   * PROTO=, addresses from the AddrInterner, a timestamp inside the fixed window, not a journal
   * override), as the guard would pass them unchanged. `directOn` false: every flow through the guard
   * (the test that compares both); `directFlows` counts the flows that skipped it.
   */
  private readonly direct: ParseSink;
  private directOn = true;
  private directFlows = 0;
  private readonly joiner: WrapJoiner | null = null;
  /** Whether the line being parsed started with a header (syslog, Proxmox, octet count, Wazuh). */
  private headerSeen = false;
  // Wrapped lines (parsers/wrap.ts): the header of the last plain line, pinned for the replay of a join.
  private replay = false;
  private lineStart = 0;
  private last = { ok: false, ts: null as number | null, host: null as string | null, err: 0, msgOff: 0, chain: null as string | null };
  private pinned = { ...this.last };

  private pinLast(): boolean {
    const l = this.last, p = this.pinned;
    p.ok = l.ok; p.ts = l.ts; p.host = l.host; p.err = l.err; p.msgOff = l.msgOff; p.chain = l.chain;
    return l.ok;
  }
  /** Index of the IN=/OUT= key the body found on the last line, else -1. */
  private keyAt = -1;

  constructor(det: Detection, private readonly opts: ParseOptions, out: ParseSink) {
    this.format = det.format;
    this.file = opts.file;
    this.wazuh = det.dialect === 'wazuh-ini';
    this.exportMode = det.dialect === 'journal-export';
    this.h = new SyslogHeader(opts.zone, opts.years);
    if (det.framing === 'lines' && !this.exportMode) {
      const cap = new Capture();
      this.sink = guardSink(cap);
      this.direct = cap;
      this.joiner = new WrapJoiner(cap, out, (b, s, e, n, replay) => {
        this.replay = replay;
        this.one(b, s, e, n);
        this.replay = false;
        return this.headerSeen;
      }, () => this.pinLast(), RECORD_KEYS);
    } else { this.sink = guardSink(out); this.direct = out; }
  }

  // ---- framing entry points ----------------------------------------------------------------------

  /** Text lines (UTF-16 input, lines with NUL): the same parse on the line's UTF-8 bytes. */
  line(text: string, lineNo: number): void {
    if (this.exportMode) { this.exportLine(text, lineNo); return; }
    const b = Buffer.from(text, 'utf8');
    this.bytes(b, 0, b.length, lineNo);
  }

  bytes(b: Buffer, start: number, end: number, lineNo: number): void {
    if (this.exportMode) { this.exportLine(b.toString('utf8', start, end), lineNo); return; }
    if (this.joiner !== null) this.joiner.line(b, start, end, lineNo);
    else this.one(b, start, end, lineNo);
  }

  /** Whether the line starts with a header this parser recognises (parsed with a throwaway state). */
  headerAt(b: Buffer, start: number, end: number): boolean {
    this.one(b, start, end, 0);
    return this.headerSeen;
  }

  /** End of a range of lines: the held line is decided (parsers/wrap.ts). */
  flush(): void {
    this.joiner?.flush();
  }

  /** One physical line (or a joined record); sets headerSeen. */
  private one(b: Buffer, start: number, end: number, lineNo: number): void {
    this.headerSeen = false;
    this.lineStart = start;
    if (!this.replay) this.last.ok = false;
    let p = start;
    if (this.wazuh) { const w = wazuhBodyStartB(b, start, end); if (w >= 0) { p = w; this.headerSeen = true; } }
    if (p >= end || isBlank(b, p, end)) { this.sink.skip('blank line', lineNo, 'not-flow'); return; }
    // RFC 6587 octet counting (`123 <4>…`, several frames per line possible), as for every syslog format
    if (p === start && isDigit(b[p]!)) {
      this.octetLine = lineNo;
      this.octetBuf = b;
      const frames = splitOctetFramesB(b, p, end, this.octetFrame);
      if (frames > 0) { this.headerSeen = true; if (frames > 1) this.sink.note('extra-frames', frames - 1); return; }
    }
    this.fullLine(b, p, end, lineNo, false, null, null);
  }

  private octetLine = 0;
  private octetBuf: Buffer = Buffer.alloc(0);
  private readonly octetFrame = (a: number, e: number): void => {
    if (isBlank(this.octetBuf, a, e)) this.sink.skip('blank line', this.octetLine, 'not-flow');
    else this.fullLine(this.octetBuf, a, e, this.octetLine, false, null, null);
  };

  record(value: unknown, lineNo: number): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.sink.skip('not a JSON object', lineNo, 'malformed');
      return;
    }
    const o = value as Record<string, unknown>;
    let raw: unknown;
    let ts: number | null = null;
    let host: string | null = null;
    if ('MESSAGE' in o) {
      raw = o.MESSAGE;
      ts = journalMicros(o.__REALTIME_TIMESTAMP);
      host = typeof o._HOSTNAME === 'string' && o._HOSTNAME !== '' ? o._HOSTNAME : null;
    } else if ('message' in o) {
      raw = o.message;
      const at = o['@timestamp'];
      if (typeof at === 'string') { const t = parseIsoTime(at, 0, at.length, null); if (t < 0) { this.sink.skip(`${timeError(t)} (@timestamp)`, lineNo, 'malformed'); return; } ts = t; }
      const h = o.host;
      if (h && typeof h === 'object') {
        const hh = (h as Record<string, unknown>).hostname ?? (h as Record<string, unknown>).name;
        if (typeof hh === 'string' && hh !== '') host = hh;
      }
    } else {
      this.sink.skip('no MESSAGE field', lineNo, 'not-flow');
      return;
    }
    const msg = messageText(raw);
    if (msg === null) {
      this.sink.skip(raw === null ? 'MESSAGE is null (field too large)' : 'MESSAGE is not text', lineNo, 'malformed');
      return;
    }
    const b = Buffer.from(msg, 'utf8');
    this.fullLine(b, 0, b.length, lineNo, true, ts, host);
  }

  end(): void {
    if (this.exportMode) this.exportFlush();
    this.joiner?.flush();
  }

  // ---- wrappers ----------------------------------------------------------------------------------

  private exportLine(s: string, lineNo: number): void {
    if (s === '') { this.exportFlush(); return; }
    if (!this.jAny) { this.jAny = true; this.jFirst = lineNo; this.jLines = 0; }
    this.jLines++;
    if (this.jBad !== null) return; // rest of a binary field or of a broken entry
    const eq = s.indexOf('=');
    if (eq < 0) { this.jBad = 'binary journal field'; return; }
    if (s.startsWith('MESSAGE=')) { this.jMsg = s.slice(8); this.jMsgLine = lineNo; }
    else if (s.startsWith('__REALTIME_TIMESTAMP=')) this.jTs = journalMicros(s.slice(21));
    else if (s.startsWith('_HOSTNAME=')) this.jHost = s.length > 10 ? s.slice(10) : null;
  }

  private exportFlush(): void {
    if (this.jAny) {
      if (this.jBad !== null) this.sink.skip(this.jBad, this.jFirst, 'malformed');
      else if (this.jMsg === null) this.sink.skip('journal entry without MESSAGE', this.jFirst, 'not-flow');
      else {
        const b = Buffer.from(this.jMsg, 'utf8');
        if (isBlank(b, 0, b.length)) this.sink.skip('not a netfilter line', this.jMsgLine, 'not-flow');
        else this.fullLine(b, 0, b.length, this.jMsgLine, true, this.jTs, this.jHost);
      }
      // Every line is counted once in the summary: the entry's outcome above, its other lines here.
      for (let k = 1; k < this.jLines; k++) this.sink.skip('journal entry field line', this.jFirst, 'not-flow');
    }
    this.jAny = false; this.jMsg = null; this.jTs = null; this.jHost = null; this.jBad = null;
  }

  // ---- one log line ------------------------------------------------------------------------------

  /**
   * Parses the envelope at p, then the netfilter body. With `override`, ts/host from the journal record
   * take precedence over whatever header the message text itself carries.
   */
  private fullLine(s: Buffer, p: number, end: number, lineNo: number, override: boolean, ts: number | null, host: string | null): void {
    let chain: string | null = null;
    const pin = this.pinned;
    if (this.replay && pin.ok && p === this.lineStart) { // a joined record: its first line's header, as read then
      this.h.ts = pin.ts; this.h.host = pin.host; this.h.err = pin.err; this.h.msg = p + pin.msgOff;
      chain = pin.chain;
      this.headerSeen = true;
    } else if (!this.h.parse(s, p, end)) {
      const c = s[p]!;
      if (isDigit(c)) { chain = this.proxmox(s, p, end); if (chain !== null) this.headerSeen = true; }
      else if (c !== 91 /* [ */ && this.filenamePrefix(s, p, end)) this.headerSeen = true;
    } else this.headerSeen = true;
    const ts0 = this.h.ts, host0 = this.h.host, err0 = this.h.err, msg0 = this.h.msg;
    if (override) {
      if (ts !== null) this.h.ts = ts;
      if (host !== null) this.h.host = host;
    }
    this.keyAt = -1;
    this.body(s, this.h.msg, end, lineNo, chain, override);
    if (!override && !this.replay) {
      // a join may start here when the header lies before the line's IN=/OUT= (never cut by the wrap)
      const l = this.last;
      l.ok = this.keyAt >= 0 && this.headerSeen && p === this.lineStart && !this.wazuh;
      if (l.ok) { l.ts = ts0; l.host = host0; l.err = err0; l.msgOff = msg0 - p; l.chain = chain; }
    }
  }

  /** Proxmox pve-firewall.log: `VMID LEVEL CHAIN dd/Mon/yyyy:hh:mm:ss +zzzz <prefix>IN=…`. Returns the chain. */
  private proxmox(b: Buffer, p: number, end: number): string | null {
    // A rare dialect: read as text (the pattern is anchored and bounded), positions mapped back to bytes.
    const s = b.toString('utf8', p, end);
    const m = PROXMOX_LINE.exec(s);
    if (!m) return null;
    const sp1 = s.indexOf(' '), sp2 = s.indexOf(' ', sp1 + 1), sp3 = s.indexOf(' ', sp2 + 1);
    const chain = s.slice(sp2 + 1, sp3);
    let q = sp3 + 1;
    const slash = s.indexOf('/', q);
    const day = uintAtS(s, q);
    const mo = monthAt(s, slash + 1);
    q = slash + 5;
    const y = uintAtS(s, q);
    const h = d2S(s, q + 5), mi = d2S(s, q + 8), se = d2S(s, q + 11);
    const z = q + 14;
    const sign = s.charCodeAt(z) === 45 ? -1 : 1;
    const oh = d2S(s, z + 1), om = d2S(s, z + 3);
    if (mo > 0 && h >= 0 && mi >= 0 && se >= 0 && oh >= 0 && om >= 0) {
      const v = civilToUtc(null, y, mo, day, h, mi, se, 0, sign * (oh * 60 + om));
      if (v < 0) this.h.err = v; else this.h.ts = v;
    } else this.h.err = TERR_SYNTAX;
    // the text after the chain is ASCII: the message starts as far after the third space in bytes
    const b3 = byteIndex(b, 32, byteIndex(b, 32, byteIndex(b, 32, p, end) + 1, end) + 1, end);
    this.h.msg = b3 + (z + 6 - sp3);
    return chain;
  }

  /** psad test files: `name:<syslog line>` (grep -H artifact). */
  private filenamePrefix(s: Buffer, p: number, end: number): boolean {
    const colon = byteIndex(s, 58, p, end);
    if (colon <= p || colon - p > 200) return false;
    const sp = byteIndex(s, 32, p, colon);
    if (sp >= 0) return false;
    const q = colon + 1;
    const c = q < end ? s[q]! : -1;
    if (!(isDigit(c) || monthAtB(s, q, end) !== 0 || c === 60)) return false;
    const saved = this.h.msg;
    if (!this.h.parse(s, q, end)) { this.h.ts = null; this.h.host = null; this.h.msg = saved; return false; }
    return true;
  }

  // ---- netfilter body ----------------------------------------------------------------------------

  private body(s: Buffer, m: number, len: number, lineNo: number, chain: string | null, override: boolean): void {
    let k = litIndex(s, 'IN=', m, len);
    if (k >= 4 && litAt(s, k - 4, len, 'PHYS')) k = -1;
    const hasIn = k >= 0;
    if (!hasIn) {
      const ko = litIndex(s, 'OUT=', m, len);
      if (ko >= 0 && !(ko >= 4 && litAt(s, ko - 4, len, 'PHYS'))) {
        if (hasEq(s, m, ko)) { this.sink.skip('netfilter line without IN=', lineNo, 'malformed'); return; }
        k = ko;
      }
    }
    this.keyAt = k;
    if (k < 0) {
      if (litIndex(s, 'PROTO=', m, len) >= 0 || (litIndex(s, 'SRC=', m, len) >= 0 && litIndex(s, 'DST=', m, len) >= 0)) {
        this.sink.skip('truncated netfilter line (no IN=/OUT=)', lineNo, 'malformed');
      } else this.sink.skip('not a netfilter line', lineNo, 'not-flow');
      return;
    }

    const srcKey = findKey(s, k, len, 'SRC=', 83, ' SRC=');
    if (srcKey < 0) {
      if (litIndex(s, 'ARP HTYPE=', k, len) >= 0 || litIndex(s, ' ARP ', k, len) >= 0) this.sink.skip('arp', lineNo, 'not-flow');
      else if (litIndex(s, ' PROTO=', k, len) >= 0 || litIndex(s, ' DST=', k, len) >= 0) this.sink.skip('netfilter line without SRC=', lineNo, 'malformed');
      else if (hasIn && findKey(s, k, len, 'OUT=', 79, ' OUT=') >= 0) this.sink.skip('truncated netfilter line (no SRC=)', lineNo, 'malformed');
      else this.sink.skip('not a netfilter line', lineNo, 'not-flow');
      return;
    }
    // interfaces → direction (OUT= normally follows the IN= value directly)
    let inSet = false, outSet = false;
    if (hasIn) {
      const ie = valueEnd(s, k + 3, len);
      inSet = ie > k + 3;
      let o = key4(s, ie, len, 79, 85, 84) ? ie : findKey(s, k, len, 'OUT=', 79, ' OUT=');
      if (o > srcKey) o = -1;
      if (o >= 0) outSet = o + 5 < len && s[o + 5] !== 32;
    } else {
      outSet = k + 4 < len && s[k + 4] !== 32;
    }
    const direction: Direction = inSet ? (outSet ? 'forward' : 'inbound') : outSet ? 'outbound' : null;

    // addresses (DST= directly follows the SRC= value, LEN= the DST= value)
    const sa = srcKey + 5, se = valueEnd(s, sa, len);
    const src = this.addrs.addr(s, sa, se);
    if (src === null) { this.sink.skip(se === sa ? 'empty SRC=' : isMasked(s, sa, se) ? 'masked SRC= address (anonymised log)' : 'bad SRC= address', lineNo, 'malformed'); return; }
    const dstKey = key4(s, se, len, 68, 83, 84) ? se : findKey(s, se, len, 'DST=', 68, ' DST=');
    if (dstKey < 0) { this.sink.skip('netfilter line without DST=', lineNo, 'malformed'); return; }
    const da = dstKey + 5, de = valueEnd(s, da, len);
    const dst = this.addrs.addr(s, da, de);
    if (dst === null) { this.sink.skip(de === da ? 'empty DST=' : isMasked(s, da, de) ? 'masked DST= address (anonymised log)' : 'bad DST= address', lineNo, 'malformed'); return; }

    if (this.h.err !== 0) { this.sink.skip(timeError(this.h.err), lineNo, 'malformed'); return; }
    const f = newFlow(this.format, this.file, lineNo);
    f.ts = this.h.ts;
    f.device = this.h.host;
    f.src_ip = src;
    f.dst_ip = dst;
    f.direction = direction;
    f.packets = 1;

    // LEN=, PROTO=, SPT=, DPT= after the DST= value: their positions from one pass (scanTail: TCP/UDP in
    // the usual key order), else from one search per key; both give the same positions.
    const tp = this.tp;
    let lk: number, pk: number, t: string | null = null, spk = -1, dpk = -1;
    if (scanTail(s, de, len, tp)) {
      lk = tp[0]!; pk = tp[1]!;
      if (pk >= 0) { t = tp[2] === 1 ? 'tcp' : 'udp'; spk = tp[3]!; dpk = tp[4]!; }
    } else {
      t = searchTail(s, de, len, tp);
      lk = tp[0]!; pk = tp[1]!; spk = tp[3]!; dpk = tp[4]!;
    }
    if (lk >= 0) { const n = uintAt(s, lk + 5, len); if (n >= 0) f.bytes = n; }
    if (pk >= 0) {
      f.transport = t;
      if (spk >= 0) {
        f.src_port = portAt(s, spk + 5, len);
        if (f.src_port === null) { this.sink.skip('bad SPT= port', lineNo, 'malformed'); return; }
      }
      if (dpk >= 0) {
        f.dst_port = portAt(s, dpk + 5, len);
        if (f.dst_port === null) { this.sink.skip('bad DPT= port', lineNo, 'malformed'); return; }
      }
    }

    // prefix → verdict
    if (k > m) {
      const raw = this.prefixes.get(s, m, k);
      if (raw !== this.lastPre) this.setPrefix(raw);
      f.raw_action = this.preTrim;
      f.action = this.preAction;
      f.rule = chain ?? this.preTrim;
    } else if (chain !== null) f.rule = chain;
    if (f.action === 'unknown') this.sink.note('unknown-verdict', 1);
    // Valid by construction (the guard's checks, parsers/validate.ts, hold and its repairs change
    // nothing): ports only from TCP/UDP (portAt: 0-65535), LEN= at most 10 digits (a safe integer),
    // packets 1, addresses from the AddrInterner (canonicalIp's text: a dotted quad, or IPv6 as
    // lower-case hex and colons, the shape the gate checks), direction from constants, an action of the
    // three, and a timestamp the header read inside the fixed window (a journal's own stamp: override).
    const ts = f.ts, a = f.action;
    if (!override && this.directOn && (t === 'tcp' || t === 'udp' || pk < 0) && (a === 'deny' || a === 'allow' || a === 'unknown')
      && (ts === null || (ts >= MIN_TS && ts < MAX_TS && Number.isInteger(ts)))) {
      this.directFlows++;
      this.direct.flow(f);
    } else this.sink.flow(f);
  }

  /** `raw`: the prefix decoded as the text path decodes it (interned: equal prefixes are one string). */
  private setPrefix(raw: string): void {
    this.lastPre = raw;
    let info = this.verdicts.get(raw);
    if (info === undefined) {
      const t = raw.trim(); // String#trim: Unicode white space too
      info = t === '' ? { trim: null, action: 'unknown' } : { trim: t, action: this.mapped(t) ?? prefixVerdict(t) };
      if (this.verdicts.size > 10_000) this.verdicts.clear();
      this.verdicts.set(raw, info);
    }
    this.preTrim = info.trim;
    this.preAction = info.action;
  }

  /** --action-map: the longest key the prefix equals or starts with. */
  private mapped(pre: string): Action | null {
    let best: Action | null = null, bestLen = -1;
    for (const [key, a] of this.opts.actionMap) {
      if (key.length > bestLen && pre.startsWith(key)) { best = a; bestLen = key.length; }
    }
    return best;
  }

}

/** Transport of the PROTO= value at p. */
function protoAt(s: Buffer, p: number, len: number): string | null {
  const c = p < len ? s[p] : -1;
  if (c === 84 && litAt(s, p, len, 'TCP') && isEnd(s, p + 3, len)) return 'tcp';
  if (c === 85 && litAt(s, p, len, 'UDP') && isEnd(s, p + 3, len)) return 'udp';
  if (c === 73 && litAt(s, p, len, 'ICMP')) {
    if (isEnd(s, p + 4, len)) return 'icmp';
    if (litAt(s, p + 4, len, 'v6') && isEnd(s, p + 6, len)) return 'icmpv6';
  }
  const e = valueEnd(s, p, len);
  return e > p ? normalizeTransport(text(s, p, e)) : null;
}

/**
 * The keys after the addresses, one search per key from b[de, len) (de: the end of the DST= value): sets
 * tp = [LEN=, PROTO=, -, SPT=, DPT=] (the space before each key, -1: none or not this flow's) and returns
 * the transport of the PROTO= value (null without PROTO=).
 * @internal exported for the test that compares it with scanTail
 */
export function searchTail(s: Buffer, de: number, len: number, tp: Int32Array): string | null {
  const lk = key4(s, de, len, 76, 69, 78) ? de : findKey(s, de, len, 'LEN=', 76, ' LEN=');
  const pk = findKey(s, lk >= 0 ? lk + 5 : de, len, 'PROTO=', 80, ' PROTO=');
  let t: string | null = null, spk = -1, dpk = -1;
  if (pk >= 0) {
    const pa = pk + 7;
    t = protoAt(s, pa, len);
    // Only ICMP errors carry a quoted packet `[SRC=… SPT=… DPT=… ]`: ports after `[` are not this flow's.
    let end = len;
    if (t !== 'tcp' && t !== 'udp') { const br = byteIndex(s, 91, pa, len); if (br >= 0) end = br; }
    const pe = valueEnd(s, pa, len);
    spk = key4(s, pe, len, 83, 80, 84) ? pe : findKey(s, pa, len, 'SPT=', 83, ' SPT=');
    if (spk >= 0 && spk < end) {
      const sa2 = spk + 5;
      const sv = valueEnd(s, sa2, len);
      dpk = key4(s, sv, len, 68, 80, 84) ? sv : findKey(s, sa2, len, 'DPT=', 68, ' DPT=');
    } else {
      spk = -1;
      dpk = findKey(s, pa, len, 'DPT=', 68, ' DPT=');
    }
    if (dpk >= end) dpk = -1;
  }
  tp[0] = lk; tp[1] = pk; tp[2] = 0; tp[3] = spk; tp[4] = dpk;
  return t;
}

/**
 * One pass over b[de, len) (de: the end of the DST= value) for the keys after the addresses, giving the
 * positions the per-key searches of `body` give: the space before the first ` LEN=`, then the first
 * ` PROTO=` after it, then the first ` SPT=` after the PROTO= value and the first ` DPT=` after the SPT=
 * value (or, without SPT=, the first ` DPT=` after PROTO=). Only for TCP and UDP with a LEN= (the usual
 * kernel layout): returns false otherwise, and `body` searches key by key. Sets tp = [LEN=, PROTO=,
 * 1 tcp | 2 udp, SPT=, DPT=] (-1: none). Linear: every byte is read once, key bytes a bounded number of times.
 * @internal exported for the test that compares it with searchTail
 */
export function scanTail(s: Buffer, de: number, len: number, tp: Int32Array): boolean {
  let lk = -1, pk = -1, proto = 0, spk = -1, dpk = -1, dFirst = -1;
  let state = 0; // 0: LEN=; 1: PROTO=; 2: SPT= (remembering a DPT= before it); 3: DPT=
  // (from space to space: the same iterations as a loop over every byte that skips the others)
  for (let i = byteIndex(s, 32, de, len); i >= 0; i = byteIndex(s, 32, i + 1, len)) {
    if (state === 0) {
      if (i + 5 <= len && s[i + 1] === 76 && s[i + 2] === 69 && s[i + 3] === 78 && s[i + 4] === 61) { lk = i; state = 1; i += 4; }
    } else if (state === 1) {
      if (i + 7 <= len && s[i + 1] === 80 && s[i + 2] === 82 && s[i + 3] === 79 && s[i + 4] === 84 && s[i + 5] === 79 && s[i + 6] === 61) {
        pk = i;
        const pa = i + 7;
        if (pa + 3 > len || !(pa + 3 === len || s[pa + 3] === 32)) return false;
        const a = s[pa], b = s[pa + 1], c = s[pa + 2];
        if (a === 84 && b === 67 && c === 80) proto = 1; // TCP
        else if (a === 85 && b === 68 && c === 80) proto = 2; // UDP
        else return false;
        state = 2;
        i = pa + 2;
      }
    } else if (i + 5 <= len && s[i + 2] === 80 && s[i + 3] === 84 && s[i + 4] === 61) { // ` ?PT=`
      const c = s[i + 1];
      if (state === 2) {
        if (c === 83) { spk = i; state = 3; i += 4; } else if (c === 68 && dFirst < 0) dFirst = i;
      } else if (c === 68) { dpk = i; break; }
    }
  }
  if (state === 0) return false; // no LEN=: PROTO= is searched from the DST= value (the per-key path)
  tp[0] = lk; tp[1] = pk; tp[2] = proto; tp[3] = spk; tp[4] = state === 2 ? dFirst : dpk;
  return true;
}

/** Unsigned decimal at p (up to the first non-digit), or -1 when there is no digit / it is too long. */
function uintAt(s: Buffer, p: number, len: number): number {
  let n = 0, i = p;
  const lim = p + 10;
  for (; i < len && i < lim; i++) {
    const c = s[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (i === p) return -1;
  if (i < len && isDigit(s[i]!)) return -1;
  return n;
}

/**
 * Port value at p: digits up to a space or the end of the line, 0-65535; null otherwise (`4x`, `70000`,
 * ``, more than 10 digits). One pass. @internal exported for its test
 */
export function portAt(s: Buffer, p: number, len: number): number | null {
  let n = 0, i = p;
  const lim = p + 10 < len ? p + 10 : len; // (as uintAt: more than 10 digits, leading zeros too, is no port)
  for (; i < lim; i++) {
    const c = s[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    if (n > 65535) return null; // (more digits only make it larger)
  }
  if (i === p) return null;
  return i >= len || s[i] === 32 ? n : null;
}

/**
 * Index of the space before `key` in the first token at or after `from` that starts with `key`, hopping
 * from space to space.
 */
function findKey(s: Buffer, from: number, len: number, key: string, c0: number, spaced: string): number {
  let p = from;
  for (let hops = 0; hops < 32; hops++) {
    const sp = byteIndex(s, 32, p, len);
    if (sp < 0) return -1;
    if (sp + 1 < len && s[sp + 1] === c0 && litAt(s, sp + 1, len, key)) return sp;
    p = sp + 1;
  }
  return litIndex(s, spaced, p, len);
}

/** True when s[p..p+5) is ` XYZ=` (a space, three given upper-case letters, `=`): inlined byte checks. */
function key4(s: Buffer, p: number, len: number, a: number, b: number, c: number): boolean {
  return p + 5 <= len && s[p] === 32 && s[p + 1] === a && s[p + 2] === b && s[p + 3] === c && s[p + 4] === 61;
}

function isEnd(s: Buffer, p: number, len: number): boolean {
  return p >= len || s[p] === 32;
}

function isBlank(s: Buffer, p: number, len: number): boolean {
  for (let i = p; i < len; i++) {
    const c = s[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** An anonymised address: `xxx.xxx.xxx.xxx`, `x.x.x.x`, `XX:XX::`, `*.*.*.*` (only x, X, *, dots, colons). */
function isMasked(s: Buffer, a: number, b: number): boolean {
  let mask = false;
  for (let i = a; i < b; i++) {
    const c = s[i]!;
    if (c === 120 || c === 88 || c === 42) mask = true;
    else if (c !== 46 && c !== 58 && !isDigit(c)) return false;
  }
  return mask;
}


/** `__REALTIME_TIMESTAMP` (µs since the epoch, string or number) → ms, or null. */
function journalMicros(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.floor(v / 1000) : null;
  if (typeof v !== 'string' || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.floor(n / 1000) : null;
}

/** journald MESSAGE: a string, a byte array (non-UTF-8 or with control chars), or an array of repeats. */
function messageText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return '';
    if (typeof v[0] === 'number') {
      for (const b of v) if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return null;
      return Buffer.from(v as number[]).toString('utf8');
    }
    return messageText(v[0]);
  }
  return null;
}

export const iptables: ParserModule = {
  family: 'iptables',
  formats: [FORMAT_LINES, FORMAT_JOURNALD],
  detect(head: string, _fileName: string): Detection | null {
    return detectIptables(head);
  },
  forced(format: string, head: string): Detection {
    if (format === FORMAT_JOURNALD) return { format, dialect: 'journald', framing: 'json', confidence: 1 };
    const d = detectIptables(head);
    if (d && d.format === FORMAT_LINES) return { ...d, confidence: 1 };
    return { format: FORMAT_LINES, dialect: 'syslog', framing: 'lines', confidence: 1 };
  },
  create(det: Detection, opts: ParseOptions, sink: ParseSink): RecordParser {
    return new IptablesParser(det, opts, sink); // (every result passes guardSink: see the constructor)
  },
  startsRecord(det: Detection, b: Buffer, start: number, end: number): boolean {
    // a line with a header the parser recognises is never a continuation (parsers/wrap.ts)
    const p = new IptablesParser(det, { file: '', zone: new ZoneConverter('UTC'), years: new YearInferrer(2000, 0), actionMap: new Map() },
      { flow() {}, skip() {}, note() {} });
    return p.headerAt(b, start, end);
  },
};
