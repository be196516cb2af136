/**
 * The syslog header's fast path (a line that starts with the same `Mmm dd hh:mm:ss host kernel:` bytes as
 * the last plain header, while the BSD timestamp cache still holds it) must give what the full parse
 * gives, line after line, whatever came between: year roll-overs of the year inference, other hosts,
 * <PRI>, fractions, other tags, relay double headers, bad dates.
 */
import { describe, expect, it } from 'vitest';
import { SyslogHeader } from '../parsers/syslog/header.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { mulberry32 as rng } from './helpers/prng.js';

const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;

const STAMPS = ['Dec 31 23:59:59', 'Jan  1 00:00:00', 'Jan  1 00:00:01', 'Feb 29 10:00:00', 'Nov 20 00:00:00', 'Nov 20 00:00:00.250',
  'Nov 31 00:00:00', 'Jun 15 12:30:45', 'Jun 15 12:30:45'];
const HOSTS = ['fw01 ', 'fw02 ', '', 'a=b ', '[x] ', 'host: ', 'fw01  '];
const TAGS = ['kernel: ', 'kernel:  ', 'kernel:', 'ufw[12]: ', 'user.info kernel: ', 'kern: '];
const REST = ['[1834567.008000] IN=eth0 SRC=1.2.3.4', 'IN=eth0', '[ 12.5] x', 'Nov 20 00:00:01 inner kernel: IN=', '2026-11-20T00:00:00Z h kernel: x', ''];

function head(r: () => number): string {
  return (r() < 0.1 ? '<4>' : '') + pick(r, STAMPS) + ' ' + pick(r, HOSTS) + pick(r, TAGS);
}

describe('SyslogHeader fast path', () => {
  for (const year of [2025, undefined]) {
    it(`gives the full parse's ts, host, msg and err on 30,000 seeded lines (year ${year ?? 'inferred'})`, () => {
      const zone = new ZoneConverter('Europe/Berlin');
      const fast = new SyslogHeader(zone, new YearInferrer(year, Date.UTC(2026, 5, 1)));
      const full = new SyslogHeader(zone, new YearInferrer(year, Date.UTC(2026, 5, 1)), false);
      const r = rng(year ?? 1);
      let last = '';
      let repeats = 0;
      for (let n = 0; n < 30_000; n++) {
        const h = r() < 0.6 && last !== '' ? last : head(r); // often the same header again
        if (h === last) repeats++;
        last = h;
        let l = h + pick(r, REST);
        if (r() < 0.05) l = l.slice(0, Math.floor(r() * l.length));
        const b = Buffer.from('##' + l + '\n', 'latin1');
        const a = fast.parse(b, 2, b.length - 1), f = full.parse(b, 2, b.length - 1);
        expect({ l, ok: a, ts: fast.ts, host: fast.host, msg: fast.msg, err: fast.err }).toEqual({ l, ok: f, ts: full.ts, host: full.host, msg: full.msg, err: full.err });
      }
      expect(repeats).toBeGreaterThan(10_000);
    });
  }
});
