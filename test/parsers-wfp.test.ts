import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeXml, parseTime, toInt, wfp } from '../parsers/wfp.js';
import { ZoneConverter } from '../src/model/time.js';
import { flowToJsonLine } from '../src/sinks/serialize.js';
import { parseText } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const corpusDir = path.resolve(repo, '../shared/corpus/wfp-events');

function fixture(rel: string, tz = 'UTC') {
  return parseText(wfp, readFileSync(path.join(repo, rel), 'utf8'), { file: rel, tz });
}
function expectedLines(rel: string): string[] {
  return readFileSync(path.join(repo, rel.replace(/\.[a-z]+$/, '.expected.jsonl')), 'utf8').split('\n').filter((l) => l !== '');
}
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const jsonl = (...recs: unknown[]) => recs.map((r) => JSON.stringify(r)).join('\n');

const FIXTURES: Array<[string, string, string]> = [
  ['fixtures/wfp/get-winevent.json', 'wfp-json', 'get-winevent'],
  ['fixtures/wfp/winlogbeat.jsonl', 'wfp-json', 'winlogbeat'],
  ['fixtures/wfp/nxlog.jsonl', 'wfp-json', 'nxlog'],
  ['fixtures/wfp/eventdata-xml-string.jsonl', 'wfp-json', 'sentinel'],
  ['fixtures/wfp/wevtutil.xml', 'wfp-xml', 'event-xml'],
];

describe('wfp golden fixtures', () => {
  for (const [rel, format, dialect] of FIXTURES) {
    it(`${rel} matches its expected output (tz UTC)`, () => {
      const r = fixture(rel);
      expect(r.detection).toMatchObject({ format, dialect });
      const want = expectedLines(rel);
      expect(r.flows.length).toBe(want.length);
      r.flows.forEach((f, i) => expect(flowToJsonLine(f)).toBe(want[i]));
      expect(r.skips.filter((s) => s.kind === 'malformed')).toEqual([]);
    });
  }
});

