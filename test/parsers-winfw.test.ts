import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { winfw } from '../parsers/winfw.js';
import { flowToJsonLine } from '../src/sinks/serialize.js';
import { parseText } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const corpusDir = path.resolve(repo, '../shared/corpus/winfw');

const HEADER17 = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
const HEADER18 = `${HEADER17} pid`;

function fixture(rel: string, tz: string) {
  const text = readFileSync(path.join(repo, rel), 'utf8');
  return parseText(winfw, text, { file: rel, tz });
}

function expectedLines(rel: string): string[] {
  return readFileSync(path.join(repo, rel.replace(/\.log$/, '.expected.jsonl')), 'utf8').split('\n').filter((l) => l !== '');
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

describe('winfw golden fixtures', () => {
  for (const rel of ['fixtures/winfw/pfirewall-18col.log', 'fixtures/winfw/pfirewall-xp.log']) {
    it(`${rel} matches its expected output (tz Europe/Berlin)`, () => {
      const r = fixture(rel, 'Europe/Berlin');
      const want = expectedLines(rel);
      expect(r.flows.length).toBe(want.length);
      r.flows.forEach((f, i) => expect(flowToJsonLine(f)).toBe(want[i]));
      expect(r.skips.filter((s) => s.kind === 'malformed')).toEqual([]);
    });
  }

  it('18-column file: header switch, lost events, directions, transports', () => {
    const r = fixture('fixtures/winfw/pfirewall-18col.log', 'Europe/Berlin');
    expect(r.detection).toMatchObject({ format: 'winfw', framing: 'lines', dialect: 'pfirewall-pid' });
    expect(r.notes).toEqual({ 'lost-events': 15 }); // 12 + 3
    expect(r.skips.filter((s) => s.reason === 'info-events-lost').map((s) => s.line)).toEqual([11, 25]);
    expect(r.skips.filter((s) => s.reason === 'header').map((s) => s.line)).toEqual([1, 2, 3, 4, 17, 18, 19, 20]);
    const byLine = new Map(r.flows.map((f) => [f.line, f]));
    // CET (UTC+1) before the 2024-03-31 switch, CEST (UTC+2) after it
    expect(iso(byLine.get(6)!.ts)).toBe('2024-03-30T22:59:58.000Z');
    expect(iso(byLine.get(8)!.ts)).toBe('2024-03-31T00:15:02.000Z');
    expect(iso(byLine.get(12)!.ts)).toBe('2024-03-31T01:00:07.000Z');
    expect(byLine.get(6)).toMatchObject({ action: 'deny', raw_action: 'DROP', direction: 'inbound', bytes: 52, packets: 1 });
    expect(byLine.get(7)).toMatchObject({ action: 'allow', direction: 'outbound', bytes: null, packets: null });
    expect(byLine.get(8)).toMatchObject({ transport: 'icmp', src_port: null, dst_port: null });
    expect(byLine.get(10)).toMatchObject({ dst_ip: '192.0.2.20', dst_port: 49700, action: 'deny' });
    expect(byLine.get(12)).toMatchObject({ src_ip: 'fe80::1c2a:3bff:fe4d:5e6f', dst_ip: 'ff02::fb', transport: 'udp' });
    expect(byLine.get(15)).toMatchObject({ transport: 'igmp', src_port: null });
    expect(byLine.get(16)!.direction).toBe('forward');
    expect(byLine.get(22)).toMatchObject({ dst_port: 22, bytes: 60 }); // after the 17-field header
    expect(byLine.get(24)!.direction).toBeNull(); // UNKNOWN path
    for (const f of r.flows) expect([f.device, f.rule, f.app]).toEqual([null, null, null]);
  });

  it('same file under UTC keeps the wall-clock time', () => {
    const r = fixture('fixtures/winfw/pfirewall-18col.log', 'UTC');
    expect(iso(r.flows[0]!.ts)).toBe('2024-03-30T23:59:58.000Z');
    expect(iso(r.flows.find((f) => f.line === 12)!.ts)).toBe('2024-03-31T03:00:07.000Z');
  });

  it('XP actions map to verdicts and keep the raw token', () => {
    const r = fixture('fixtures/winfw/pfirewall-xp.log', 'Europe/Berlin');
    const pairs = r.flows.map((f) => `${f.raw_action}=${f.action}`);
    expect(new Set(pairs)).toEqual(new Set(['DROP=deny', 'OPEN=allow', 'CLOSE=allow', 'OPEN-INBOUND=allow']));
    expect(r.notes['lost-events']).toBe(59);
    // '-' path on OPEN/CLOSE lines → no direction
    expect(r.flows.find((f) => f.raw_action === 'OPEN')!.direction).toBeNull();
    // the October DST switch: 01:30 is still CEST, 03:30 already CET
    expect(iso(r.flows.find((f) => f.line === 14)!.ts)).toBe('2005-10-29T23:30:00.000Z');
    expect(iso(r.flows.find((f) => f.line === 15)!.ts)).toBe('2005-10-30T02:30:00.000Z');
  });
});

describe('winfw layout handling', () => {
  it('maps columns by the last #Fields header name, not by position', () => {
    const text = [
      '#Fields: time date path action src-ip dst-ip protocol dst-port src-port size',
      '10:00:00 2024-06-01 RECEIVE DROP 198.51.100.4 192.0.2.9 UDP 161 40000 80',
    ].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC', format: 'winfw' });
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({
      ts: Date.UTC(2024, 5, 1, 10, 0, 0), action: 'deny', transport: 'udp', src_ip: '198.51.100.4', dst_ip: '192.0.2.9',
      src_port: 40000, dst_port: 161, direction: 'inbound', bytes: 80, packets: 1,
    });
  });

  it('uses the standard layout before any header and accepts 17 or 18 tokens', () => {
    const text = [
      '2024-06-01 10:00:00 ALLOW TCP 192.0.2.1 192.0.2.2 50000 443 0 - 0 0 0 - - - SEND',
      '2024-06-01 10:00:01 ALLOW TCP 192.0.2.1 192.0.2.2 50001 443 0 - 0 0 0 - - - SEND 1234',
    ].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.detection.dialect).toBe('pfirewall-headerless');
    expect(r.flows.map((f) => f.src_port)).toEqual([50000, 50001]);
    expect(r.skips).toEqual([]);
  });

  it('accepts an 18-field header with lines that lack the pid', () => {
    const text = [HEADER18, '2024-06-01 10:00:00 DROP UDP 192.0.2.1 192.0.2.255 137 137 78 - - - - - - - RECEIVE'].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.flows).toHaveLength(1);
  });

  it('accepts compact lines that leave out the empty columns', () => {
    const text = [
      '2025-06-16 17:26:13 ALLOW TCP 192.168.188.166 198.51.100.183 49159 6543 SEND 1320',
      '2025-06-16 17:26:23 DROP UDP 192.168.188.119 192.168.188.255 137 137 128 RECEIVE 4',
      '2025-06-16 20:30:30 ALLOW 2 192.168.188.166 224.0.0.22 - - 0 SEND 4',
    ].join('\r\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.skips).toEqual([]);
    expect(r.flows.map((f) => [f.action, f.transport, f.dst_port, f.bytes, f.direction])).toEqual([
      ['allow', 'tcp', 6543, null, 'outbound'],
      ['deny', 'udp', 137, 128, 'inbound'],
      ['allow', 'igmp', null, null, 'outbound'],
    ]);
  });

  it('canonicalizes addresses; an unknown action token or a missing address makes the line malformed', () => {
    const text = [HEADER17,
      '2024-06-01 10:00:00 BLOCK TCP 192.0.2.010 2001:DB8:0:0:0:0:0:1 50000 443 0 - - - - - - - SEND',
      '2024-06-01 10:00:00 ALLOW TCP 192.0.2.010 2001:DB8:0:0:0:0:0:1 50000 443 0 - - - - - - - SEND',
      '2024-06-01 10:00:00 DROP TCP - - 50000 443 0 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 - 50000 443 0 - - - - - - - RECEIVE'].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.flows.map((f) => [f.line, f.action, f.raw_action, f.src_ip, f.dst_ip])).toEqual([[3, 'allow', 'ALLOW', '192.0.2.10', '2001:db8::1']]);
    expect(r.skips.filter((s) => s.kind === 'malformed')).toEqual([
      { reason: 'invalid action (not ALLOW, DROP, OPEN, OPEN-INBOUND or CLOSE)', line: 2, kind: 'malformed' },
      { reason: 'missing src_ip', line: 4, kind: 'malformed' },
      { reason: 'missing dst_ip', line: 5, kind: 'malformed' },
    ]);
  });

  it('invalid calendar dates and times are malformed, never rolled over', () => {
    const rows = ['2026-02-30 10:00:00', '2026-02-29 10:00:00', '2024-04-31 10:00:00', '2024-06-01 24:00:00', '1989-12-31 23:59:59', '2024-02-29 10:00:00'];
    const text = [HEADER17, ...rows.map((d) => `${d} DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE`)].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.skips.filter((s) => s.kind === 'malformed').map((s) => [s.line, s.reason])).toEqual([
      [2, 'invalid timestamp day out of range for the month'], [3, 'invalid timestamp day out of range for the month'],
      [4, 'invalid timestamp day out of range for the month'], [5, 'invalid timestamp hour out of range'],
      [6, 'invalid timestamp year out of range (1990-2100)'],
    ]);
    expect(r.flows.map((f) => new Date(f.ts!).toISOString())).toEqual(['2024-02-29T10:00:00.000Z']);
  });

  it('counts INFO-EVENTS-LOST without a numeric info as one lost event', () => {
    const text = [HEADER17, '2024-06-01 10:00:00 INFO-EVENTS-LOST - - - - - - - - - - - - - -'].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.flows).toEqual([]);
    expect(r.notes).toEqual({ 'lost-events': 1 });
    expect(r.skips).toEqual([
      { reason: 'header', line: 1, kind: 'not-flow' },
      { reason: 'info-events-lost', line: 2, kind: 'not-flow' },
    ]);
  });

  it('reports malformed lines with specific reasons and keeps going', () => {
    const text = [
      HEADER17,
      '',
      '2024-13-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE',
      '2024-06-01 1000:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.168.1.10055 137 137 78 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP not-an-ip 192.0.2.2 1 2 40 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 70000 40 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 x 2 40 - - - - - - - RECEIVE',
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE',
    ].join('\n');
    const r = parseText(winfw, text, { tz: 'UTC' });
    expect(r.skips).toEqual([
      { reason: 'header', line: 1, kind: 'not-flow' },
      { reason: 'invalid timestamp month out of range', line: 3, kind: 'malformed' },
      { reason: 'bad timestamp', line: 4, kind: 'malformed' },
      { reason: 'field count (14, expected 17)', line: 5, kind: 'malformed' },
      { reason: 'bad dst-ip', line: 6, kind: 'malformed' },
      { reason: 'bad src-ip', line: 7, kind: 'malformed' },
      { reason: 'bad dst-port', line: 8, kind: 'malformed' },
      { reason: 'bad src-port', line: 9, kind: 'malformed' },
    ]);
    expect(r.flows.map((f) => f.line)).toEqual([10]);
  });

  it('reuses the cached timestamp only for the same date and time', () => {
    const text = [
      '2024-06-01 10:00:00 ALLOW UDP 192.0.2.1 192.0.2.2 1 53 0 - - - - - - - SEND',
      '2024-06-01 10:00:00 ALLOW UDP 192.0.2.1 192.0.2.2 2 53 0 - - - - - - - SEND',
      '2024-06-02 10:00:00 ALLOW UDP 192.0.2.1 192.0.2.2 3 53 0 - - - - - - - SEND',
    ].join('\n');
    const r = parseText(winfw, text, { tz: 'America/New_York' });
    expect(r.flows.map((f) => iso(f.ts))).toEqual([
      '2024-06-01T14:00:00.000Z', '2024-06-01T14:00:00.000Z', '2024-06-02T14:00:00.000Z',
    ]);
  });
});

