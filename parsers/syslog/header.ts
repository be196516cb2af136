/**
 * The syslog header, parsed once for every syslog-carried format: `<PRI>`, RFC 5424
 * (`<pri>1 ts host app procid msgid [sd] msg`), RFC 3339 / ISO stamps (`journalctl -o short-iso`,
 * rsyslog), RFC 3164 BSD stamps (`Mmm dd hh:mm:ss`, `short-precise` fractions), `dmesg -T`
 * (`[Thu Mar 11 20:05:08 2021]`), kernel uptime stamps, an optional host, `facility.level` and the
 * `kernel:` / `name[pid]:` tag, and relay double headers (`<relay stamp> <relay> <stamp> <device> …`:
 * the inner header wins). Timestamps go through the validated time module: an impossible date sets
 * `err` (the caller counts the line as malformed), never a rolled-over date.
 *
 * Results are left in fields (no object per line); the BSD timestamp and the host are cached.
 */
import { civilToUtc, scanIsoTime, scanned, TERR_SYNTAX, type YearInferrer, type ZoneConverter } from '../../src/model/time.js';

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function d2(s: string, p: number): number {
  const a = s.charCodeAt(p) - 48, b = s.charCodeAt(p + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Month number (1-12) of a three-letter English month name at p, else 0. */
export function monthAt(s: string, p: number): number {
  const a = s.charCodeAt(p), b = s.charCodeAt(p + 1), c = s.charCodeAt(p + 2);
  switch (a) {
    case 74: // J
      if (b === 97 && c === 110) return 1; // Jan
      if (b === 117 && c === 110) return 6; // Jun
      if (b === 117 && c === 108) return 7; // Jul
      return 0;
    case 70: return b === 101 && c === 98 ? 2 : 0; // Feb
    case 77: return b === 97 ? (c === 114 ? 3 : c === 121 ? 5 : 0) : 0; // Mar, May
    case 65: // A
      if (b === 112 && c === 114) return 4; // Apr
      if (b === 117 && c === 103) return 8; // Aug
      return 0;
    case 83: return b === 101 && c === 112 ? 9 : 0; // Sep
    case 79: return b === 99 && c === 116 ? 10 : 0; // Oct
    case 78: return b === 111 && c === 118 ? 11 : 0; // Nov
    case 68: return b === 101 && c === 99 ? 12 : 0; // Dec
    default: return 0;
  }
}

/** End of the value that starts at p: the next space (or the end of the text). */
export function valueEnd(s: string, p: number): number {
  const e = s.indexOf(' ', p);
  return e < 0 ? s.length : e;
}

/** s.startsWith(lit, p) for p ≥ 0. */
export function at(s: string, p: number, lit: string): boolean {
  return p >= 0 && s.startsWith(lit, p);
}

export function hasEq(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (s.charCodeAt(i) === 61) return true;
  return false;
}

/** `facility.level` token (letters, one dot), as some embedded syslogds print before the tag. */
function isFacility(s: string, a: number, b: number): boolean {
  let dot = -1;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) { if (dot >= 0) return false; dot = i; } else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return dot > a && dot < b - 1;
}

/** Skips a kernel uptime stamp `[ 4374.583353] ` at p (digits, spaces and one dot inside brackets). */
export function skipUptime(s: string, p: number): number {
  if (s.charCodeAt(p) !== 91) return p;
  let q = p + 1, digits = 0;
  for (; q < s.length; q++) {
    const c = s.charCodeAt(q);
    if (c === 93) break;
    if (isDigit(c)) digits++;
    else if (c !== 32 && c !== 46) return p;
  }
  if (q >= s.length || digits === 0) return p;
  q++;
  while (s.charCodeAt(q) === 32) q++;
  return q;
}

const DAY_NAMES = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/** End index and value of the last `ctimeAt` scan. */
export const ctime = { end: 0, ms: 0 };

/**
 * ctime stamp at p, as `dmesg -T` prints it inside brackets: `[Thu Mar 11 20:05:08 2021]` (p at `[`).
 * Wall-clock in `zone`. Returns 1 and sets `ctime` when valid, 0 when the text is not such a stamp, or
 * a negative TERR_* code when it is one with an invalid field.
 */
export function dmesgTAt(s: string, p: number, zone: ZoneConverter): number {
  if (s.charCodeAt(p) !== 91 || !DAY_NAMES.has(s.slice(p + 1, p + 4)) || s.charCodeAt(p + 4) !== 32) return 0;
  const mo = monthAt(s, p + 5);
  if (mo === 0 || s.charCodeAt(p + 8) !== 32) return 0;
  let q = p + 9;
  if (s.charCodeAt(q) === 32) q++;
  let d = 0, k = q;
  while (k < q + 2 && isDigit(s.charCodeAt(k))) { d = d * 10 + s.charCodeAt(k) - 48; k++; }
  if (k === q || s.charCodeAt(k) !== 32) return 0;
  k++;
  const h = d2(s, k), mi = d2(s, k + 3), se = d2(s, k + 6);
  if (h < 0 || mi < 0 || se < 0 || s.charCodeAt(k + 2) !== 58 || s.charCodeAt(k + 5) !== 58 || s.charCodeAt(k + 8) !== 32) return 0;
  k += 9;
  let y = 0;
  const y0 = k;
  while (k < y0 + 4 && isDigit(s.charCodeAt(k))) { y = y * 10 + s.charCodeAt(k) - 48; k++; }
  if (k - y0 !== 4 || s.charCodeAt(k) !== 93) return 0;
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

  private bsdKey = '';
  private bsdVal = 0;
  private hostCache = '';
  private depth = 0;

  constructor(private readonly zone: ZoneConverter, private readonly years: YearInferrer) {}

  /** Recognizes a syslog header at p0; sets ts, host, msg, err. Returns false when there is none. */
  parse(s: string, p0: number): boolean {
    this.ts = null; this.host = null; this.msg = p0; this.err = 0;
    let p = p0;
    let c = s.charCodeAt(p);
    if (c === 60) { // <PRI>
      let q = p + 1;
      while (q < p + 5 && isDigit(s.charCodeAt(q))) q++;
      if (q > p + 1 && s.charCodeAt(q) === 62) {
        p = q + 1;
        if (s.charCodeAt(p) === 32) p++;
        this.msg = p;
        c = s.charCodeAt(p);
        if (c === 49 && s.charCodeAt(p + 1) === 32) return this.rfc5424(s, p + 2);
      }
    }
    const pri = p !== p0; // a bare <PRI> counts as a header
    if (isDigit(c)) {
      const e = this.isoTs(s, p);
      if (e >= 0 && s.charCodeAt(e) === 32) { this.afterTs(s, e); this.relay(s); return true; }
      this.ts = null;
      return pri ? (this.skipUptimeFrom(s, p), true) : false;
    }
    const mo = monthAt(s, p);
    if (mo !== 0) {
      const e = this.bsdTs(s, p, mo);
      if (e > 0) { this.afterTs(s, e); this.relay(s); return true; }
    }
    if (c === 91) {
      // `dmesg -T`: [Thu Mar 11 20:05:08 2021] (wall clock in --tz), else a kernel uptime stamp
      const k = dmesgTAt(s, p, this.zone);
      if (k !== 0) {
        if (k > 0) { this.ts = ctime.ms; p = ctime.end; } else { this.err = k; p = s.indexOf(']', p) + 1; }
        while (s.charCodeAt(p) === 32) p++;
        this.msg = p;
        return true;
      }
      return this.skipUptimeFrom(s, p) || pri;
    }
    return pri;
  }

  private skipUptimeFrom(s: string, p: number): boolean {
    const q = skipUptime(s, p);
    this.msg = q;
    return q !== p;
  }

  /** RFC 5424 after `<pri>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG. */
  private rfc5424(s: string, p: number): boolean {
    if (s.charCodeAt(p) === 45) p += 1; // nil timestamp
    else {
      const e = this.isoTs(s, p);
      if (e < 0) { this.ts = null; p = valueEnd(s, p); } else p = e;
    }
    if (s.charCodeAt(p) !== 32) return false;
    p++;
    const he = valueEnd(s, p);
    this.host = he - p === 1 && s.charCodeAt(p) === 45 ? null : this.hostAt(s, p, he);
    p = he + 1;
    p = valueEnd(s, p) + 1; // APP-NAME
    p = valueEnd(s, p) + 1; // PROCID
    p = valueEnd(s, p) + 1; // MSGID
    if (p >= s.length) { this.msg = s.length; return true; }
    if (s.charCodeAt(p) === 45) p += 2;
    else if (s.charCodeAt(p) === 91) { // structured data: one or more [..], `\]` escaped inside values
      while (p < s.length && s.charCodeAt(p) === 91) {
        let q = p + 1;
        for (; q < s.length; q++) {
          const c = s.charCodeAt(q);
          if (c === 92) q++;
          else if (c === 93) break;
        }
        p = q + 1;
      }
      if (s.charCodeAt(p) === 32) p++;
    }
    if (s.charCodeAt(p) === 0xfeff) p++;
    this.msg = skipUptime(s, p);
    return true;
  }

  /**
   * ISO-8601/RFC 3339 timestamp at p (date `T` time); sets ts, returns the index after it or -1 when
   * the text is not shaped like one. A timestamp with an invalid field sets err (the line is malformed).
   */
  private isoTs(s: string, p: number): number {
    const t = s.charCodeAt(p + 10);
    if (t !== 84 && t !== 116) return -1; // T
    const v = scanIsoTime(s, p, this.zone);
    if (v === TERR_SYNTAX) return -1;
    if (v < 0) { this.err = v; this.ts = null; } else this.ts = v;
    return scanned.end;
  }

  /** `Mmm dd hh:mm:ss` (day space- or zero-padded, optional fraction); sets ts, returns end or -1. */
  private bsdTs(s: string, p: number, mo: number): number {
    if (s.charCodeAt(p + 3) !== 32 || s.charCodeAt(p + 9) !== 58 || s.charCodeAt(p + 12) !== 58) return -1;
    let end = p + 15;
    const ec = s.charCodeAt(end);
    if (ec !== 32 && ec !== 46) return -1;
    if (this.bsdKey !== '' && at(s, p, this.bsdKey)) {
      this.ts = this.bsdVal;
    } else {
      const dc = s.charCodeAt(p + 4);
      const d1 = s.charCodeAt(p + 5) - 48;
      const day = (dc === 32 ? 0 : dc - 48) * 10 + d1;
      const h = d2(s, p + 7), mi = d2(s, p + 10), se = d2(s, p + 13);
      if (!(dc === 32 || isDigit(dc)) || d1 < 0 || d1 > 9 || h < 0 || mi < 0 || se < 0) return -1;
      const y = this.years.yearFor(mo, day >= 1 && day <= 31 ? day : 1);
      const v = civilToUtc(this.zone, y, mo, day, h, mi, se, 0, null);
      if (v < 0) { this.err = v; this.ts = null; return end; }
      this.bsdVal = v;
      this.bsdKey = s.slice(p, p + 15);
      this.ts = this.bsdVal;
    }
    if (ec === 46) { // fractional seconds
      let q = end + 1, ms = 0, scale = 100;
      while (q < s.length && isDigit(s.charCodeAt(q))) { ms += (s.charCodeAt(q) - 48) * scale; scale /= 10; q++; }
      if (this.ts !== null) this.ts += Math.floor(ms);
      end = q;
    }
    return end;
  }

  /** After the timestamp: optional host, optional `facility.level`, tag `kernel:` / `name[pid]:`, uptime. */
  private afterTs(s: string, p: number): void {
    while (s.charCodeAt(p) === 32) p++;
    let q = valueEnd(s, p);
    const first = s.charCodeAt(p);
    if (q > p && s.charCodeAt(q - 1) !== 58 && first !== 91 && !hasEq(s, p, q)) {
      this.host = this.hostAt(s, p, q);
      p = q;
      while (s.charCodeAt(p) === 32) p++;
      q = valueEnd(s, p);
    }
    if (s.charCodeAt(p) === 107 && s.charCodeAt(p + 6) === 58 && at(s, p, 'kernel:')) p += 7;
    else if (q - p > 2 && s.charCodeAt(q - 1) === 58 && s.charCodeAt(q - 2) === 93 && s.lastIndexOf('[', q) > p) p = q; // name[pid]:
    else if (q < s.length && at(s, q + 1, 'kernel:') && isFacility(s, p, q)) p = q + 8; // user.info kernel:
    while (s.charCodeAt(p) === 32) p++;
    this.msg = skipUptime(s, p);
  }

  private hostAt(s: string, a: number, b: number): string {
    const h = this.hostCache;
    if (h.length === b - a && at(s, a, h)) return h;
    return (this.hostCache = s.slice(a, b));
  }

  /**
   * Relay double header: the message itself starts with another header (`Feb 24 22:09:26 10.5.172.40
   * Feb 24 22:06:07 BD-Panorama …`): the inner one names the logging device and its time.
   */
  private relay(s: string): void {
    if (this.depth > 0 || this.err !== 0) return;
    const p = this.msg;
    const c = s.charCodeAt(p);
    if (!(monthAt(s, p) !== 0 && s.charCodeAt(p + 3) === 32 && s.charCodeAt(p + 9) === 58) && !(isDigit(c) && s.charCodeAt(p + 4) === 45 && s.charCodeAt(p + 10) === 84)) return;
    const ts = this.ts, host = this.host, msg = this.msg;
    this.depth++;
    const ok = this.parse(s, p);
    this.depth--;
    if (!ok || this.err !== 0) { this.ts = ts; this.host = host; this.msg = msg; this.err = 0; }
  }
}
