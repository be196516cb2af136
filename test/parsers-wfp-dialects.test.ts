/**
 * The JSON of EVTX converters and shippers, written from each one's documentation (sources in
 * fixtures/wfp/README.md): Winlogbeat 7 (numeric ids) and 8 (string ids) read alike; Hayabusa's `Details`
 * names are those of hayabusa-rules `config/default_details.txt`, and the 2022 `Src`/`Tgt` `address:port`
 * form is split at the last colon; a shifted or corrupted record is malformed with a reason, never a flow.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hayabusaFields, wfp } from '../parsers/wfp.js';
import type { Flow } from '../src/model/flow.js';
import { parseText } from './helpers/parse-text.js';
import { readFlows } from '../src/pipeline/run.js';
import { ROOT } from './helpers/cli.js';

const jsonl = (...recs: unknown[]) => recs.map((r) => JSON.stringify(r)).join('\n');
const parse = (text: string) => parseText(wfp, text, { file: 'x.jsonl', tz: 'UTC' });
/** The fields a matcher uses, for compact comparisons. */
const core = (f: Flow) => [f.action, f.transport, f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.direction, f.rule, f.app, f.device, new Date(f.ts!).toISOString()];

const EVENT_DATA = {
  ProcessID: '3120', Application: '\\device\\harddiskvolume2\\program files\\acme\\agent.exe', Direction: '%%14593',
  SourceAddress: '10.20.0.7', SourcePort: '52111', DestAddress: '10.10.0.11', DestPort: '8443', Protocol: '6',
  FilterRTID: '83611', LayerName: '%%14611', LayerRTID: '48', RemoteUserID: 'S-1-0-0', RemoteMachineID: 'S-1-0-0',
};
const WANT = ['deny', 'tcp', '10.20.0.7', 52111, '10.10.0.11', 8443, 'outbound', '83611', 'agent.exe', 'app07.corp.example', '2026-03-11T20:05:09.456Z'];

describe('Winlogbeat 7 and 8', () => {
  it('7.x numbers and 8.x strings for event.code / winlog.event_id give the same flow', () => {
    const v7 = { '@timestamp': '2026-03-11T20:05:09.456Z', ecs: { version: '1.6.0' }, event: { code: 5157, kind: 'event' },
      host: { name: 'APP07' }, winlog: { api: 'wineventlog', computer_name: 'app07.corp.example', event_id: 5157, event_data: EVENT_DATA } };
    const v8 = { '@timestamp': '2026-03-11T20:05:09.456Z', ecs: { version: '8.0.0' }, event: { code: '5157', kind: 'event' },
      host: { name: 'app07' }, winlog: { api: 'wineventlog', computer_name: 'app07.corp.example', event_id: '5157',
        time_created: '2026-03-11T20:05:09.456Z', event_data: EVENT_DATA } };
    const a = parse(jsonl(v7));
    const b = parse(jsonl(v8));
    expect(a.detection.dialect).toBe('winlogbeat');
    expect(a.flows.map(core)).toEqual([WANT]);
    expect(b.flows.map(core)).toEqual([WANT]);
  });

  it('the golden fixtures hold 5152, 5156 and 5157 in both versions', () => {
    for (const name of ['winlogbeat7', 'winlogbeat8']) {
      const r = parseText(wfp, readFileSync(join(ROOT, 'fixtures/wfp', `${name}.jsonl`), 'utf8'), { file: name, tz: 'UTC' });
      expect(new Set(r.flows.map((f) => f.raw_action)), name).toEqual(new Set(['5152', '5156', '5157']));
      expect(r.skips.filter((s) => s.kind === 'malformed'), name).toEqual([]);
    }
  });

  it('a corrupted event id or a shifted port is malformed, never a flow', () => {
    const base = { '@timestamp': '2026-03-11T20:05:09.456Z', winlog: { computer_name: 'h', event_id: '5157', event_data: EVENT_DATA } };
    const r = parse(jsonl(
      { ...base, winlog: { ...base.winlog, event_id: '51x7' }, event: { code: 'x' } },
      { ...base, winlog: { ...base.winlog, event_data: { ...EVENT_DATA, DestPort: 'tcp' } } },
      { ...base, winlog: { ...base.winlog, event_data: { ...EVENT_DATA, SourceAddress: '52111' } } },
      { ...base, '@timestamp': '2026-02-31T00:00:00Z' },
    ));
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => [s.line, s.kind, s.reason])).toEqual([
      [1, 'malformed', 'no event id'],
      [2, 'malformed', 'bad DestPort'],
      [3, 'malformed', 'bad SourceAddress'],
      [4, 'malformed', 'invalid timestamp day out of range for the month'],
    ]);
  });
});

