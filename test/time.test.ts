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