describe('wfp field mapping', () => {
  it('Get-WinEvent: Properties in EventData order, degraded Properties → Message, /Date()/ and ISO times', () => {
    const r = fixture('fixtures/wfp/get-winevent.json');
    const [a, b, c] = r.flows;
    expect(iso(a!.ts)).toBe('2024-03-09T13:02:16.552Z'); // \/Date(1709989336552)\/
    expect(a).toMatchObject({ raw_action: '5156', action: 'allow', direction: 'outbound', dst_port: 135, rule: '70412', app: 'agent.exe' });
    expect(iso(b!.ts)).toBe('2024-03-09T13:02:17.123Z'); // 14:02:17.1234567+01:00
    expect(b).toMatchObject({ raw_action: '5157', action: 'deny', src_ip: '192.0.2.20', dst_ip: '192.0.2.135', dst_port: 49700, direction: 'outbound', rule: '70415', transport: 'tcp' });
    expect(c).toMatchObject({ raw_action: '5152', action: 'deny', rule: 'Stealth', app: null, transport: 'udp', direction: 'inbound', packets: 1 });
    expect(r.notes).toEqual({ 'no-peer-events': 1 });
    expect(r.skips).toEqual([
      { reason: 'no-peer event (listen/bind)', line: 4, kind: 'not-flow' },
      { reason: 'other event id', line: 5, kind: 'not-flow' },
    ]);
  });

  it('Winlogbeat: event_id as string or number, %% codes, ::ffff: mapping, FilterOrigin vs FilterRTID', () => {
    const r = fixture('fixtures/wfp/winlogbeat.jsonl');
    const byLine = new Map(r.flows.map((f) => [f.line, f]));
    expect(byLine.get(1)).toMatchObject({ direction: 'inbound', device: 'srv-rpc01.corp.example', app: 'svchost.exe', rule: '67993' });
    expect(byLine.get(2)!.rule).toBe('{3c7a1b2e-5d4f-4e6a-9b8c-1d2e3f4a5b6c}');
    expect(byLine.get(3)).toMatchObject({ src_ip: '198.51.100.23', app: 'System', rule: 'Stealth' }); // ProcessId "0x4", Application "-"
    expect(byLine.get(5)).toMatchObject({ transport: 'icmpv6', src_port: null, dst_port: null, src_ip: '2001:db8::135', rule: '71800', direction: 'outbound' });
    expect(r.skips).toEqual([{ reason: 'other event id', line: 4, kind: 'not-flow' }]);
  });

  it('NXLog: offset-less EventTime is local (--tz), @timestamp wins when present', () => {
    const r = fixture('fixtures/wfp/nxlog.jsonl', 'Europe/Berlin');
    expect(iso(r.flows[0]!.ts)).toBe('2024-03-09T13:06:10.000Z'); // EventTime 14:06:10 CET
    expect(iso(r.flows[1]!.ts)).toBe('2024-03-09T13:06:11.500Z'); // @timestamp
    expect(iso(r.flows[2]!.ts)).toBe('2024-03-09T13:06:13.250Z'); // TimeCreated 14:06:13.250 CET
    expect(r.flows[0]!.device).toBe('ws02.corp.example'); // Hostname, not the relay in `host`
    expect(r.notes).toEqual({ 'no-peer-events': 1 });
  });

  it('Sentinel EventData XML string: entities decoded, FilterOrigin used', () => {
    const r = fixture('fixtures/wfp/eventdata-xml-string.jsonl');
    expect(r.flows.map((f) => [f.raw_action, f.action, f.app, f.rule, f.direction])).toEqual([
      ['5156', 'allow', 'r&d-tomcat9.exe', '68996', 'inbound'],
      ['5157', 'deny', 'System', 'Query User Default', 'inbound'],
    ]);
  });

  it('XML: double and single quoted attributes, multi-line events, no-peer events', () => {
    const r = fixture('fixtures/wfp/wevtutil.xml');
    expect(r.flows.map((f) => f.raw_action)).toEqual(['5152', '5153', '5156', '5157']);
    expect(r.flows.map((f) => f.action)).toEqual(['deny', 'deny', 'allow', 'deny']);
    expect(iso(r.flows[2]!.ts)).toBe('2024-03-09T13:02:15.552Z'); // SystemTime='…' (single quotes)
    expect(r.flows[3]).toMatchObject({ line: 4, dst_port: 49700, app: 'r&d-agent.exe', device: 'ws01.corp.example' });
    expect(r.notes).toEqual({ 'no-peer-events': 2 });
  });

  it('process id variants: number, decimal string, 0x hex; PID 4 without Application is System', () => {
    const base = { SourceAddress: '192.0.2.1', DestAddress: '192.0.2.2', SourcePort: '1', DestPort: '2', Protocol: '6', Application: '-' };
    const recs = [
      { EventID: 5157, ...base, ProcessID: 4 },
      { EventID: 5157, ...base, ProcessID: '4' },
      { EventID: 5152, ...base, ProcessId: '0x4' },
      { EventID: 5152, ...base, ProcessId: '0x8a8' },
      { EventID: 5152, ...base, ProcessId: 0 },
    ];
    const r = parseText(wfp, jsonl(...recs), { format: 'wfp-json' });
    expect(r.flows.map((f) => f.app)).toEqual(['System', 'System', 'System', null, null]);
    expect([toInt(4), toInt('4'), toInt('0x8a8'), toInt('0X10'), toInt('-'), toInt('abc'), toInt(1.5)])
      .toEqual([4, 4, 2216, 16, null, null, null]);
  });

  it('direction words and codes', () => {
    const base = { EventID: 5156, SourceAddress: '192.0.2.1', DestAddress: '192.0.2.2', Protocol: 17 };
    const r = parseText(wfp, jsonl(
      { ...base, Direction: '%%14592' }, { ...base, Direction: '%%14593' },
      { ...base, Direction: 'Inbound' }, { ...base, Direction: 'outbound' }, { ...base, Direction: '%%14609' },
    ), { format: 'wfp-json' });
    expect(r.flows.map((f) => f.direction)).toEqual(['inbound', 'outbound', 'inbound', 'outbound', null]);
    expect(r.flows[0]!.transport).toBe('udp');
  });

  it('evtx_dump jsonl records (Event.System / Event.EventData)', () => {
    const rec = {
      Event: {
        '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
        System: { EventID: 5157, Computer: 'ws03.corp.example', TimeCreated: { '#attributes': { SystemTime: '2024-03-09T13:02:16.552011Z' } } },
        EventData: { ProcessID: 2216, Application: '\\device\\harddiskvolume3\\acme\\agent.exe', Direction: '%%14593',
          SourceAddress: '192.0.2.20', SourcePort: '60113', DestAddress: '192.0.2.135', DestPort: '49700', Protocol: 6, FilterRTID: 70412 },
      },
    };
    const r = parseText(wfp, jsonl(rec), {});
    expect(r.detection).toMatchObject({ format: 'wfp-json', dialect: 'evtx-dump', framing: 'json' });
    expect(r.flows[0]).toMatchObject({
      ts: Date.parse('2024-03-09T13:02:16.552Z'), action: 'deny', device: 'ws03.corp.example', dst_port: 49700,
      transport: 'tcp', app: 'agent.exe', rule: '70412',
    });
  });

  it('malformed records are counted with specific reasons', () => {
    const r = parseText(wfp, jsonl(
      { EventID: 5157, SourcePort: '1' },
      { EventID: 5157, SourceAddress: '999.1.1.1', DestAddress: '192.0.2.2' },
      { EventID: 5157, SourceAddress: '192.0.2.1', DestAddress: 'nope' },
      { EventID: 5157, SourceAddress: '192.0.2.1', DestAddress: '192.0.2.2', Protocol: 6, DestPort: '99999' },
      { EventID: 5157, SourceAddress: '192.0.2.1', DestAddress: '192.0.2.2', Protocol: 6, SourcePort: 'x' },
      { Message: 'no id at all' },
      [1, 2],
      { EventID: 5156, SourceAddress: '192.0.2.1', DestAddress: '192.0.2.2' },
    ), { format: 'wfp-json' });
    expect(r.skips).toEqual([
      { reason: 'no addresses', line: 1, kind: 'malformed' },
      { reason: 'bad SourceAddress', line: 2, kind: 'malformed' },
      { reason: 'bad DestAddress', line: 3, kind: 'malformed' },
      { reason: 'bad DestPort', line: 4, kind: 'malformed' },
      { reason: 'bad SourcePort', line: 5, kind: 'malformed' },
      { reason: 'no event id', line: 6, kind: 'malformed' },
      { reason: 'not a JSON object', line: 7, kind: 'malformed' },
    ]);
    expect(r.flows.map((f) => f.line)).toEqual([8]);
  });

  it('helpers: XML entities and timestamps', () => {
    expect(decodeXml('a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42; &bogus;')).toBe('a & b <c> "d" \'e\' AB &bogus;');
    const utc = new ZoneConverter('UTC');
    expect(parseTime('/Date(1709989336552)/', utc)).toEqual({ ms: 1709989336552, offset: true });
    expect(parseTime('2024-03-09T14:02:16.5520114+01:00', utc)).toEqual({ ms: Date.UTC(2024, 2, 9, 13, 2, 16, 552), offset: true });
    expect(parseTime('2024-03-09 14:02:16', new ZoneConverter('Europe/Berlin'))).toEqual({ ms: Date.UTC(2024, 2, 9, 13, 2, 16), offset: false });
    expect(parseTime('yesterday', utc)).toBeNull();
  });
});

