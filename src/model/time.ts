/**
 * Time helpers: wall-clock time in an IANA zone to UTC epoch ms (offsets cached per hour, so the hot
 * path costs one Date.UTC and one Map lookup), ISO formatting, and year inference for year-less syslog.
 */

export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Fixed UTC offset of a zone written as `+09:30`, `-0200`, `UTC+01:00` (minutes), or null. */
export function fixedOffsetOf(tz: string): number | null {
  const m = /^(?:UTC|GMT)?([+-])(\d\d):?(\d\d)$/.exec(tz);
  if (!m) return null;
  const min = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || min > MAX_OFFSET_MIN) return null;
  return m[1] === '-' ? -min : min;
}

/** Throws a readable error for an unknown IANA zone name (fixed offsets such as +09:30 are accepted). */
export function assertTimeZone(tz: string): void {
  // (the usual answer without loading ICU's zone data: ~15 ms of every run's start-up)
  if (tz === 'UTC' || tz === 'Etc/UTC' || fixedOffsetOf(tz) !== null) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`unknown time zone "${tz}" (expected an IANA name such as UTC, Europe/Berlin, America/New_York)`);
  }
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function dtf(tz: string): Intl.DateTimeFormat {
  let f = dtfCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    dtfCache.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC in ms at the instant `utcMs`. */
export function tzOffsetAt(tz: string, utcMs: number): number {
  const parts = dtf(tz).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z', 'Universal', 'Zulu']);

/** Converts wall-clock times in one zone to UTC, caching the offset per local hour. */
export class ZoneConverter {
  private readonly utc: boolean;
  /** Offset in ms of a fixed-offset zone (`+09:30`), else null. */
  private readonly fixed: number | null;
  private readonly cache = new Map<number, number>();
  constructor(readonly tz: string) {
    this.utc = UTC_NAMES.has(tz);
    const f = this.utc ? null : fixedOffsetOf(tz);
    this.fixed = f === null ? null : f * 60_000;
    if (!this.utc && this.fixed === null) assertTimeZone(tz);
  }
  /** month is 1-12. Ambiguous local times (DST fall-back) resolve to the earlier instant. */
  toUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
    const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    if (this.utc) return local;
    if (this.fixed !== null) return local - this.fixed;
    const key = Math.floor(local / 3_600_000);
    let off = this.cache.get(key);
    if (off === undefined) {
      // The offsets in force half a day either side; keep those that map this local hour onto
      // themselves. Two valid (DST fall-back, repeated hour) → the larger offset, the earlier
      // instant. None valid (spring-forward gap) → the offset before the gap.
      const base = key * 3_600_000;
      const before = tzOffsetAt(this.tz, base - 43_200_000);
      const after = tzOffsetAt(this.tz, base + 43_200_000);
      const valid = [before, after].filter((o) => tzOffsetAt(this.tz, base - o) === o);
      off = valid.length ? Math.max(...valid) : before;
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, off);
    }
    return local - off;
  }
}

