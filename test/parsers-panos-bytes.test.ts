/**
 * PAN-OS syslog on bytes: the parser reads each UTF-8 line from the read buffer (`RecordParser.bytes`,
 * called by the LineFramer) and must give exactly what the text path gives and what the fixtures
 * expect: whatever the read boundaries, with the body found through the syslog header module for every
 * envelope, and with non-ASCII / invalid UTF-8, quoted commas and braces in kept fields.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { panos } from '../parsers/panos/index.js';
import { CsvFields, CsvFieldsB } from '../parsers/csv.js';
import type { SkipKind } from '../parsers/types.js';
import type { Flow } from '../src/model/flow.js';
import { LineFramer } from '../src/pipeline/framing.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { flowToJsonLine } from '../src/sinks/serialize.js';
import { parseText } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIX = join(ROOT, 'fixtures', 'panos');
const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'panos');

interface Out { flows: Flow[]; skips: Array<{ reason: string; line: number; kind: SkipKind }>; notes: Record<string, number>; textLines: number }

/** The real byte path: a LineFramer fed `chunk`-byte reads, the parser's bytes() for every line. */
function viaBytes(data: Buffer, chunk: number, tz = 'UTC'): Out {
  const head = data.subarray(0, 65536).toString('utf8');
  const det = panos.forced('panos-syslog', head);
  const out: Out = { flows: [], skips: [], notes: {}, textLines: 0 };
  const sink = {
    flow: (f: Flow) => out.flows.push(f),
    skip: (reason: string, line: number, kind: SkipKind) => out.skips.push({ reason, line, kind }),
    note: (name: string, n: number) => { out.notes[name] = (out.notes[name] ?? 0) + n; },
  };
  const p = panos.create(det, {
    file: 'test.log', zone: new ZoneConverter(tz), years: new YearInferrer(undefined, Date.UTC(2026, 11, 31)), actionMap: new Map(),
  }, sink);
  expect(typeof p.bytes).toBe('function');
  const framer = new LineFramer((t, n) => { out.textLines++; p.line!(t, n); }, sink, undefined, (b, s, e, n) => p.bytes!(b, s, e, n));
  for (let i = 0; i < data.length; i += chunk) framer.pushBytes(data.subarray(i, i + chunk));
  framer.end();
  p.end?.();
  return out;
}

function viaText(data: Buffer, tz = 'UTC'): Omit<Out, 'textLines'> {
  const r = parseText(panos, data.toString('utf8'), { file: 'test.log', tz, format: 'panos-syslog' });
  return { flows: r.flows, skips: r.skips, notes: r.notes };
}

const CHUNKS = [1, 7, 64, 4096, 1 << 20];

const FIXTURES: Array<[string, string, string]> = [
  ['syslog-bsd-10x.log', 'syslog-bsd-10x.expected.jsonl', 'America/New_York'],
  ['syslog-ietf-octet.log', 'syslog-ietf-octet.expected.jsonl', 'UTC'],
  ['relay-double-header.log', 'relay-double-header.expected.jsonl', 'UTC'],
  ['noheader.log', 'noheader.expected.jsonl', 'UTC'],
  ['prisma-access.log', 'prisma-access.expected.jsonl', 'UTC'],
];