describe('wfp detection', () => {
  it('detects JSON and XML heads, rejects unrelated input', () => {
    expect(wfp.detect('{"EventID":5157,"SourceAddress":"192.0.2.1"}\n', 'x.json')).toMatchObject({ format: 'wfp-json', confidence: 0.9 });
    expect(wfp.detect('[{"Id":  4624, "ProviderName": "Microsoft-Windows-Security-Auditing"}]', 'x.json'))
      .toMatchObject({ format: 'wfp-json', confidence: 0.6 });
    expect(wfp.detect('<Event xmlns="x"><System><EventID>5156</EventID></System></Event>', 'x.xml'))
      .toMatchObject({ format: 'wfp-xml', framing: 'xml-events' });
    expect(wfp.detect('{"MESSAGE":"[UFW BLOCK] IN=eth0","_TRANSPORT":"kernel"}\n', 'j.json')).toBeNull();
    expect(wfp.detect('<html><body>hi</body></html>', 'x.html')).toBeNull();
    expect(wfp.detect('2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1 2 40 - - - - - - - RECEIVE', 'x.log')).toBeNull();
    expect(wfp.forced('wfp-xml', '')).toMatchObject({ format: 'wfp-xml', framing: 'xml-events' });
    expect(wfp.forced('wfp-json', '')).toMatchObject({ format: 'wfp-json', framing: 'json' });
  });
});

describe('wfp corpus (../shared/corpus/wfp-events)', () => {
  it.skipIf(missingPath(corpusDir))('agrees with the Elastic expected outputs on addresses, ports, transport and verdict', () => {
    const expectedFiles = readdirSync(corpusDir).filter((f) => f.endsWith('-expected.json'));
    expect(expectedFiles.length).toBeGreaterThan(0);
    for (const ef of expectedFiles) {
      const input = path.join(corpusDir, ef.replace(/-expected\.json$/, ''));
      expect(existsSync(input), input).toBe(true);
      const r = parseText(wfp, readFileSync(input, 'utf8'), { file: ef, tz: 'UTC' });
      const want = (JSON.parse(readFileSync(path.join(corpusDir, ef), 'utf8')) as { expected: Array<Record<string, any>> }).expected;
      expect(r.flows.length, ef).toBe(want.length);
      want.forEach((w, i) => {
        const f = r.flows[i]!;
        expect(f.src_ip, ef).toBe(w.source?.ip ?? null);
        expect(f.dst_ip, ef).toBe(w.destination?.ip ?? null);
        expect(f.src_port, ef).toBe(w.source?.port ?? null);
        expect(f.dst_port, ef).toBe(w.destination?.port ?? null);
        expect(f.transport, ef).toBe(w.network?.transport ?? null);
        const code = String(w.event?.code);
        expect(f.raw_action, ef).toBe(code);
        expect(f.action, ef).toBe(code === '5156' ? 'allow' : 'deny');
      });
    }
  });

  it.skipIf(missingPath(corpusDir))('OTRF flat JSON line files yield flows', () => {
    const files = readdirSync(corpusDir).filter((f) => f.startsWith('OTRF') && f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = parseText(wfp, readFileSync(path.join(corpusDir, f), 'utf8'), { file: f, tz: 'UTC' });
      expect(r.detection.format, f).toBe('wfp-json');
      expect(r.flows.length, f).toBeGreaterThan(0);
      expect(r.skips.filter((s) => s.kind === 'malformed'), f).toEqual([]);
      const incomplete = r.flows.filter((x) => x.ts === null || x.src_ip === null || x.dst_ip === null || x.device === null);
      expect(incomplete, f).toEqual([]);
      expect(r.notes['no-peer-events'] ?? 0, f).toBeGreaterThan(0);
    }
  });
});