/** ISO-8601 UTC with milliseconds, e.g. 2026-03-10T09:00:05.000Z. */
export function isoUtc(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

export const MONTHS: Record<string, number> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/**
 * Year for year-less syslog stamps (RFC 3164). With an explicit year, that is the year of the first
 * line and a month going back (Dec → Jan) inside the file moves to the next year. Without one, the most
 * recent year that does not put the line in the future relative to the reference time (the file's
 * modification time, plus one day of slack for clock skew).
 */
export class YearInferrer {
  private year: number | undefined;
  private lastMonth = 0;
  private readonly refYear: number;
  private readonly refMonthDay: number;
  constructor(explicitYear: number | undefined, refMs: number) {
    this.year = explicitYear;
    const ref = new Date(refMs + 86_400_000);
    this.refYear = ref.getUTCFullYear();
    this.refMonthDay = (ref.getUTCMonth() + 1) * 100 + ref.getUTCDate();
  }
  yearFor(month: number, day: number): number {
    if (this.year !== undefined) {
      if (this.lastMonth && month < this.lastMonth && this.lastMonth - month >= 6) this.year++;
      this.lastMonth = month;
      return this.year;
    }
    let y = month * 100 + day > this.refMonthDay ? this.refYear - 1 : this.refYear;
    if (month === 2 && day === 29) while (!(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) y--;
    return y;
  }
}

// ---------------------------------------------------------------------------------------------------
// The one validated civil-time → UTC conversion used by every parser.
//
// Scanning functions return epoch ms (always > 0 inside the plausible window) or a negative error code
// (TERR_*); `timeError(code)` names the field for the skip reason. No allocation on the hot path: the end
// of the scanned text and whether an offset was present are left in `scanned`.
// ---------------------------------------------------------------------------------------------------

/** Plausible years for a firewall log timestamp (inclusive). */
export const MIN_YEAR = 1990;
export const MAX_YEAR = 2100;
/** Epoch ms bounds of the plausible window: [1990-01-01, 2101-01-01). */
export const MIN_TS = Date.UTC(MIN_YEAR, 0, 1);
export const MAX_TS = Date.UTC(MAX_YEAR + 1, 0, 1);
/** Largest UTC offset in use anywhere (Line Islands +14:00; -12:00 at the other end). */
export const MAX_OFFSET_MIN = 14 * 60;

export const TERR_SYNTAX = -1;
export const TERR_YEAR = -2;
export const TERR_MONTH = -3;
export const TERR_DAY = -4;
export const TERR_HOUR = -5;
export const TERR_MINUTE = -6;
export const TERR_SECOND = -7;
export const TERR_FRACTION = -8;
export const TERR_OFFSET = -9;
export const TERR_RANGE = -10;

const TERR_NAMES = ['', 'timestamp syntax', 'timestamp year out of range (1990-2100)', 'timestamp month out of range',
  'timestamp day out of range for the month', 'timestamp hour out of range', 'timestamp minute out of range',
  'timestamp second out of range', 'timestamp fraction invalid', 'timestamp UTC offset out of range (±14:00)',
  'timestamp outside the plausible window (1990-2100)'];

/** Reason text of a negative code from the functions below ("invalid timestamp: …"). */
export function timeError(code: number): string {
  return 'invalid ' + (TERR_NAMES[-code] ?? 'timestamp');
}

export function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DIM = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, mo: number): number {
  return mo === 2 && isLeapYear(y) ? 29 : DIM[mo] ?? 0;
}

/**
 * 0 when the civil date-time is valid (no roll-over: 2026-02-31 is an error, a leap second 60 is read
 * as 59), else the TERR_* code naming the first bad field. Expects integers (-1 for "not digits").
 */
export function civilError(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (!(y >= MIN_YEAR && y <= MAX_YEAR)) return TERR_YEAR;
  if (!(mo >= 1 && mo <= 12)) return TERR_MONTH;
  if (!(d >= 1 && d <= (mo === 2 && isLeapYear(y) ? 29 : DIM[mo]!))) return TERR_DAY;
  if (!(h >= 0 && h <= 23)) return TERR_HOUR;
  if (!(mi >= 0 && mi <= 59)) return TERR_MINUTE;
  if (!(s >= 0 && s <= 60)) return TERR_SECOND;
  return 0;
}

/**
 * Civil date-time → epoch ms, validated. `offsetMin` is the UTC offset in minutes written in the log;
 * null = wall-clock time in `zone`. Returns ms or a negative TERR_* code.
 */
export function civilToUtc(zone: ZoneConverter | null, y: number, mo: number, d: number, h: number, mi: number,
  s: number, ms: number, offsetMin: number | null): number {
  const e = civilError(y, mo, d, h, mi, s);
  if (e !== 0) return e;
  if (!(ms >= 0 && ms < 1000)) return TERR_FRACTION;
  const sec = s === 60 ? 59 : s;
  let t: number;
  if (offsetMin !== null) {
    if (!(offsetMin >= -MAX_OFFSET_MIN && offsetMin <= MAX_OFFSET_MIN)) return TERR_OFFSET;
    t = Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000;
  } else t = zone ? zone.toUtc(y, mo, d, h, mi, sec, ms) : Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  return t >= MIN_TS && t < MAX_TS ? t : TERR_RANGE;
}

/** Result details of the last scan: index after the timestamp, whether it carried an offset or Z. */
export const scanned = { end: 0, offset: false, offsetMin: 0 };

function dg(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * ISO-8601 / RFC 3339 / PAN-OS date-time at `a`: `YYYY-MM-DD` or `YYYY/MM/DD`, then `T`, `t` or one space,
 * `HH:MM:SS`, optional `.fff…` or `,fff…` (any number of digits; truncated to ms), optional `Z`, `±HH:MM`,
 * `±HHMM` or `±HH`. The scan stops there (`scanned.end`); the caller decides what may follow. Without an
 * offset the time is wall-clock in `zone`. Returns ms or a negative TERR_* code (TERR_SYNTAX when the
 * text does not have the shape of a timestamp at all).
 */
export function scanIsoTime(s: string, a: number, zone: ZoneConverter | null, lim = s.length): number {
  const sep = s.charCodeAt(a + 4);
  if (!(sep === 45 || sep === 47) || s.charCodeAt(a + 7) !== sep) return TERR_SYNTAX;
  const t = s.charCodeAt(a + 10);
  if (!(t === 84 || t === 116 || t === 32) || s.charCodeAt(a + 13) !== 58 || s.charCodeAt(a + 16) !== 58) return TERR_SYNTAX;
  const y = dg(s, a, 4), mo = dg(s, a + 5, 2), d = dg(s, a + 8, 2);
  const h = dg(s, a + 11, 2), mi = dg(s, a + 14, 2), se = dg(s, a + 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return TERR_SYNTAX;
  let k = a + 19;
  let ms = 0;
  const n = lim;
  const fc = k < n ? s.charCodeAt(k) : -1;
  const fd = s.charCodeAt(k + 1);
  if ((fc === 46 || fc === 44) && fd >= 48 && fd <= 57) {
    k++;
    const f0 = k;
    let scale = 100;
    for (let c = s.charCodeAt(k) - 48; k < n && c >= 0 && c <= 9; c = s.charCodeAt(++k) - 48) {
      if (scale >= 1) ms += c * scale;
      scale /= 10;
    }
    if (k === f0) return TERR_FRACTION;
  } else if (fc === 46) {
    return TERR_FRACTION;
  }
  let off: number | null = null;
  const z = k < n ? s.charCodeAt(k) : -1;
  if (z === 90 || z === 122) { off = 0; k++; }
  else if (z === 43 || z === 45) {
    const oh = dg(s, k + 1, 2);
    if (oh < 0) return TERR_OFFSET;
    let om = 0;
    k += 3;
    if (s.charCodeAt(k) === 58) {
      om = dg(s, k + 1, 2);
      if (om < 0) return TERR_OFFSET;
      k += 3;
    } else {
      const m2 = dg(s, k, 2);
      if (m2 >= 0) { om = m2; k += 2; }
    }
    if (om > 59 || oh > 14) return TERR_OFFSET;
    off = (oh * 60 + om) * (z === 45 ? -1 : 1);
  }
  scanned.end = k;
  scanned.offset = off !== null;
  scanned.offsetMin = off ?? 0;
  return civilToUtc(zone, y, mo, d, h, mi, se, ms, off);
}

/** scanIsoTime over exactly s[a,b): anything left after the timestamp is TERR_SYNTAX. */
export function parseIsoTime(s: string, a: number, b: number, zone: ZoneConverter | null): number {
  if (b - a < 19) return TERR_SYNTAX;
  const v = scanIsoTime(s, a, zone, b);
  if (v >= 0 && scanned.end !== b) return TERR_SYNTAX;
  return v;
}

/**
 * Epoch number (s, ms, µs or ns chosen by magnitude) → ms within the plausible window, or TERR_RANGE.
 */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return TERR_RANGE;
  let t: number;
  if (n < 1e11) t = Math.round(n * 1000);
  else if (n < 1e14) t = Math.round(n);
  else if (n < 1e17) t = Math.round(n / 1000);
  else t = Math.round(n / 1e6);
  return t >= MIN_TS && t < MAX_TS ? t : TERR_RANGE;
}

/** True when `ms` is a valid flow timestamp (integer inside the plausible window). */
export function isPlausibleTs(ms: number): boolean {
  return Number.isInteger(ms) && ms >= MIN_TS && ms < MAX_TS;
}

// ---------------------------------------------------------------------------------------------------
// User-typed times (--since, --until, --at): one reading for every option.
// ---------------------------------------------------------------------------------------------------

const REL_UNITS: Record<string, number> = {
  s: 1000, sec: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000,
};

/**
 * Reads a time typed by the user. Accepted:
 * - relative, before `now`: `30d`, `12h`, `2w`, `90min`, `45s` (`m` alone is refused: minutes or months?);
 * - `YYYY-MM-DD` (midnight), `YYYY-MM-DD HH:MM[:SS[.fff]]` or with `T`: wall-clock in `tz` unless the
 *   text carries `Z` or an offset.
 * Throws an Error whose message says what is accepted; callers wrap it as a usage error.
 */
export function parseUserTime(text: string, tz: string, now: number): number {
  const t = text.trim();
  const rel = /^(\d{1,6})\s*([a-z]+)$/i.exec(t);
  if (rel) {
    const unit = rel[2]!.toLowerCase();
    if (unit === 'm') throw new Error(`ambiguous time "${text}": write ${rel[1]}min for minutes or ${rel[1]}d for days`);
    const mul = REL_UNITS[unit];
    if (mul === undefined) throw new Error(`unknown time unit in "${text}" (use s, min, h, d or w)`);
    return now - Number(rel[1]) * mul;
  }
  const zone = new ZoneConverter(tz);
  let s = t;
  if (/^\d{4}-\d\d-\d\d$/.test(s)) s += 'T00:00:00';
  else if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?:Z|[+-]\d\d(?::?\d\d)?)?$/i.test(s)) s = s.slice(0, 16) + ':00' + s.slice(16);
  const v = s.length >= 19 ? parseIsoTime(s, 0, s.length, zone) : TERR_SYNTAX;
  if (v < 0) {
    throw new Error(v === TERR_SYNTAX
      ? `cannot read time "${text}" (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM], or a relative 30d, 12h, 2w, 90min)`
      : `${timeError(v)} in "${text}"`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------
// The plausible window of a file's timestamps (issue 10 item 1).
//
// The file's time (its modification time; a ZIP member's own time; a gzip member's MTIME when set; for a
// stream — stdin, a FIFO, a device — the time of reading) is an upper bound on when its lines were written:
// a line stamped more than FUTURE_SLACK_MS after it is malformed. The slack covers what legitimately puts a
// line after the file's time: a device clock that drifts or runs unsynchronised, a log written in a zone and
// read in another (-12:00 read as +14:00 is 26 h), a ZIP member time stored as local wall-clock time.
//
// The file's time is no lower bound: `cp`, `git clone`, a download and most unpackers give a file the time
// it was written here, so a line of 2016 in a file of 2026 is the normal case of a replayed export, and any
// "more than N years before the file's time" rule would reject real exports (and turn the public corpus,
// checked out with today's mtime, into a test that fails N years after its lines). A line is implausibly
// old when it predates the log format itself (`FORMAT_SINCE` below): nothing could have written a
// Windows Vista security event in 2003. That bound is a fact about the format and never moves with the
// clock. The fixed 1990–2100 window above still applies to every format.
// ---------------------------------------------------------------------------------------------------

/** How far after the file's time a line may be stamped (clock and zone skew). */
export const FUTURE_SLACK_MS = 48 * 3_600_000;

/**
 * The first day each log format could have been written, by format id prefix (the longest prefix wins).
 * Each date is a little before the first public release, so that no real line is rejected:
 * - `winfw`: pfirewall.log comes with the Internet Connection Firewall of Windows XP (released 2001-10-25).
 * - `wfp`: security audit events 5152–5159 come with Windows Vista / Server 2008 (Vista released
 *   2006-11-08 to businesses).
 * - `iptables`: netfilter's LOG target comes with the Linux 2.3 development kernels of 1999 (2.4.0 in 2001).
 * - `iptables-journald`: the systemd journal comes with systemd (first release 2010-03-30).
 * - `panos`: Palo Alto Networks' first firewalls (PA-4000, PAN-OS 1.x/2.x) shipped in 2007.
 */
export const FORMAT_SINCE: ReadonlyArray<{ prefix: string; ms: number; what: string }> = [
  { prefix: 'winfw', ms: Date.UTC(2001, 0, 1), what: 'pfirewall.log (Windows XP, 2001)' },
  { prefix: 'wfp', ms: Date.UTC(2006, 0, 1), what: 'WFP audit events (Windows Vista, 2006)' },
  { prefix: 'iptables-journald', ms: Date.UTC(2010, 0, 1), what: 'the systemd journal (2010)' },
  { prefix: 'iptables', ms: Date.UTC(1999, 0, 1), what: 'netfilter LOG lines (Linux 2.3, 1999)' },
  { prefix: 'panos', ms: Date.UTC(2007, 0, 1), what: 'PAN-OS (2007)' },
];

function formatSince(format: string): { ms: number; what: string } | null {
  let best: { prefix: string; ms: number; what: string } | null = null;
  for (const f of FORMAT_SINCE) if (format.startsWith(f.prefix) && (!best || f.prefix.length > best.prefix.length)) best = f;
  return best;
}

/** Where a file's time comes from (named in the reason of a rejected line). */
export type FileTimeSource = 'mtime' | 'zip member time' | 'gzip MTIME' | 'time of reading';

export interface FileTime {
  /** Epoch ms. */
  ms: number;
  source: FileTimeSource;
  /** A stream read as it is written (stdin, FIFO, device): the upper bound follows the clock while reading. */
  live: boolean;
}

/**
 * The time a file's lines can be checked against: `candidate` when it is a plausible time (inside the
 * 1990–2100 window), else the container's time (a ZIP member dated 1980-01-01, the DOS epoch, as
 * reproducible archives do; a gzip MTIME of 0, "not set"), else the time of reading.
 */
export function pickFileTime(candidate: number | null | undefined, source: FileTimeSource, fallback: FileTime | null, now = Date.now()): FileTime {
  if (candidate !== null && candidate !== undefined && Number.isFinite(candidate) && candidate >= MIN_TS && candidate < MAX_TS) {
    return { ms: candidate, source, live: false };
  }
  return fallback ?? { ms: now, source: 'time of reading', live: true };
}

function minuteText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

/**
 * Checks flow timestamps against the plausible window of one input: not later than the file's time plus
 * FUTURE_SLACK_MS, not before its format existed. One instance per input; the reasons are constant per
 * input (so the summary groups them) and name the field (`ts: …`).
 */
export class TimeWindow {
  private max: number;
  private readonly afterReason: string;
  private readonly floors = new Map<string, { ms: number; reason: string } | null>();
  /** The floor of the last format seen (one input has one format). */
  private lastFormat: string | undefined;
  private lastFloor: { ms: number; reason: string } | null | undefined;
  constructor(readonly file: FileTime, private readonly clock: () => number = Date.now) {
    this.max = file.ms + FUTURE_SLACK_MS;
    this.afterReason = file.live
      ? `ts: more than ${FUTURE_SLACK_MS / 3_600_000} h after the time of reading (--no-time-window accepts it)`
      : `ts: more than ${FUTURE_SLACK_MS / 3_600_000} h after the file's time (${file.source} ${minuteText(file.ms)}; --no-time-window accepts it)`;
  }
  /** null when `ts` (epoch ms, or null: no timestamp) is plausible for a line of `format`, else the reason. */
  check(ts: number | null, format: string): string | null {
    // a missing or non-numeric ts is not this check's business (validateFlow's)
    if (typeof ts !== 'number') return null;
    let floor = format === this.lastFormat ? this.lastFloor : this.floors.get(format);
    if (floor === undefined) {
      const s = typeof format === 'string' ? formatSince(format) : null;
      floor = s ? { ms: s.ms, reason: `ts: before ${minuteText(s.ms).slice(0, 10)}, earlier than ${s.what} (--no-time-window accepts it)` } : null;
      this.floors.set(format, floor);
    }
    this.lastFormat = format;
    this.lastFloor = floor;
    if (ts > this.max) {
      // A stream is read while it is written: the bound follows the clock (read only when needed).
      if (this.file.live) this.max = Math.max(this.max, this.clock() + FUTURE_SLACK_MS);
      // A file time before its format existed is itself wrong (an archive made with a fixed mtime such as
      // 2000-01-01, a restore that reset it): it bounds nothing.
      if (ts > this.max && !(floor !== null && this.file.ms < floor.ms)) return this.afterReason;
    }
    if (floor !== null && ts < floor.ms) return floor.reason;
    return null;
  }
}
