/**
 * Parsers on bytes: iptables and Windows Firewall read each UTF-8 line from the read buffer
 * (`RecordParser.bytes`, called by the LineFramer) and must give exactly what the text path gives:
 * on every fixture, whatever the read boundaries, and on non-ASCII / invalid UTF-8 in kept fields.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iptables } from '../parsers/iptables.js';
import { winfw } from '../parsers/winfw.js';
import { AddrInterner, BytesInterner, ascii15 } from '../parsers/bytes.js';
import type { ParserModule, SkipKind } from '../parsers/types.js';
import type { Flow } from '../src/model/flow.js';
import { LineFramer } from '../src/pipeline/framing.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { parseText } from './helpers/parse-text.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Out { flows: Flow[]; skips: Array<{ reason: string; line: number; kind: SkipKind }>; notes: Record<string, number>; textLines: number }

/** The real byte path: a LineFramer fed `chunk`-byte reads, the parser's bytes() for every line. */
function viaBytes(mod: ParserModule, data: Buffer, chunk: number, o: { tz?: string; year?: number } = {}): Out {
  const head = data.subarray(0, 65536).toString('utf8');
  const det = mod.detect(head, 'test.log')!;
  const out: Out = { flows: [], skips: [], notes: {}, textLines: 0 };
  const sink = {
    flow: (f: Flow) => out.flows.push(f),
    skip: (reason: string, line: number, kind: SkipKind) => out.skips.push({ reason, line, kind }),
    note: (name: string, n: number) => { out.notes[name] = (out.notes[name] ?? 0) + n; },
  };
  const p = mod.create(det, {
    file: 'test.log', zone: new ZoneConverter(o.tz ?? 'UTC'), years: new YearInferrer(o.year, Date.UTC(2026, 11, 31)), actionMap: new Map(),
  }, sink);
  const framer = new LineFramer((t, n) => { out.textLines++; p.line!(t, n); }, sink, undefined, (b, s, e, n) => p.bytes!(b, s, e, n));
  for (let i = 0; i < data.length; i += chunk) framer.pushBytes(data.subarray(i, i + chunk));
  framer.end();
  p.end?.();
  return out;
}

function viaText(mod: ParserModule, data: Buffer, o: { tz?: string; year?: number } = {}): Omit<Out, 'textLines'> {
  const r = parseText(mod, data.toString('utf8'), { file: 'test.log', tz: o.tz ?? 'UTC', year: o.year });
  return { flows: r.flows, skips: r.skips, notes: r.notes };
}

const FIXTURES: Array<[ParserModule, string, { tz?: string; year?: number }]> = [
  ...readdirSync(join(ROOT, 'fixtures', 'iptables')).filter((f) => f.endsWith('.log') && f !== 'journal-export.log')
    .map((f): [ParserModule, string, { year?: number }] => [iptables, join('iptables', f), { year: 2025 }]),
  ...readdirSync(join(ROOT, 'fixtures', 'winfw')).filter((f) => f.endsWith('.log'))
    .map((f): [ParserModule, string, { tz?: string }] => [winfw, join('winfw', f), { tz: 'Europe/Berlin' }]),
];

