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

import { CsvFramer, JsonStreamFramer, XmlEventFramer, jsonDepthExceeds, type Framer } from '../src/pipeline/framing.js';
import type { RecordParser } from '../parsers/types.js';

/** Runs a framer over bytes split at the given boundaries; collects records, lines and skips. */
function frame(make: (p: RecordParser, s: ParseSink) => Framer, input: string | Buffer, splits: number[] = []) {
  const records: Array<[number, unknown]> = [], lines: Array<[number, string]> = [], skips: Array<[number, string]> = [];
  const sink: ParseSink = { flow: () => {}, skip: (r, l) => skips.push([l, r]), note: () => {} };
  const p: RecordParser = { record: (v, n) => records.push([n, v]), line: (t, n) => lines.push([n, t]) };
  const f = make(p, sink);
  const b = Buffer.isBuffer(input) ? input : Buffer.from(input);
  let at = 0;
  for (const s of [...splits, b.length]) { f.pushBytes!(b.subarray(at, s)); at = s; }
  f.end();
  return { records, lines, skips, count: f.count };
}

const json = (p: RecordParser, s: ParseSink) => new JsonStreamFramer(p, s);

describe('JsonStreamFramer', () => {
  it('reads a top-level array, a wrapper object and concatenated values, at every chunk boundary', () => {
    const inputs: Array<[string, unknown[]]> = [
      ['[{"a":1},{"b":"x\\"]}"}]', [{ a: 1 }, { b: 'x"]}' }]],
      ['[[1],[2,{"c":[3]}]]', [[1], [2, { c: [3] }]]],
      ['{"records":[{"a":1},{"a":2}],"n":2}', [{ a: 1 }, { a: 2 }]],
      ['{"a":{"records":[1]}}\n{"b":2}', [{ a: { records: [1] } }, { b: 2 }]],
      ['\ufeff'.slice(1) + '{"a":"é€𝄞"}', [{ a: 'é€𝄞' }]],
    ];
    for (const [text, want] of inputs) {
      const b = Buffer.from(text);
      for (let k = 0; k <= b.length; k++) {
        const got = frame(json, b, [k]);
        expect(got.records.map((r) => r[1]), `${text} split ${k}`).toEqual(want);
        expect(got.skips, `${text} split ${k}`).toEqual([]);
      }
    }
  });

  it('one corrupt byte in a 10,000-record pretty-printed array loses only that record', () => {
    const recs = Array.from({ length: 10000 }, (_, i) => `    {\n        "Id":  5157,\n        "n":  ${i},\n        "Message":  "The Windows Filtering Platform has blocked a connection."\n    }`);
    let text = `[\n${recs.join(',\n')}\n]\n`;
    const at = text.indexOf('"n":  100,');
    const end = text.indexOf('connection."', at);
    const flipped = text.slice(0, end) + 'connection.x' + text.slice(end + 12); // the closing quote lost: the string runs on
    for (const [t, reason] of [[flipped, 'invalid JSON (line break inside a string)'], [text.slice(0, at) + '"n":  1x0,' + text.slice(at + 10), 'invalid JSON (unexpected character)'], [text.slice(0, at) + '"n":  1 0,' + text.slice(at + 10), 'invalid JSON record']] as const) {
      const got = frame(json, t, [65536, 131072, 1 << 20]);
      expect(got.records.length).toBe(9999);
      expect(got.records.some((r) => (r[1] as { n: number }).n === 100)).toBe(false);
      expect((got.records[9998]![1] as { n: number }).n).toBe(9999);
      expect(got.skips.map((s) => s[1])).toEqual([reason]);
      expect(got.count).toBe(10000);
    }
  });

  it('a corrupt record in a compact array loses only itself', () => {
    const got = frame(json, '[{"a":1},{"a":2,"b":"x\n"},{"a":3},{"a":4]},{"a":5}]');
    expect(got.records.map((r) => r[1])).toEqual([{ a: 1 }, { a: 3 }, { a: 5 }]);
    expect(got.skips.map((s) => s[1])).toEqual(['invalid JSON (line break inside a string)', 'invalid JSON (mismatched brackets)']);
    expect(got.count).toBe(5);
  });

  it('an invalid record (bad token) is malformed without quoting the input', () => {
    const got = frame(json, '[{"a":1},{"a":\u001bX},{"a":3}]');
    expect(got.records.map((r) => r[1])).toEqual([{ a: 1 }, { a: 3 }]);
    expect(got.skips).toEqual([[2, 'invalid JSON (unexpected character)']]);
    const tok = frame(json, '[{"a":1},{"a":tru},{"a":3}]');
    expect(tok.records.map((r) => r[1])).toEqual([{ a: 1 }, { a: 3 }]);
    expect(tok.skips).toEqual([[2, 'invalid JSON record']]);
    const br = frame(json, '[{"a":1},{"a":\u001b[31mX},{"a":3}]');
    expect(br.records.map((r) => r[1])).toEqual([{ a: 1 }, { a: 3 }]);
    expect(br.skips).toEqual([[2, 'invalid JSON (unexpected character)']]);
  });

  it('drops a record over the size limit without building it, and one nested too deep', () => {
    const mk = (p: RecordParser, s: ParseSink) => new JsonStreamFramer(p, s, { maxRecordBytes: 1000, maxDepth: 8 });
    const big = `{"a":[${'1,'.repeat(2000)}1]}`;
    const deep = '{"x":'.repeat(20) + '1' + '}'.repeat(20);
    const got = frame(mk, `[{"ok":1},${big},${deep},{"ok":2}]`, [10, 700, 1500]);
    expect(got.records.map((r) => r[1])).toEqual([{ ok: 1 }, { ok: 2 }]);
    expect(got.skips).toEqual([[2, 'JSON record larger than 1000 bytes (dropped)'], [3, 'JSON record nested deeper than 8 levels']]);
  });

  it('reports scalars, top-level garbage and truncation', () => {
    expect(frame(json, '[1,2,"s"]').skips.map((s) => s[1])).toEqual(['JSON array element is not an object', 'JSON array element is not an object', 'JSON array element is not an object']);
    expect(frame(json, '[1,{"a":1},"s"]').skips.map((s) => s[1])).toEqual(['JSON array element is not an object', 'invalid JSON (unexpected text between records)']);
    expect(frame(json, '[{"a":1},{"a"').skips).toEqual([[2, 'JSON ends early (truncated) after record 1']]);
    const text = 'garbage\nmore garbage\n{"a":1}\n';
    for (let k = 0; k <= text.length; k++) {
      const g = frame(json, text, [k]);
      expect(g.records.map((r) => r[1]), `split ${k}`).toEqual([{ a: 1 }]);
      expect(g.skips).toEqual([[1, 'invalid JSON at top level']]);
    }
  });

  it('jsonDepthExceeds ignores brackets inside strings', () => {
    expect(jsonDepthExceeds('{"a":"[[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('[[[1]]]', 2)).toBe(true);
  });
});

describe('XmlEventFramer', () => {
  const xml = (p: RecordParser, s: ParseSink) => new XmlEventFramer(p, s);
  it('an event without </Event> never swallows the next one', () => {
    const text = [
      '<Events>',
      '<Event xmlns="x"><System><EventID>5156</EventID></System>',
      '<EventData><Data Name="Direction">%%14593</Data></EventData>',
      '<Event xmlns="x"><System><EventID>5157</EventID></System></Event>',
      '<Event><EventID>5152</EventID></Event><Event><EventID>5153</EventID>',
      '</Event></Events>',
    ].join('\n');
    const got = frame(xml, text);
    expect(got.lines.map(([n, t]) => [n, /EventID>(\d+)/.exec(t)![1]])).toEqual([[4, '5157'], [5, '5152'], [5, '5153']]);
    expect(got.skips).toEqual([[2, 'XML event not closed before the next <Event>']]);
    expect(got.count).toBe(4);
  });
  it('an unclosed event and the next one on the same line', () => {
    const got = frame(xml, '<Event><EventID>1</EventID><Event><EventID>2</EventID></Event>\n');
    expect(got.lines.map(([, t]) => t)).toEqual(['<Event><EventID>2</EventID></Event>']);
    expect(got.skips.map((s) => s[1])).toEqual(['XML event not closed before the next <Event>']);
  });
});

describe('CsvFramer', () => {
  const csv = (p: RecordParser, s: ParseSink) => new CsvFramer(p, s, () => {}, 200);
  it('keeps a quoted newline inside one record, numbered by its first line', () => {
    const text = 'h1,h2,h3\r\na,"multi\r\nline ""quoted"", field",deny\nb,c"d,allow\n"x","y\n\nz",drop\n';
    const got = frame(csv, text);
    expect(got.lines).toEqual([[1, 'h1,h2,h3'], [2, 'a,"multi\nline ""quoted"", field",deny'], [4, 'b,c"d,allow'], [5, '"x","y\n\nz",drop']]);
    expect(got.count).toBe(4);
    // the same at every chunk boundary
    const b = Buffer.from(text);
    for (let k = 0; k <= b.length; k++) expect(frame(csv, b, [k]).lines, `split ${k}`).toEqual(got.lines);
  });
  it('bounds a record whose quote never closes and reads on after it', () => {
    const lines = ['h', 'a,"open', ...Array.from({ length: 30 }, () => 'xxxxxxxxxx'), 'end"', 'next,row'];
    const got = frame(csv, lines.join('\n') + '\n');
    expect(got.lines).toEqual([[1, 'h'], [34, 'next,row']]);
    expect(got.skips).toEqual([[2, 'CSV record larger than 200 bytes (unclosed quote?)']]);
    const trunc = frame(csv, 'h\na,"never closed\nmore\n');
    expect(trunc.skips).toEqual([[2, 'CSV record ends inside a quoted field (truncated?)']]);
  });
});
