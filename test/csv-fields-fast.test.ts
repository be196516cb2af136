/**
 * CsvFieldsB.readTo looks for the comma that ends an unquoted field four bytes a step (parsers/csv.ts). It
 * must find exactly the field boundaries of the plain one-byte-at-a-time reading (the reference below, the
 * loop it replaced): on seeded random lines of commas, quotes and text, read in random steps, from random
 * start positions, with the line ending before the buffer does (bytes after the end, commas included,
 * never count). The same for `byteIndex` and `valueEnd` (parsers/bytes.ts, parsers/syslog/header.ts), which
 * search a byte four bytes a step too.
 */
import { describe, expect, it } from 'vitest';
import { CsvFieldsB } from '../parsers/csv.js';
import { byteIndex } from '../parsers/bytes.js';
import { valueEnd } from '../parsers/syslog/header.js';
import { mulberry32 as rng } from './helpers/prng.js';

/** The reference: every field's [start, end, escaped] of b[pos, n) (the rules of CsvFieldsB, a byte at a time). */
function reference(b: Buffer, pos: number, n: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let p = pos;
  while (p >= 0) {
    if (p < n && b[p] === 34) {
      let q = p + 1, e = n, esc = 0;
      while (q < n) {
        if (b[q] === 34) {
          if (q + 1 < n && b[q + 1] === 34) { esc = 1; q += 2; continue; }
          e = q;
          break;
        }
        q++;
      }
      out.push([p + 1, e, esc]);
      let c = -1;
      if (e < n) for (let k = e + 1; k < n; k++) if (b[k] === 44) { c = k; break; }
      p = c < 0 ? -1 : c + 1;
    } else {
      let k = p;
      while (k < n && b[k] !== 44) k++;
      out.push([p, k, 0]);
      p = k < n ? k + 1 : -1;
    }
  }
  return out;
}

const PIECES = [',', ',', ',', '"', '""', 'a', 'bc', 'def', 'ghij', 'klmno', '0123456789', 'é', ',,', '"x,y"', ' '];

describe('CsvFieldsB.readTo = the byte-at-a-time reading', () => {
  it('on 30,000 seeded lines, read in random steps, with bytes after the line end', () => {
    const r = rng(52);
    const f = new CsvFieldsB(4);
    let fields = 0;
    for (let t = 0; t < 30_000; t++) {
      let s = '';
      const k = Math.floor(r() * 40);
      for (let i = 0; i < k; i++) s += PIECES[Math.floor(r() * PIECES.length)]!;
      const line = Buffer.from(s);
      const n = Math.floor(r() * (line.length + 1)); // the line ends here; the rest of the buffer is other bytes
      const b = Buffer.concat([line.subarray(0, n), Buffer.from(',,,",,x,')]);
      const pos = Math.floor(r() * (n + 1));
      const want = reference(b, pos, n);
      f.reset(b, pos, n, 0);
      let upTo = -1;
      while (!f.complete) {
        upTo += 1 + Math.floor(r() * 6);
        const got = f.readTo(upTo);
        expect(got).toBe(Math.min(upTo + 1, want.length));
      }
      expect(f.count).toBe(want.length);
      const got: Array<[number, number, number]> = [];
      for (let i = 0; i < want.length; i++) got.push([f.start(i), f.end(i), f.escaped(i) ? 1 : 0]);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ s, n, pos, got }).toEqual({ s, n, pos, got: want });
      fields += want.length;
    }
    expect(fields).toBeGreaterThan(50_000);
  });

  it('a long line of long fields (every alignment of the comma within a step)', () => {
    for (let w = 0; w < 12; w++) {
      const s = Array.from({ length: 30 }, (_, i) => 'x'.repeat((i * 7 + w) % 13)).join(',');
      const b = Buffer.from(s);
      const f = new CsvFieldsB(2);
      f.reset(b, 0, b.length, 0);
      const want = reference(b, 0, b.length);
      expect(f.readAll()).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect([f.start(i), f.end(i), 0]).toEqual(want[i]);
    }
  });
});

describe('byteIndex and valueEnd = a byte-at-a-time search', () => {
  it('every start and end of seeded buffers, the byte present or not after the end', () => {
    const r = rng(53);
    let found = 0;
    for (let t = 0; t < 400; t++) {
      const len = Math.floor(r() * 24);
      const b = Buffer.alloc(len + 4, 32); // spaces after the end: never counted
      for (let i = 0; i < len; i++) b[i] = r() < 0.15 ? 32 : r() < 0.5 ? 120 : 44;
      for (let p = 0; p <= len; p++) {
        for (let end = p; end <= len; end++) {
          for (const c of [32, 44]) {
            let want = -1;
            for (let i = p; i < end; i++) if (b[i] === c) { want = i; break; }
            const got = byteIndex(b, c, p, end);
            if (got !== want) expect({ b: b.toString('latin1'), p, end, c, got }).toEqual({ b: b.toString('latin1'), p, end, c, got: want });
            if (c === 32 && valueEnd(b, p, end) !== (want < 0 ? end : want)) expect({ p, end, v: valueEnd(b, p, end) }).toEqual({ p, end, v: want < 0 ? end : want });
            if (want >= 0) found++;
          }
        }
      }
    }
    expect(found).toBeGreaterThan(10_000);
  });
});
