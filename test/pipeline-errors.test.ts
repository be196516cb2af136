/**
 * Error semantics of readFlows (issue 8): only reading and decoding make an error of an input; an
 * exception from the consumer of flows is a bug (or its own typed error) that ends the run; a parser
 * that throws on one record loses only that record; every promise settles.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFlows, type InputSummary } from '../src/pipeline/run.js';
import { BugError, OutputError, exitCodeOf } from '../src/model/errors.js';
import type { Flow } from '../src/model/flow.js';
import type { ParserModule, ParseSink, RecordParser, Detection } from '../parsers/types.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-perr-'));
const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

/** A fake parser family: lines/records "n" give one flow, "boom" throws, anything else is not-flow. */
function fakeModule(framing: Detection['framing']): ParserModule {
  const det: Detection = { format: 'fake', dialect: framing, framing, confidence: 1 };
  const flow = (n: number): Flow => ({ line: n } as unknown as Flow);
  return {
    family: 'fake', formats: ['fake'],
    detect: (head) => (head.includes('FAKE') ? det : null),
    forced: () => det,
    create(_d, _o, sink: ParseSink): RecordParser {
      const one = (v: string, n: number) => {
        if (v.includes('boom')) throw new TypeError(`cannot read \u001b[31mred\u001b[0m at ${n}`);
        if (/^\d+$/.test(v.trim())) sink.flow(flow(n));
        else sink.skip('not a fake line', n, 'not-flow');
      };
      return {
        line: (t, n) => { if (t.trim() !== '') one(t, n); },
        record: (v, n) => one(String((v as { v?: unknown }).v ?? ''), n),
      };
    },
  };
}

const sum = (s: InputSummary) => s.flows + s.skipped.reduce((k, g) => k + g.count, 0) + s.blank;

describe('readFlows error semantics', () => {
  it('a parser that throws on one line makes that line malformed and reads the rest', async () => {
    const p = write('lines.log', 'FAKE\n1\nboom\n2\n\n3\n');
    const flows: number[] = [];
    const [s] = await readFlows([p], { parsers: [fakeModule('lines')] }, (f) => flows.push(f.line));
    expect(flows).toEqual([2, 4, 6]);
    expect(s!.error).toBeNull();
    const g = s!.skipped.find((x) => x.reason.startsWith('parser error'))!;
    expect(g.kind).toBe('malformed');
    expect(g.first.line).toBe(3);
    expect(g.reason).not.toContain('\u001b'); // escaped, never raw escape sequences
    expect(g.reason).toContain('\\x1b[31m');
    expect(s!.notes['parser-errors']).toBe(1);
    expect(s!.blank).toBe(1);
    expect(s!.lines).toBe(sum(s!));
  });

  it('a JSON-array record whose parser throws loses only that record; later inputs are read', async () => {
    const arr = write('arr.json', `[{"v":"FAKE"},{"v":"1"},{"v":"boom"},{"v":"2"}]`);
    const next = write('next.jsonl', '{"v":"FAKE"}\n{"v":"7"}\n');
    const flows: number[] = [];
    const out = await readFlows([arr, next], { parsers: [fakeModule('json')] }, (f) => flows.push(f.line));
    expect(out.map((s) => [s.file, s.flows, s.error])).toEqual([[arr, 2, null], [next, 1, null]]);
    expect(flows).toEqual([2, 4, 2]);
    expect(out[0]!.lines).toBe(4);
    expect(out[0]!.lines).toBe(sum(out[0]!));
    expect(out[0]!.skipped.find((g) => g.reason.startsWith('parser error'))?.count).toBe(1);
  });

  it('an exception in onFlow is a BugError with the original as cause, never a read error of the input', async () => {
    const p = write('b.log', 'FAKE\n1\n2\n');
    const later = write('later.log', 'FAKE\n3\n');
    const orig = new RangeError('matcher broke');
    const err = await readFlows([p, later], { parsers: [fakeModule('lines')] }, () => { throw orig; }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BugError);
    expect((err as BugError).cause).toBe(orig);
    expect(exitCodeOf(err)).toBe(70);
  });

  it('an onFlow exception inside a JSON array settles the promise (rejects) instead of hanging', async () => {
    const p = write('c.json', `[{"v":"FAKE"},{"v":"1"},{"v":"2"}]`);
    const err = await readFlows([p], { parsers: [fakeModule('json')] }, () => { throw new Error('appender'); }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BugError);
    expect(((err as BugError).cause as Error).message).toBe('appender');
  });

  it('an exception the parser swallows still ends the run', async () => {
    const swallowing: ParserModule = {
      ...fakeModule('lines'),
      create(_d, _o, sink) { return { line: (t, n) => { try { if (/^\d+$/.test(t)) sink.flow({ line: n } as unknown as Flow); } catch { /* parser bug */ } } }; },
    };
    const p = write('d.log', 'FAKE\n1\n2\n');
    const err = await readFlows([p], { parsers: [swallowing] }, () => { throw new Error('store'); }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BugError);
  });

  it('a typed error from the consumer keeps its type (an unwritable output is exit 2, not a bug)', async () => {
    const p = write('e.log', 'FAKE\n1\n');
    const oe = new OutputError('cannot write /nonexistent/x.jsonl', '/nonexistent/x.jsonl');
    await expect(readFlows([p], { parsers: [fakeModule('lines')] }, () => { throw oe; })).rejects.toBe(oe);
    const pipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    await expect(readFlows([p], { parsers: [fakeModule('lines')], afterChunk: () => { throw pipe; } }, () => {})).rejects.toBe(pipe);
  });

  it('an afterChunk failure is a bug, not a read error', async () => {
    const p = write('f.log', 'FAKE\n1\n');
    const err = await readFlows([p], { parsers: [fakeModule('lines')], afterChunk: () => { throw new Error('drain'); } }, () => {}).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BugError);
  });

  it('a missing input is that input\'s error; the others are read', async () => {
    const ok = write('g.log', 'FAKE\n1\n');
    const out = await readFlows([join(dir, 'missing.log'), ok], { parsers: [fakeModule('lines')] }, () => {});
    expect(out.map((s) => s.error)).toEqual(['cannot read: no such file or directory', null]);
    expect(out[1]!.flows).toBe(1);
  });

  it("'csv' framing: a quoted newline stays inside one record handed to the parser with its first line", async () => {
    const rows: Array<[number, string]> = [];
    const csvModule: ParserModule = {
      ...fakeModule('csv'),
      create(_d, _o, sink) {
        return { line: (t, n) => { rows.push([n, t]); if (t.endsWith(',deny')) sink.flow({ line: n } as unknown as Flow); else sink.skip('header', n, 'not-flow'); } };
      },
    };
    const p = write('export.csv', 'FAKE,Rule,Action\n1,"block\nall",deny\n\n2,b,deny\n');
    const [s] = await readFlows([p], { parsers: [csvModule] }, () => {});
    expect(rows).toEqual([[1, 'FAKE,Rule,Action'], [2, '1,"block\nall",deny'], [5, '2,b,deny']]);
    expect([s!.lines, s!.flows, s!.blank]).toEqual([4, 2, 1]);
    expect(s!.lines).toBe(sum(s!));
  });
});
