/**
 * Check-in windows (LanGuard agents check in daily 10:00-17:00 local time): does the time span the logs
 * cover reach into the window on some day? Bounded: at most 97 probes (spans of a day or more always do).
 */
const FORMATS = new Map<string, Intl.DateTimeFormat>();

function minuteOfDay(ts: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return ((Math.floor(ts / 60_000) % 1440) + 1440) % 1440; // (no ICU zone data to load)
  let f = FORMATS.get(tz);
  if (!f) {
    try { f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }); }
    catch { f = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }); }
    FORMATS.set(tz, f);
  }
  let h = 0, m = 0;
  for (const p of f.formatToParts(new Date(ts))) {
    if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

/** Parses "HH:MM-HH:MM" into minutes of the day; null when unreadable. */
export function parseWindow(w: string): [number, number] | null {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(w.trim());
  if (!m) return null;
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}

function inside(min: number, [lo, hi]: [number, number]): boolean {
  return lo <= hi ? min >= lo && min < hi : min >= lo || min < hi;
}

/** Whether [first, last] (ms UTC) overlaps the daily window in `tz`. No timestamps → false. */
export function windowCoverage(window: string, first: number | null, last: number | null, tz: string): boolean {
  const w = parseWindow(window);
  if (!w) return true; // unreadable windows are not held against the data (the ruleset validator checks the format)
  if (first === null || last === null) return false;
  if (last - first >= 86_400_000) return true;
  const step = 15 * 60_000;
  for (let t = first; t < last; t += step) if (inside(minuteOfDay(t, tz), w)) return true;
  if (inside(minuteOfDay(last, tz), w)) return true;
  // the window may start between two probes: check its start instants
  const a = minuteOfDay(first, tz);
  const span = (last - first) / 60_000;
  const toStart = (w[0] - a + 1440) % 1440;
  return toStart <= span;
}