describe('PAN-OS syslog: byte path = expected output = text path on every fixture, at several read sizes', () => {
  it('every syslog fixture is listed', () => {
    expect(readdirSync(FIX).filter((f) => f.endsWith('.log')).sort()).toEqual(FIXTURES.map((c) => c[0]).sort());
  });
  for (const [name, expected, tz] of FIXTURES) {
    it(name, () => {
      const data = readFileSync(join(FIX, name));
      const want = readFileSync(join(FIX, expected), 'utf8').split('\n').filter((l) => l !== '');
      const text = viaText(data, tz);
      expect(want.length).toBeGreaterThan(0);
      for (const chunk of CHUNKS) {
        const got = viaBytes(data, chunk, tz);
        expect(got.textLines).toBe(0);
        expect(got.flows.map((f) => flowToJsonLine(f).replace(/"file":"[^"]*"/, ''))).toEqual(
          want.map((l) => l.replace(/"file":"[^"]*"/, '')));
        expect(got.flows).toEqual(text.flows);
        expect(got.skips).toEqual(text.skips);
        expect(got.notes).toEqual(text.notes);
      }
    });
  }
});

describe.skipIf(missingPath(CORPUS))('PAN-OS syslog: byte path = text path on the real-log corpus', () => {
  const files = missingPath(CORPUS) ? [] : readdirSync(CORPUS).filter((f) => /\.(log|samplelog|ini)$/.test(f));
  it('has PAN-OS syslog files', () => { expect(files.length).toBeGreaterThan(3); });
  for (const name of files) {
    it(name, () => {
      const data = readFileSync(join(CORPUS, name));
      const text = viaText(data);
      for (const chunk of [3, 4096]) {
        const got = viaBytes(data, chunk);
        expect(got.flows).toEqual(text.flows);
        expect(got.skips).toEqual(text.skips);
        expect(got.notes).toEqual(text.notes);
      }
    });
  }
});

/** A standard TRAFFIC body (PAN-OS 10.x column order) with fields overridden by position. */
function traffic(o: Record<number, string> = {}): string {
  const a: string[] = [];
  for (let i = 0; i < 60; i++) a.push('');
  const base: Record<number, string> = {
    0: '1', 1: '2026/11/20 10:00:01', 2: '013201000111', 3: 'TRAFFIC', 4: 'end', 5: '2561', 6: '2026/11/20 10:00:00',
    7: '10.0.0.1', 8: '192.0.2.1', 11: 'r1', 14: 'ssl', 24: '1111', 25: '443', 29: 'tcp', 30: 'deny', 31: '100', 34: '3',
    46: 'policy-deny', 52: 'fw-a',
  };
  for (const [k, v] of Object.entries({ ...base, ...o })) a[Number(k)] = v;
  return a.join(',');
}

describe('PAN-OS syslog bytes: kept fields', () => {
  it('quoted commas, doubled quotes and braces in rule/app/device: same as the text path, unescaped', () => {
    const lines = [
      `<14>Nov 20 10:00:02 fw-a ${traffic({ 11: '"allow, web"', 14: '"{""a"":1}"', 52: '"fw ""edge"", 1"' })}`,
      `<14>Nov 20 10:00:02 fw-a ${traffic({ 11: '{rule,x}' })}`,
      `<14>Nov 20 10:00:02 fw-a ${traffic({ 11: 'r"1' })}`,
    ];
    const data = Buffer.from(lines.join('\n') + '\n');
    const text = viaText(data);
    for (const chunk of [1, 5, 4096]) expect(viaBytes(data, chunk).flows).toEqual(text.flows);
    const got = viaBytes(data, 4096);
    expect(got.flows[0]!.rule).toBe('allow, web');
    expect(got.flows[0]!.app).toBe('{"a":1}');
    expect(got.flows[0]!.device).toBe('fw "edge", 1');
    expect(got.flows[0]!.dst_port).toBe(443);
    // braces are data, the comma inside them ends the field (as PAN-OS writes CSV): the columns shift
    expect(got.flows.length + got.skips.length).toBe(3);
    expect(got.flows[got.flows.length - 1]!.rule).toBe('r"1');
  });

  it('non-ASCII and invalid UTF-8 in kept fields decode as the text path decodes the line', () => {
    const good = `<14>Nov 20 10:00:02 fw-a ${traffic({ 11: 'règle-ü', 14: 'app✓', 52: 'fw-ä' })}`;
    const bad = Buffer.concat([
      Buffer.from(`<14>Nov 20 10:00:02 fw-a ${traffic({ 11: 'XX', 52: 'fw-YY' })}\n`.replace('XX', 'r\u0001').replace('YY', 'd')),
    ]);
    // invalid sequences: a lone continuation byte in the rule, a truncated sequence in the device
    const raw = Buffer.from(bad);
    const ri = raw.indexOf(1);
    raw[ri] = 0x80;
    const di = raw.indexOf(Buffer.from('fw-d'));
    raw[di + 3] = 0xe2;
    const data = Buffer.concat([Buffer.from(good + '\n'), raw]);
    const text = viaText(data);
    expect(text.flows.length).toBe(2);
    for (const chunk of [1, 3, 4096]) {
      const got = viaBytes(data, chunk);
      expect(got.flows).toEqual(text.flows);
      expect(got.skips).toEqual(text.skips);
    }
    const got = viaBytes(data, 4096);
    expect(got.flows[0]!.rule).toBe('règle-ü');
    expect(got.flows[0]!.app).toBe('app✓');
    expect(got.flows[0]!.device).toBe('fw-ä');
    expect(got.flows[1]!.rule).toBe('r\ufffd');
    expect(got.flows[1]!.device).toBe('fw-\ufffd');
  });

  it('addresses: leading zeros canonicalised, spaces trimmed, IPv6 canonical, garbage malformed', () => {
    const lines = [
      traffic({ 7: '010.000.000.001', 8: '192.0.2.1' }),
      traffic({ 7: ' 10.0.0.2 ', 8: '2001:DB8:0:0::1' }),
      traffic({ 7: '10.0.0.256' }),
      traffic({ 7: '"10.0.0.3"' }),
    ];
    const data = Buffer.from(lines.join('\n'));
    const text = viaText(data);
    const got = viaBytes(data, 2);
    expect(got.flows).toEqual(text.flows);
    expect(got.skips).toEqual(text.skips);
    expect(got.flows.map((f) => [f.src_ip, f.dst_ip])).toEqual([
      ['10.0.0.1', '192.0.2.1'], ['10.0.0.2', '2001:db8::1'], ['10.0.0.3', '192.0.2.1'],
    ]);
    expect(got.skips).toEqual([{ reason: 'panos invalid address', line: 3, kind: 'malformed' }]);
  });

  it('the body behind every envelope: RFC 5424 with structured data holding commas, relay, octet frames, Wazuh', () => {
    const t = traffic();
    const lines = [
      `<14>1 2026-11-20T10:00:02Z fw-a - - - [meta x="a,b,c"] ${t}`,
      `Nov 20 10:00:05 10.5.172.40 Nov 20 10:00:02 fw-relay ${t}`,
      `${Buffer.byteLength(`<14>1 2026-11-20T10:00:02Z fw-a - - - - ${t}`)} <14>1 2026-11-20T10:00:02Z fw-a - - - - ${t} 5 <14>x`,
      `log 1 pass = <14>Nov 20 10:00:02 fw-a ${t}`,
      'log 2 fail = ',
      `<14>Nov 20 10:00:02 ${t}`,
    ];
    const data = Buffer.from(lines.join('\n'));
    const text = viaText(data);
    const got = viaBytes(data, 3);
    expect(got.flows).toEqual(text.flows);
    expect(got.skips).toEqual(text.skips);
    expect(got.notes).toEqual(text.notes);
    expect(got.flows.filter((f) => f.src_ip === '10.0.0.1' && f.dst_port === 443 && f.action === 'deny').length).toBe(5);
    expect(got.notes['extra-frames']).toBe(1);
    expect(got.skips.some((s) => s.line === 5 && s.reason === 'blank line')).toBe(true);
  });
});

describe('CsvFieldsB = CsvFields', () => {
  const rows = [
    'a,b,c', '"a,b",c', '"a""b",c', '"unterminated,x', 'a"b,c', '"q"junk,next', ',,', '', '"",x', '"a""""",b', 'é,"ü,ö",{x,y}',
  ];
  for (const row of rows) {
    it(JSON.stringify(row), () => {
      const t = new CsvFields(2);
      t.reset(row, 0, 0);
      const n = t.readAll();
      const b = Buffer.from(row);
      const f = new CsvFieldsB(2);
      f.reset(b, 0, b.length, 0);
      expect(f.readTo(1000)).toBe(n);
      for (let i = 0; i < n + 1; i++) {
        expect(f.get(i)).toBe(t.get(i));
        expect(f.opt(i)).toBe(t.opt(i));
        expect(f.uint(i)).toBe(t.uint(i));
      }
    });
  }
});
