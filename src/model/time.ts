/**
 * Time helpers: wall-clock time in an IANA zone to UTC epoch ms (offsets cached per hour, so the hot
 * path costs one Date.UTC and one Map lookup), ISO formatting, and year inference for year-less syslog.
 */

export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Throws a readable error for an unknown IANA zone name. */
export function assertTimeZone(tz: string): void {
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
  private readonly cache = new Map<number, number>();
  constructor(readonly tz: string) {
    this.utc = UTC_NAMES.has(tz);
    if (!this.utc) assertTimeZone(tz);
  }
  /** month is 1-12. Ambiguous local times (DST fall-back) resolve to the earlier instant. */
  toUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
    const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    if (this.utc) return local;
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
