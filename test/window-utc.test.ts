/**
 * The check-in window test computes the minute of the day in UTC itself (no ICU zone data to load at
 * start-up, src/matcher/window.ts): it must agree with the formatter it skips, on seeded spans around
 * window edges and midnight, before 1970 and up to 2100.
 */
import { describe, expect, it } from 'vitest';
import { windowCoverage } from '../src/matcher/window.js';
import { mulberry32 as rng } from './helpers/prng.js';

describe('windowCoverage in UTC', () => {
  it('agrees with the Intl formatter (Etc/GMT: the same zone, not short-cut) on 20,000 seeded spans', () => {
    const r = rng(31);
    const windows = ['10:00-17:00', '22:00-02:00', '00:00-00:15', '23:59-00:00', '09:30-09:45'];
    let yes = 0;
    for (let k = 0; k < 20_000; k++) {
      const first = Math.floor((r() * 2 - 0.3) * 4_100_000_000_000) - (r() < 0.3 ? (Math.floor(r() * 1e9) % 60_000) : 0);
      const last = first + Math.floor(r() * (r() < 0.5 ? 3_600_000 : 90_000_000));
      const w = windows[k % windows.length]!;
      const a = windowCoverage(w, first, last, 'UTC');
      expect([w, first, last, a]).toEqual([w, first, last, windowCoverage(w, first, last, 'Etc/GMT')]);
      if (a) yes++;
    }
    expect(yes).toBeGreaterThan(5000);
    expect(yes).toBeLessThan(19_000);
  });
});
