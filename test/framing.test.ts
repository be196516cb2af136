/** The line framer gives the same lines whatever the read boundaries, for bytes and for text. */
import { describe, expect, it } from 'vitest';
import { LineFramer, MAX_LINE } from '../src/pipeline/framing.js';
import type { ParseSink } from '../parsers/types.js';

function collect(feed: (f: LineFramer) => void): { lines: string[]; skips: string[] } {
  const lines: string[] = [], skips: string[] = [];
  const sink: ParseSink = { flow: () => {}, skip: (r, l) => skips.push(`${l}:${r}`), note: () => {} };
  const f = new LineFramer((l, n) => lines.push(`${n}:${l}`), sink);
  feed(f);
  f.end();
  return { lines, skips };
}

const TEXT = 'first line\r\nsecond é€𝄞 line\n\nNUL\0padded\0\0 line\nlast without newline';
const WANT = ['1:first line', '2:second é€𝄞 line', '3:', '4:NULpadded line', '5:last without newline'];

describe('LineFramer', () => {
  it('splits bytes the same at every pair of chunk boundaries', () => {
    const bytes = Buffer.from(TEXT);
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 5) {
        const got = collect((f) => { f.pushBytes(bytes.subarray(0, a)); f.pushBytes(bytes.subarray(a, b)); f.pushBytes(bytes.subarray(b)); });
        expect(got.lines, `${a}/${b}`).toEqual(WANT);
      }
    }
  });
  it('splits text the same way', () => {
    expect(collect((f) => { f.push(TEXT.slice(0, 15)); f.push(TEXT.slice(15)); }).lines).toEqual(WANT);
  });
  it('drops an over-long line across chunks, reports its number, keeps the next', () => {
    const big = Buffer.alloc(MAX_LINE + 10, 65);
    const got = collect((f) => {
      f.pushBytes(Buffer.from('ok\n'));
      for (let i = 0; i < big.length; i += 65536) f.pushBytes(big.subarray(i, i + 65536));
      f.pushBytes(Buffer.from('\nafter\n'));
    });
    expect(got.lines).toEqual(['1:ok', '3:after']);
    expect(got.skips).toEqual([`2:line longer than ${MAX_LINE} bytes (dropped)`]);
  });
});
