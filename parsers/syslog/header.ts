/**
 * The syslog header, parsed once for every syslog-carried format: `<PRI>`, RFC 5424
 * (`<pri>1 ts host app procid msgid [sd] msg`), RFC 3339 / ISO stamps (`journalctl -o short-iso`,
 * rsyslog), RFC 3164 BSD stamps (`Mmm dd hh:mm:ss`, `short-precise` fractions), `dmesg -T`
 * (`[Thu Mar 11 20:05:08 2021]`), kernel uptime stamps, an optional host, `facility.level` and the
 * `kernel:` / `name[pid]:` tag, and relay double headers (`<relay stamp> <relay> <stamp> <device> …`:
 * the inner header wins). Timestamps go through the validated time module: an impossible date sets
 * `err` (the caller counts the line as malformed), never a rolled-over date.
 *
 * It reads the line as UTF-8 bytes b[p0, end) (parsers/bytes.ts): no string is made except the host
 * (interned) and, for ISO stamps, the stamp's own token. Results are left in fields (no object per
 * line); the BSD timestamp and the host are cached.
 */
import { civilToUtc, scanIsoTime, scanned, TERR_SYNTAX, type YearInferrer, type ZoneConverter } from '../../src/model/time.js';
import { byteIndex, BytesInterner, latin1, litAt, monthAtB } from '../bytes.js';

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Byte at i, or -1 at or after the end of the line (as charCodeAt past a string's end never matches). */
export function cc(b: Buffer, i: number, end: number): number {
  return i >= 0 && i < end ? b[i]! : -1;
}

export function d2(b: Buffer, p: number, end: number): number {
  if (p < 0 || p + 2 > end) return -1;
  const x = b[p]! - 48, y = b[p + 1]! - 48;
  if (x < 0 || x > 9 || y < 0 || y > 9) return -1;
  return x * 10 + y;
}

/** End of the value that starts at p: the next space (or the end of the line). */
export function valueEnd(b: Buffer, p: number, end: number): number {
  const i = byteIndex(b, 32, p, end);
  return i < 0 ? end : i;
}

export function hasEq(b: Buffer, a: number, e: number): boolean {
  for (let i = a; i < e; i++) if (b[i] === 61) return true;
  return false;
}

/** `facility.level` token (letters, one dot), as some embedded syslogds print before the tag. */
function isFacility(b: Buffer, a: number, e: number): boolean {
  let dot = -1;
  for (let i = a; i < e; i++) {
    const c = b[i]!;
    if (c === 46) { if (dot >= 0) return false; dot = i; } else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return dot > a && dot < e - 1;
}

/** Skips a kernel uptime stamp `[ 4374.583353] ` at p (digits, spaces and one dot inside brackets). */
export function skipUptime(b: Buffer, p: number, end: number): number {
  if (cc(b, p, end) !== 91) return p;
  let q = p + 1, digits = 0;
  for (; q < end; q++) {
    const c = b[q]!;
    if (c === 93) break;
    if (isDigit(c)) digits++;
    else if (c !== 32 && c !== 46) return p;
  }
  if (q >= end || digits === 0) return p;
  q++;
  while (cc(b, q, end) === 32) q++;
  return q;
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function dayNameAt(b: Buffer, p: number, end: number): boolean {
  for (const d of DAY_NAMES) if (litAt(b, p, end, d)) return true;
  return false;
}

/** End index and value of the last `dmesgTAt` scan. */
export const ctime = { end: 0, ms: 0 };

/**
 * ctime stamp at p, as `dmesg -T` prints it inside brackets: `[Thu Mar 11 20:05:08 2021]` (p at `[`).
 * Wall-clock in `zone`. Returns 1 and sets `ctime` when valid, 0 when the text is not such a stamp, or
 * a negative TERR_* code when it is one with an invalid field.
 */
export function dmesgTAt(b: Buffer, p: number, end: number, zone: ZoneConverter): number {
  if (cc(b, p, end) !== 91 || !dayNameAt(b, p + 1, end) || cc(b, p + 4, end) !== 32) return 0;
  const mo = monthAtB(b, p + 5, end);
  if (mo === 0 || cc(b, p + 8, end) !== 32) return 0;
  let q = p + 9;
  if (cc(b, q, end) === 32) q++;
  let d = 0, k = q;
  while (k < q + 2 && isDigit(cc(b, k, end))) { d = d * 10 + b[k]! - 48; k++; }
  if (k === q || cc(b, k, end) !== 32) return 0;
  k++;
  const h = d2(b, k, end), mi = d2(b, k + 3, end), se = d2(b, k + 6, end);
  if (h < 0 || mi < 0 || se < 0 || cc(b, k + 2, end) !== 58 || cc(b, k + 5, end) !== 58 || cc(b, k + 8, end) !== 32) return 0;
  k += 9;
  let y = 0;
  const y0 = k;
  while (k < y0 + 4 && isDigit(cc(b, k, end))) { y = y * 10 + b[k]! - 48; k++; }
  if (k - y0 !== 4 || cc(b, k, end) !== 93) return 0;
  const v = civilToUtc(zone, y, mo, d, h, mi, se, 0, null);
  if (v < 0) return v;
  ctime.ms = v;
  ctime.end = k + 1;
  return 1;
}

export class SyslogHeader {
  /** Epoch ms of the header's timestamp, or null. */
  ts: number | null = null;
  /** The host that logged the message (inner host of a relay double header), or null. */
  host: string | null = null;
  /** Index where the message (after header, tag and uptime) starts. */
  msg = 0;
  /** Non-zero (a TERR_* code) when the header carries a timestamp with an invalid field. */
  err = 0;

  private readonly bsdKey = Buffer.alloc(15);
  private bsdHas = false;
  private bsdVal = 0;
  private readonly hosts = new BytesInterner();
  private depth = 0;
  /** Incremented whenever the cached BSD timestamp (bsdKey, bsdVal) changes. */
  private bsdGen = 0;
  // The last plain header `Mmm dd hh:mm:ss [host] kernel:` (no <PRI>, no fraction): its bytes up to the
  // tag's end, its host, and the bsdGen it was read under. A line that starts with the same bytes while
  // the BSD cache still holds its timestamp has the same ts, host and tag end (the checks of bsdTs and
  // afterTs read only those bytes), so only the uptime stamp after the tag is read.
  private readonly fastKey = Buffer.alloc(64);
  private fastLen = 0;
  private fastGen = -1;
  private fastHost: string | null = null;

  /** `fast` false: no fast path (the test that compares both). */
  constructor(private readonly zone: ZoneConverter, private readonly years: YearInferrer, private readonly fast = true) {}

  /** Recognizes a syslog header at p0 in b[p0, end); sets ts, host, msg, err. Returns false when there is none. */
  parse(b: Buffer, p0: number, end: number): boolean {
    this.err = 0;
    const fl = this.fastLen;
    if (fl > 0 && this.fast && this.fastGen === this.bsdGen && p0 + fl < end && sameBytes(this.fastKey, b, p0, fl)) {
      this.ts = this.bsdVal; this.host = this.fastHost;
      let q = p0 + fl;
      while (cc(b, q, end) === 32) q++;
      this.msg = skipUptime(b, q, end);
      this.relay(b, end);
      return true;
    }
    this.ts = null; this.host = null; this.msg = p0;
    let p = p0;
    let c = cc(b, p, end);
    if (c === 60) { // <PRI>
      let q = p + 1;
      while (q < p + 5 && isDigit(cc(b, q, end))) q++;
      if (q > p + 1 && cc(b, q, end) === 62) {
        p = q + 1;
        if (cc(b, p, end) === 32) p++;
        this.msg = p;
        c = cc(b, p, end);
        if (c === 49 && cc(b, p + 1, end) === 32) return this.rfc5424(b, p + 2, end);
      }
    }
    const pri = p !== p0; // a bare <PRI> counts as a header
    if (isDigit(c)) {
      const e = this.isoTs(b, p, end);
      if (e >= 0 && cc(b, e, end) === 32) { this.afterTs(b, e, end); this.relay(b, end); return true; }
      this.ts = null;
      return pri ? (this.skipUptimeFrom(b, p, end), true) : false;
    }
    const mo = monthAtB(b, p, end);
    if (mo !== 0) {
      const e = this.bsdTs(b, p, end, mo);
      if (e > 0) {
        const tag = this.afterTs(b, e, end);
        // (the key ends after the space that ends the tag's token: the host check reads up to there)
        if (tag > 0 && cc(b, tag, end) === 32 && !pri && e === p + 15 && this.err === 0 && this.depth === 0 && tag + 1 - p <= this.fastKey.length) {
          b.copy(this.fastKey, 0, p, tag + 1);
          this.fastLen = tag + 1 - p; this.fastGen = this.bsdGen; this.fastHost = this.host;
        }
        this.relay(b, end);
        return true;
      }
    }
    if (c === 91) {
      // `dmesg -T`: [Thu Mar 11 20:05:08 2021] (wall clock in --tz), else a kernel uptime stamp
      const k = dmesgTAt(b, p, end, this.zone);
      if (k !== 0) {
        if (k > 0) { this.ts = ctime.ms; p = ctime.end; } else { this.err = k; p = closeBracket(b, p, end) + 1; }
        while (cc(b, p, end) === 32) p++;
        this.msg = p;
        return true;
      }
      return this.skipUptimeFrom(b, p, end) || pri;
    }
    return pri;
  }

  private skipUptimeFrom(b: Buffer, p: number, end: number): boolean {
    const q = skipUptime(b, p, end);
    this.msg = q;
    return q !== p;
  }

  /** RFC 5424 after `<pri>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG. */
  private rfc5424(b: Buffer, p: number, end: number): boolean {
    if (cc(b, p, end) === 45) p += 1; // nil timestamp
    else {
      const e = this.isoTs(b, p, end);
      if (e < 0) { this.ts = null; p = valueEnd(b, p, end); } else p = e;
    }
    if (cc(b, p, end) !== 32) return false;
    p++;
    const he = valueEnd(b, p, end);
    this.host = he - p === 1 && b[p] === 45 ? null : this.hosts.get(b, p, he);
    p = he + 1;
    p = valueEnd(b, p, end) + 1; // APP-NAME
    p = valueEnd(b, p, end) + 1; // PROCID
    p = valueEnd(b, p, end) + 1; // MSGID
    if (p >= end) { this.msg = end; return true; }
    if (b[p] === 45) p += 2;
    else if (b[p] === 91) { // structured data: one or more [..], `\]` escaped inside values
      while (p < end && b[p] === 91) {
        let q = p + 1;
        for (; q < end; q++) {
          const c = b[q];
          if (c === 92) q++;
          else if (c === 93) break;
        }
        p = q + 1;
      }
      if (cc(b, p, end) === 32) p++;
    }
    if (cc(b, p, end) === 0xef && cc(b, p + 1, end) === 0xbb && cc(b, p + 2, end) === 0xbf) p += 3; // BOM
    this.msg = skipUptime(b, p, end);
    return true;
  }

  /**
   * ISO-8601/RFC 3339 timestamp at p (date `T` time); sets ts, returns the index after it or -1 when
   * the text is not shaped like one. A timestamp with an invalid field sets err (the line is malformed).
   * The stamp has no space inside: its token (up to the next space) is all the time module reads.
   */
  private isoTs(b: Buffer, p: number, end: number): number {
    const t = cc(b, p + 10, end);
    if (t !== 84 && t !== 116) return -1; // T
    const te = valueEnd(b, p, end);
    const v = scanIsoTime(latin1(b, p, te), 0, this.zone);
    if (v === TERR_SYNTAX) return -1;
    if (v < 0) { this.err = v; this.ts = null; } else this.ts = v;
    return p + scanned.end;
  }

  /** `Mmm dd hh:mm:ss` (day space- or zero-padded, optional fraction); sets ts, returns end or -1. */
  private bsdTs(b: Buffer, p: number, lineEnd: number, mo: number): number {
    // (p + 6, the space between day and time, is not checked: as the text parser always did)
    if (cc(b, p + 3, lineEnd) !== 32 || cc(b, p + 9, lineEnd) !== 58 || cc(b, p + 12, lineEnd) !== 58) return -1;
    let end = p + 15;
    const ec = cc(b, end, lineEnd);
    if (ec !== 32 && ec !== 46) return -1;
    if (this.bsdHas && sameBytes(this.bsdKey, b, p, 15)) {
      this.ts = this.bsdVal;
    } else {
      const dc = b[p + 4]!;
      const d1 = b[p + 5]! - 48;
      const day = (dc === 32 ? 0 : dc - 48) * 10 + d1;
      const h = d2(b, p + 7, lineEnd), mi = d2(b, p + 10, lineEnd), se = d2(b, p + 13, lineEnd);
      if (!(dc === 32 || isDigit(dc)) || d1 < 0 || d1 > 9 || h < 0 || mi < 0 || se < 0) return -1;
      const y = this.years.yearFor(mo, day >= 1 && day <= 31 ? day : 1);
      const v = civilToUtc(this.zone, y, mo, day, h, mi, se, 0, null);
      if (v < 0) { this.err = v; this.ts = null; return end; }
      this.bsdVal = v;
      b.copy(this.bsdKey, 0, p, p + 15);
      this.bsdHas = true;
      this.bsdGen++;
      this.ts = this.bsdVal;
    }
    if (ec === 46) { // fractional seconds
      let q = end + 1, ms = 0, scale = 100;
      while (q < lineEnd && isDigit(b[q]!)) { ms += (b[q]! - 48) * scale; scale /= 10; q++; }
      if (this.ts !== null) this.ts += Math.floor(ms);
      end = q;
    }
    return end;
  }

  /**
   * After the timestamp: optional host, optional `facility.level`, tag `kernel:` / `name[pid]:`, uptime.
   * Returns the index after a `kernel:` tag read as such (the fast path's key ends there), else -1.
   */
  private afterTs(b: Buffer, p: number, end: number): number {
    while (cc(b, p, end) === 32) p++;
    let q = valueEnd(b, p, end);
    const first = cc(b, p, end);
    if (q > p && b[q - 1] !== 58 && first !== 91 && !hasEq(b, p, q)) {
      this.host = this.hosts.get(b, p, q);
      p = q;
      while (cc(b, p, end) === 32) p++;
      q = valueEnd(b, p, end);
    }
    let tag = -1;
    if (cc(b, p, end) === 107 && cc(b, p + 6, end) === 58 && litAt(b, p, end, 'kernel:')) { p += 7; tag = p; }
    else if (q - p > 2 && b[q - 1] === 58 && b[q - 2] === 93 && lastBracket(b, p, Math.min(q, end - 1)) > p) p = q; // name[pid]:
    else if (q < end && litAt(b, q + 1, end, 'kernel:') && isFacility(b, p, q)) p = q + 8; // user.info kernel:
    while (cc(b, p, end) === 32) p++;
    this.msg = skipUptime(b, p, end);
    return tag;
  }

  /**
   * Relay double header: the message itself starts with another header (`Feb 24 22:09:26 10.5.172.40
   * Feb 24 22:06:07 BD-Panorama …`): the inner one names the logging device and its time.
   */
  private relay(b: Buffer, end: number): void {
    if (this.depth > 0 || this.err !== 0) return;
    const p = this.msg;
    const c = cc(b, p, end);
    if (!(monthAtB(b, p, end) !== 0 && cc(b, p + 3, end) === 32 && cc(b, p + 9, end) === 58)
      && !(isDigit(c) && cc(b, p + 4, end) === 45 && cc(b, p + 10, end) === 84)) return;
    const ts = this.ts, host = this.host, msg = this.msg;
    this.depth++;
    const ok = this.parse(b, p, end);
    this.depth--;
    if (!ok || this.err !== 0) { this.ts = ts; this.host = host; this.msg = msg; this.err = 0; }
  }
}

/** Index of the first `]` at or after p (before end), else -1. */
function closeBracket(b: Buffer, p: number, end: number): number {
  for (let i = p; i < end; i++) if (b[i] === 93) return i;
  return -1;
}

/** Index of the last `[` in b[0, q] from p on (as String#lastIndexOf('[', q) > p), else -1. */
function lastBracket(b: Buffer, p: number, q: number): number {
  for (let i = q; i > p; i--) if (b[i] === 91) return i;
  return -1;
}

function sameBytes(key: Buffer, b: Buffer, p: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (key[i] !== b[p + i]) return false;
  return true;
}