describe('winfw detection', () => {
  it('detects by header, by #Fields, and by data lines; rejects other logs', () => {
    expect(winfw.detect('#Version: 1.5\n#Software: Microsoft Windows Firewall\n', 'x.log')?.confidence).toBe(0.95);
    expect(winfw.detect(`${HEADER18}\n`, 'x.log')?.dialect).toBe('pfirewall-pid');
    expect(winfw.detect('2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE\n', 'x')?.format)
      .toBe('winfw');
    expect(winfw.detect('Mar  9 14:02:11 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.77\n', 'kern.log')).toBeNull();
    expect(winfw.detect('{"EventID":5157}\n', 'x.json')).toBeNull();
    expect(winfw.forced('winfw', '')).toMatchObject({ format: 'winfw', framing: 'lines' });
  });
});

describe('winfw corpus (../shared/corpus/winfw)', () => {
  it.skipIf(missingPath(corpusDir))('every corpus file yields flows, with few malformed lines', () => {
    const files = readdirSync(corpusDir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(path.join(corpusDir, f), 'utf8');
      const r = parseText(winfw, text, { file: `corpus/winfw/${f}`, tz: 'UTC' });
      expect(r.detection.format, f).toBe('winfw');
      expect(r.flows.length, f).toBeGreaterThan(0);
      const malformed = r.skips.filter((s) => s.kind === 'malformed').length;
      expect(malformed, f).toBeLessThan(Math.max(1, r.flows.length * 0.1));
      const incomplete = r.flows.filter((fl) => fl.ts === null || fl.src_ip === null || fl.action === 'unknown');
      expect(incomplete, f).toEqual([]);
    }
  });

  it.skipIf(missingPath(path.join(corpusDir, 'log2timeline__plaso__test_data-windows_firewall.log')))('real samples: lost-event counts and the plaso XP sample', () => {
    const plaso = path.join(corpusDir, 'log2timeline__plaso__test_data-windows_firewall.log');
    const r = parseText(winfw, readFileSync(plaso, 'utf8'), { tz: 'UTC' });
    expect(r.notes['lost-events']).toBe(59);
    expect(r.flows.filter((f) => f.raw_action === 'OPEN').every((f) => f.action === 'allow')).toBe(true);
    const icmp = r.flows.find((f) => f.transport === 'icmp')!;
    expect([icmp.src_port, icmp.dst_port]).toEqual([null, null]);
  });
});