describe('Hayabusa json-timeline', () => {
  const head = { Timestamp: '2026-03-11 21:05:09.456 +01:00', RuleTitle: 'Net Conn Blocked', Level: 'info', Computer: 'app07.corp.example', Channel: 'Sec', EventID: 5157, RecordID: 1 };
  it('reads the Details names of default_details.txt (Proc, SrcIP, SrcPort, TgtIP, TgtPort, Protocol, PID)', () => {
    const r = parse(jsonl({ ...head,
      Details: { Proc: EVENT_DATA.Application, SrcIP: '10.20.0.7', SrcPort: 52111, TgtIP: '10.10.0.11', TgtPort: 8443, Protocol: 6, TgtMachineID: 'S-1-0-0', TgtSID: 'S-1-0-0', PID: 3120 },
      ExtraFieldInfo: { Direction: 'Outbound', FilterRTID: 83611, LayerName: '%%14611', LayerRTID: 48 } }));
    expect(r.detection.dialect).toBe('hayabusa');
    expect(r.flows.map(core)).toEqual([WANT]);
  });

  it('reads the 2022 form: Process, and Src/Tgt as address:port (IPv6 split at the last colon)', () => {
    const r = parse(jsonl({ ...head,
      Details: { Process: EVENT_DATA.Application, Src: '2001:db8:20::7:52111', Tgt: '2001:db8:10::11:8443', Protocol: 6, PID: 3120 },
      ExtraFieldInfo: { Direction: '%%14593', FilterRTID: 83611 } }));
    expect(r.flows.map((f) => [f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.app, f.direction])).toEqual([
      ['2001:db8:20::7', 52111, '2001:db8:10::11', 8443, 'agent.exe', 'outbound']]);
  });

  it('an endpoint without its port is malformed (no address is guessed)', () => {
    const r = parse(jsonl(
      { ...head, Details: { Src: '10.20.0.7', Tgt: '10.10.0.11:8443', Protocol: 6 } },
      { ...head, Details: { Src: '10.20.0.7:52111', Tgt: '10.10.0.11:http', Protocol: 6 } },
    ));
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => [s.line, s.reason])).toEqual([[1, 'bad SourceAddress'], [2, 'bad DestAddress']]);
  });

  it('Sysmon network events (EventID 3, `Proto: tcp`) are not WFP flows', () => {
    const r = parse(jsonl({ ...head, Channel: 'Sysmon', EventID: 3, RuleTitle: 'Net Conn (Sysmon Alert)',
      Details: { Proto: 'tcp', SrcIP: '10.0.2.15', SrcPort: 49827, TgtIP: '93.184.220.29', TgtPort: 80 } }));
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => [s.kind, s.reason])).toEqual([['not-flow', 'other event id']]);
  });
});

describe('Event Viewer Ctrl+C ("Copy details as text")', () => {
  const text = readFileSync(join(ROOT, 'fixtures/wfp/eventviewer-text.txt'), 'utf8');
  it('is detected from the General-tab text followed by `Event Xml:` and read from the XML only', async () => {
    const det = wfp.detect(text.slice(0, 65536), 'copied.txt');
    expect(det).toEqual({ format: 'wfp-xml', dialect: 'eventviewer-text', framing: 'xml-events', confidence: 0.9 });
    const flows: Flow[] = [];
    const [sum] = await readFlows([join(ROOT, 'fixtures/wfp/eventviewer-text.txt')], { tz: 'UTC', jobs: 1 }, (f) => flows.push(f));
    expect(sum!.dialect).toBe('eventviewer-text');
    expect(sum!.skipped).toEqual([]);
    // the localised `Date:` line (9:05:09 PM, the viewer's zone) is not read: SystemTime is
    expect(flows.map((f) => [f.raw_action, f.line, new Date(f.ts!).toISOString()])).toEqual([
      ['5157', 30, '2026-03-11T20:05:09.456Z'], ['5156', 92, '2026-03-11T20:05:08.123Z'], ['5152', 154, '2026-03-11T20:05:10.000Z']]);
  });
  it('a copy of another event (no WFP event id after `Event Xml:`) is not taken', () => {
    const other = text.replace(/<EventID>515\d<\/EventID>/g, '<EventID>4688</EventID>');
    expect(wfp.detect(other.slice(0, 65536), 'copied.txt')).toBeNull();
    expect(wfp.detect('Log Name:      Security\nSource:        x\n', 'copied.txt')).toBeNull();
  });
});