describe('byte path = text path on every iptables and winfw fixture', () => {
  for (const [mod, name, o] of FIXTURES) {
    it(name, () => {
      const data = readFileSync(join(ROOT, 'fixtures', name));
      const want = viaText(mod, data, o);
      expect(want.flows.length).toBeGreaterThan(0);
      for (const chunk of [data.length, 64, 7]) {
        const got = viaBytes(mod, data, chunk, o);
        expect(got.textLines, 'every UTF-8 line went through bytes()').toBe(0);
        expect({ flows: got.flows, skips: got.skips, notes: got.notes }, `chunk ${chunk}`).toEqual(want);
      }
    });
  }

  it('CRLF line ends and NUL padding are removed before bytes() sees the line', () => {
    const crlf = readFileSync(join(ROOT, 'fixtures', 'winfw', 'pfirewall-18col.log'));
    expect(crlf.includes('\r\n')).toBe(true); // as Windows writes it
    const lf = Buffer.from(crlf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const nul = Buffer.from(crlf.toString('latin1').replace(/ DROP /g, ' D\0ROP '), 'latin1');
    const got = viaBytes(winfw, nul, 100, { tz: 'Europe/Berlin' });
    expect(got.textLines).toBe(0);
    expect(got.flows).toEqual(viaText(winfw, lf, { tz: 'Europe/Berlin' }).flows);
    expect(got.flows.filter((f) => f.raw_action === 'DROP').length).toBeGreaterThan(0);
  });
});

describe('non-ASCII and invalid UTF-8 in kept fields: as the text path decodes them', () => {
  const ipt = (host: Buffer, prefix: Buffer, src = Buffer.from('203.0.113.7')): Buffer => Buffer.concat([
    Buffer.from('Mar 10 09:00:05 '), host, Buffer.from(' kernel: '), prefix,
    Buffer.from(' IN=eth0 OUT= SRC='), src, Buffer.from(' DST=192.0.2.10 LEN=60 PROTO=TCP SPT=51544 DPT=22 \n'),
  ]);
  const lines = Buffer.concat([
    ipt(Buffer.from('gw-é'), Buffer.from('[UFW BLOCK] ü')),
    ipt(Buffer.from([0x67, 0x77, 0xff, 0x31]), Buffer.from([0x44, 0x52, 0x4f, 0x50, 0x20, 0xc3])),
    ipt(Buffer.from('gw1'), Buffer.from('DROP'), Buffer.from([0x32, 0x30, 0x33, 0x2e, 0xff, 0x2e, 0x31, 0x2e, 0x31])),
    ipt(Buffer.from('gw1'), Buffer.from('DROP\u00a0')), // NBSP: trimmed as String#trim does
  ]);

  it('iptables: device and prefix decoded with U+FFFD for invalid bytes; a bad byte in an address is malformed', () => {
    const got = viaBytes(iptables, lines, 33, { year: 2026 });
    expect(got.flows.map((f) => [f.line, f.device, f.raw_action, f.rule, f.action])).toEqual([
      [1, 'gw-é', '[UFW BLOCK] ü', '[UFW BLOCK] ü', 'deny'],
      [2, 'gw\ufffd1', 'DROP \ufffd', 'DROP \ufffd', 'deny'],
      [4, 'gw1', 'DROP', 'DROP', 'deny'],
    ]);
    expect(got.flows[0]!.ts).toBe(Date.UTC(2026, 2, 10, 9, 0, 5));
    expect(got.skips).toEqual([{ reason: 'bad SRC= address', line: 3, kind: 'malformed' }]);
    expect({ flows: got.flows, skips: got.skips, notes: got.notes }).toEqual(viaText(iptables, lines, { year: 2026 }));
  });

  it('winfw: a protocol or address token with a non-ASCII byte makes the line malformed', () => {
    const head = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path\n';
    const data = Buffer.concat([
      Buffer.from(head),
      Buffer.from('2026-03-10 09:00:05 DROP TC\u00e9 203.0.113.7 192.0.2.10 51544 22 52 S 1 0 64240 - - - RECEIVE\n'),
      Buffer.from('2026-03-10 09:00:05 DROP TCP 203.0.113.'), Buffer.from([0xff]), Buffer.from(' 192.0.2.10 51544 22 52 S 1 0 64240 - - - RECEIVE\n'),
      Buffer.from('2026-03-10 09:00:06 DROP TCP 203.0.113.7 192.0.2.10 51544 22 52 S 1 0 64240 - - - RECEIVE\n'),
    ]);
    const got = viaBytes(winfw, data, 50);
    expect(got.skips).toEqual([
      { reason: 'header', line: 1, kind: 'not-flow' },
      { reason: 'invalid transport (not a protocol name or number 0-255)', line: 2, kind: 'malformed' },
      { reason: 'bad src-ip', line: 3, kind: 'malformed' },
    ]);
    expect(got.flows.map((f) => [f.line, f.src_ip, f.dst_port, f.ts])).toEqual([[4, '203.0.113.7', 22, Date.UTC(2026, 2, 10, 9, 0, 6)]]);
    expect({ flows: got.flows, skips: got.skips, notes: got.notes }).toEqual(viaText(winfw, data));
  });
});

describe('interners', () => {
  it('AddrInterner: canonical text, the same string for the same address, right text after slot collisions', () => {
    const a = new AddrInterner();
    const b = (s: string): Buffer => Buffer.from(`x ${s} y`);
    const at = (s: string): string | null => { const buf = b(s); return a.addr(buf, 2, buf.length - 2); };
    expect(at('010.001.002.003')).toBe('10.1.2.3');
    expect(at('10.1.2.3')).toBe('10.1.2.3');
    expect(at('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(at('::ffff:192.0.2.1')).toBe('192.0.2.1');
    for (const bad of ['', '1.2.3', '1.2.3.256', '1..2.3', '1.2.3.4.5', '1234.1.1.1', 'abc', '1.2.3.x']) expect(at(bad), bad).toBeNull();
    // 200,000 distinct addresses through a 65,536-slot table: every answer is its own address
    for (let i = 0; i < 200_000; i++) {
      const s = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      if (at(s) !== s) throw new Error(`wrong text for ${s}: ${at(s)}`);
    }
    expect(at('10.0.0.1')).toBe('10.0.0.1');
  });

  it('BytesInterner: equal bytes give the identical string; different bytes never share one', () => {
    const t = new BytesInterner();
    const names = Array.from({ length: 2000 }, (_, i) => `fw-${i}`);
    const first = names.map((n) => { const b = Buffer.from(n); return t.get(b, 0, b.length); });
    expect(first).toEqual(names);
    const again = Buffer.from('fw-7');
    expect(t.get(again, 0, again.length)).toBe('fw-7');
    const raw = Buffer.from([0x66, 0xff]);
    expect(t.get(raw, 0, 2)).toBe('f\ufffd');
    expect(t.get(raw, 1, 1)).toBe('');
  });
});

describe('ascii15', () => {
  it('gives the latin1 text of every length from 0 to 20 at any offset', () => {
    const b = Buffer.from('x192.168.100.200.7:1234567890abcdef', 'latin1');
    for (let a = 0; a < 5; a++) {
      for (let n = 0; a + n <= b.length && n <= 20; n++) expect(ascii15(b, a, a + n)).toBe(b.toString('latin1', a, a + n));
    }
    const ai = new AddrInterner();
    const line = Buffer.from('SRC=10.0.0.1 DST=255.255.255.255 ', 'latin1');
    expect([ai.addr(line, 4, 12), ai.addr(line, 17, 32)]).toEqual(['10.0.0.1', '255.255.255.255']);
  });
});
