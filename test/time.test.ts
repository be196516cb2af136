import { describe, expect, it } from 'vitest';
import { YearInferrer, ZoneConverter, isoUtc } from '../src/model/time.js';

describe('ZoneConverter', () => {
  const berlin = new ZoneConverter('Europe/Berlin');
  const iso = (ms: number) => isoUtc(ms);
  it('converts winter and summer wall-clock time', () => {
    expect(iso(berlin.toUtc(2026, 1, 15, 12, 0, 0))).toBe('2026-01-15T11:00:00.000Z');
    expect(iso(berlin.toUtc(2026, 7, 15, 12, 0, 0, 250))).toBe('2026-07-15T10:00:00.250Z');
  });
  it('resolves the repeated hour at the end of DST to the earlier instant', () => {
    expect(iso(berlin.toUtc(2005, 10, 30, 2, 30, 0))).toBe('2005-10-30T00:30:00.000Z');
    expect(iso(berlin.toUtc(2005, 10, 30, 3, 30, 0))).toBe('2005-10-30T02:30:00.000Z');
    expect(iso(berlin.toUtc(2005, 10, 30, 1, 30, 0))).toBe('2005-10-29T23:30:00.000Z');
  });
  it('moves a time in the spring-forward gap forward', () => {
    expect(iso(berlin.toUtc(2005, 3, 27, 2, 30, 0))).toBe('2005-03-27T01:30:00.000Z');
    expect(iso(berlin.toUtc(2005, 3, 27, 3, 30, 0))).toBe('2005-03-27T01:30:00.000Z');
  });
  it('handles zones west of UTC and UTC itself', () => {
    expect(iso(new ZoneConverter('America/New_York').toUtc(2026, 3, 10, 9, 0, 5))).toBe('2026-03-10T13:00:05.000Z');
    expect(iso(new ZoneConverter('UTC').toUtc(2026, 3, 10, 9, 0, 5))).toBe('2026-03-10T09:00:05.000Z');
  });
  it('rejects an unknown zone', () => {
    expect(() => new ZoneConverter('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('YearInferrer', () => {
  it('picks the most recent year that is not in the future of the file time', () => {
    const y = new YearInferrer(undefined, Date.UTC(2026, 0, 2, 12)); // file written 2 Jan 2026
    expect(y.yearFor(12, 31)).toBe(2025);
    expect(y.yearFor(1, 1)).toBe(2026);
    expect(y.yearFor(1, 2)).toBe(2026);
    expect(y.yearFor(6, 1)).toBe(2025);
  });
  it('with an explicit year rolls over from December to January inside a file', () => {
    const y = new YearInferrer(2025, Date.UTC(2030, 0, 1));
    expect([y.yearFor(12, 30), y.yearFor(12, 31), y.yearFor(1, 1), y.yearFor(1, 2)]).toEqual([2025, 2025, 2026, 2026]);
  });
  it('finds a leap year for 29 February', () => {
    expect(new YearInferrer(undefined, Date.UTC(2027, 5, 1)).yearFor(2, 29)).toBe(2024);
  });
});

import { civilToUtc, parseIsoTime, parseUserTime, timeError, epochToMs, TERR_DAY, TERR_MONTH, TERR_OFFSET, TERR_SYNTAX, TERR_YEAR, TERR_HOUR, TERR_FRACTION } from '../src/model/time.js';

describe('validated civil time → UTC (one module for every parser)', () => {
  const utc = new ZoneConverter('UTC');
  const p = (s: string, z: ZoneConverter | null = utc) => parseIsoTime(s, 0, s.length, z);
  it('never rolls a date over', () => {
    expect(p('2026-02-31T10:00:00+00:00')).toBe(TERR_DAY);
    expect(p('2026-02-29 10:00:00')).toBe(TERR_DAY);
    expect(p('2024-02-29 10:00:00')).toBe(Date.UTC(2024, 1, 29, 10));
    expect(p('2100-02-29T00:00:00Z')).toBe(TERR_DAY);
    expect(p('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(p('2026-04-31T00:00:00Z')).toBe(TERR_DAY);
    expect(p('2026-13-01T00:00:00Z')).toBe(TERR_MONTH);
    expect(p('2026-00-10T00:00:00Z')).toBe(TERR_MONTH);
    expect(p('2026-03-10T24:00:00Z')).toBe(TERR_HOUR);
  });
  it('rejects shapes that are not a timestamp and offsets beyond ±14:00', () => {
    expect(p('202603/10 10:00:00')).toBe(TERR_SYNTAX);
    expect(p('2026-03-10T10:00:00+99:99')).toBe(TERR_OFFSET);
    expect(p('2026-03-10T10:00:00+15:00')).toBe(TERR_OFFSET);
    expect(p('2026-03-10T10:00:00.Z')).toBe(TERR_FRACTION);
    expect(p('2026-03-10T10:00:00Zjunk')).toBe(TERR_SYNTAX);
    expect(p('2026-03-10T10:00:00+14:00')).toBe(Date.UTC(2026, 2, 9, 20));
    expect(p('2026-03-10T10:00:00-1200')).toBe(Date.UTC(2026, 2, 10, 22));
    expect(p('2026-03-10T10:00:00+05')).toBe(Date.UTC(2026, 2, 10, 5));
  });
  it('keeps years inside 1990-2100 and inside what a Date holds', () => {
    expect(p('1989-12-31T23:59:59Z')).toBe(TERR_YEAR);
    expect(p('2101-01-01T00:00:00Z')).toBe(TERR_YEAR);
    expect(civilToUtc(null, 275761, 1, 1, 0, 0, 0, 0, null)).toBe(TERR_YEAR);
    expect(epochToMs(1e308)).toBeLessThan(0);
    expect(epochToMs(1709989336)).toBe(1709989336000);
    expect(epochToMs(1709989336552000)).toBe(1709989336552);
    expect(timeError(TERR_DAY)).toBe('invalid timestamp day out of range for the month');
  });
  it('reads fractions of any length (truncated to ms), comma or dot, leap second as :59', () => {
    expect(p('2026-03-10T10:00:00.123456789Z')).toBe(Date.UTC(2026, 2, 10, 10, 0, 0, 123));
    expect(p('2026-03-10T10:00:00,5Z')).toBe(Date.UTC(2026, 2, 10, 10, 0, 0, 500));
    expect(p('2016-12-31T23:59:60Z')).toBe(Date.UTC(2016, 11, 31, 23, 59, 59));
  });
  it('wall-clock times use the zone; fixed offsets work as zones', () => {
    expect(p('2026-07-01 12:00:00', new ZoneConverter('Europe/Berlin'))).toBe(Date.UTC(2026, 6, 1, 10));
    expect(p('2018-11-30 16:44:36', new ZoneConverter('+09:30'))).toBe(Date.parse('2018-11-30T16:44:36+09:30'));
    expect(p('2021-05-26T16:26:47', new ZoneConverter('-02:00'))).toBe(Date.parse('2021-05-26T18:26:47Z'));
  });
});

describe('parseUserTime (--since, --until, --at)', () => {
  const now = Date.UTC(2026, 2, 10, 12);
  it('relative forms', () => {
    expect(parseUserTime('30d', 'UTC', now)).toBe(now - 30 * 86_400_000);
    expect(parseUserTime('12h', 'UTC', now)).toBe(now - 12 * 3_600_000);
    expect(parseUserTime('2w', 'UTC', now)).toBe(now - 14 * 86_400_000);
    expect(parseUserTime('90min', 'UTC', now)).toBe(now - 90 * 60_000);
    expect(() => parseUserTime('1m', 'UTC', now)).toThrow(/ambiguous/);
    expect(() => parseUserTime('3y', 'UTC', now)).toThrow(/unit/);
  });
  it('dates and date-times in --tz unless an offset is given', () => {
    expect(parseUserTime('2026-03-10', 'Europe/Berlin', now)).toBe(Date.UTC(2026, 2, 9, 23));
    expect(parseUserTime('2026-03-10 09:14', 'Europe/Berlin', now)).toBe(Date.UTC(2026, 2, 10, 8, 14));
    expect(parseUserTime('2026-03-10T09:14:30', 'America/New_York', now)).toBe(Date.UTC(2026, 2, 10, 13, 14, 30));
    expect(parseUserTime('2026-03-10T09:14Z', 'Europe/Berlin', now)).toBe(Date.UTC(2026, 2, 10, 9, 14));
    expect(parseUserTime('2026-03-10T09:14:00+02:00', 'UTC', now)).toBe(Date.UTC(2026, 2, 10, 7, 14));
    expect(() => parseUserTime('2026-02-31', 'UTC', now)).toThrow(/day out of range/);
    expect(() => parseUserTime('yesterday', 'UTC', now)).toThrow(/cannot read time/);
  });
});

describe('one reading of user-typed times for --since, --until and --at', () => {
  it('report --since and diagnose --at give the same instant for the same text and zone', async () => {
    const { parseWhen } = await import('../src/reports/model.js');
    const { parseAt } = await import('../src/diagnose/common.js');
    for (const [text, tz] of [['2026-03-10 09:14', 'Europe/Berlin'], ['2026-03-10T09:14:30Z', 'America/New_York'], ['2026-03-10T09:14:00+05:30', 'UTC'], ['2026-07-01', 'Asia/Tokyo']] as const) {
      expect(parseWhen(text, new Date(), tz).getTime(), text).toBe(parseAt(text, tz));
    }
    expect(parseAt('2026-03-10 09:14', 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 10, 8, 14));
  });
  it('both refuse invalid dates and the ambiguous 1m', async () => {
    const { parseWhen } = await import('../src/reports/model.js');
    const { parseAt } = await import('../src/diagnose/common.js');
    for (const bad of ['2026-02-30', '2026-02-31T10:00', '1m', '2026-03-10T09:14:00+99:99']) {
      expect(() => parseWhen(bad, new Date(), 'UTC'), bad).toThrow();
      expect(() => parseAt(bad, 'UTC'), bad).toThrow();
    }
  });
});