describe('Hayabusa csv-timeline (wfp-csv)', () => {
  const HEADER = 'Timestamp,RuleTitle,Level,Computer,Channel,EventID,RecordID,Details,ExtraFieldInfo,RuleID';
  const DETAILS = 'Proc: \\device\\harddiskvolume2\\program files\\acme\\agent.exe ¦ SrcIP: 10.20.0.7 ¦ SrcPort: 52111 ¦ TgtIP: 10.10.0.11 ¦ TgtPort: 8443 ¦ Protocol: 6 ¦ TgtMachineID: S-1-0-0 ¦ TgtSID: S-1-0-0 ¦ PID: 3120';
  const EXTRA = 'Direction: Outbound ¦ FilterRTID: 83611 ¦ LayerName: %%14611 ¦ LayerRTID: 48';
  const row = (details: string, extra = EXTRA) => `2026-03-11 21:05:09.456 +01:00,Net Conn Blocked,info,app07.corp.example,Sec,5157,1,${details},${extra},b793a8e6`;
  const read = async (name: string, text: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'fwaudit-hcsv-')), name);
    writeFileSync(p, text);
    const flows: Flow[] = [];
    const [sum] = await readFlows([p], { tz: 'UTC', jobs: 1 }, (f) => flows.push(f));
    return { flows, sum: sum! };
  };

  it('is detected from its header and reads Details / ExtraFieldInfo text', async () => {
    expect(wfp.detect(`${HEADER}\n${row(DETAILS)}\n`, 'timeline.csv')).toEqual({ format: 'wfp-csv', dialect: 'hayabusa-csv', framing: 'csv', confidence: 0.8 });
    const { flows, sum } = await read('t.csv', `${HEADER}\r\n${row(DETAILS)}\r\n`);
    expect(sum.format).toBe('wfp-csv');
    expect(flows.map(core)).toEqual([WANT]);
  });

  it('reads --multiline (a line break per field, in a quoted cell) and --tab-separator the same', async () => {
    const ml = `${HEADER}\r\n${row(`"${DETAILS.replace(/ ¦ /g, '\r\n')}"`, `"${EXTRA.replace(/ ¦ /g, '\r\n')}"`)}\r\n`;
    const tab = `${HEADER}\n${row(`"${DETAILS.replace(/ ¦ /g, '\t')}"`, `"${EXTRA.replace(/ ¦ /g, '\t')}"`)}\n`;
    for (const [name, text] of [['ml.csv', ml], ['tab.csv', tab]] as const) {
      const { flows, sum } = await read(name, text);
      expect(flows.map(core), name).toEqual([WANT]);
      expect(sum.lines, name).toBe(2);
    }
  });

  it('a row that does not match the header, or a file without the header row, is malformed', async () => {
    const { flows, sum } = await read('bad.csv', `${HEADER}\n${row(DETAILS)},extra\n${row(DETAILS.replace('TgtPort: 8443', 'TgtPort: http'))}\n`);
    expect(flows).toEqual([]);
    expect(sum.skipped.map((g) => [g.reason, g.kind, g.first.line])).toEqual([
      ['header', 'not-flow', 1], ['row has 11 fields, the header 10', 'malformed', 2], ['bad DestPort', 'malformed', 3]]);
    const r = parseText(wfp, `${row(DETAILS)}\n`, { file: 'x.csv', format: 'wfp-csv', tz: 'UTC' });
    expect(r.flows).toEqual([]);
    expect(r.skips.map((x) => x.reason)).toEqual(['no Hayabusa header row (Timestamp,RuleTitle,…)']);
  });

  it('hayabusaFields splits at the first ": " of each field and ignores "-"', () => {
    expect(hayabusaFields('Proc: C:\\Windows\\a.exe ¦ Cmd: x: y ¦ Bad ¦ PID: 4')).toEqual({ Proc: 'C:\\Windows\\a.exe', Cmd: 'x: y', PID: '4' });
    expect(hayabusaFields('-')).toEqual({});
  });
});
