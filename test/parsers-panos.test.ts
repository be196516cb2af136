import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostFromUrl, panos, threatAction, trafficAction } from '../parsers/panos/index.js';
import { CsvFields, splitCsvLine } from '../parsers/csv.js';
import { ZoneConverter, parseIsoTime } from '../src/model/time.js';
import { flowToJsonLine } from '../src/sinks/serialize.js';
import { parseText } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIX = join(ROOT, 'fixtures/panos');
const CORPUS = join(ROOT, '../shared/corpus/panos');

/** A syslog CSV body with `len` fields: field i defaults to `f<i>`, overrides by position. */
function body(len: number, o: Record<number, string>): string {
  const a: string[] = [];
  for (let i = 0; i < len; i++) a.push(`f${i}`);
  const base: Record<number, string> = {
    0: '1', 1: '2024/03/09 10:00:01', 2: '013201000111', 5: '2561', 6: '2024/03/09 10:00:00',
    7: '10.0.0.1', 8: '192.0.2.1', 11: 'r1', 14: 'app1', 24: '1111', 25: '443', 29: 'tcp', 30: 'allow',
  };
  for (const [k, v] of Object.entries({ ...base, ...o })) if (Number(k) < len) a[Number(k)] = v;
  return a.map((v) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}
const traffic = (len: number, o: Record<number, string> = {}) => body(len, { 3: 'TRAFFIC', 4: 'end', 31: '100', 34: '3', 46: 'tcp-fin', 52: 'fw-a', ...o });
const threat = (len: number, o: Record<number, string> = {}) => body(len, { 3: 'THREAT', 4: 'url', 31: 'example.com/x', 59: 'fw-b', ...o });

function parse(text: string, o: Parameters<typeof parseText>[2] = {}) {
  return parseText(panos, text, { file: 'test.log', ...o });
}

describe('panos golden fixtures', () => {
  const cases: Array<[string, string, string, string]> = [
    // fixture, expected, tz, dialect
    ['syslog-bsd-10x.log', 'syslog-bsd-10x.expected.jsonl', 'America/New_York', 'bsd'],
    ['syslog-ietf-octet.log', 'syslog-ietf-octet.expected.jsonl', 'UTC', 'octet'],
    ['relay-double-header.log', 'relay-double-header.expected.jsonl', 'UTC', 'relay'],
    ['noheader.log', 'noheader.expected.jsonl', 'UTC', 'noheader'],
    ['webui-export.csv', 'webui-export.expected.jsonl', 'UTC', 'web-csv'],
    ['cdl.json', 'cdl.expected.jsonl', 'UTC', 'cdl'],
    ['cdl.jsonl', 'cdl-jsonl.expected.jsonl', 'UTC', 'cdl'],
  ];
  for (const [name, expected, tz, dialect] of cases) {
    it(`${name} matches ${expected}`, () => {
      const file = `fixtures/panos/${name}`;
      const r = parse(readFileSync(join(FIX, name), 'utf8'), { file, tz });
      expect(r.detection.dialect).toBe(dialect);
      const want = readFileSync(join(FIX, expected), 'utf8').split('\n').filter((l) => l !== '');
      expect(r.flows.map(flowToJsonLine)).toEqual(want);
    });
  }

  it('syslog-bsd-10x: skips, notes and the scenario flows', () => {
    const r = parse(readFileSync(join(FIX, 'syslog-bsd-10x.log'), 'utf8'), { tz: 'America/New_York' });
    expect(r.detection.format).toBe('panos-syslog');
    expect(r.skips).toEqual([{ reason: 'panos SYSTEM log', line: 8, kind: 'not-flow' }]);
    expect(r.notes).toEqual({ 'traffic-start': 1 });
    const drop = r.flows.find((f) => f.src_ip === '10.40.0.7')!;
    expect(drop).toMatchObject({ action: 'deny', raw_action: 'drop', transport: 'tcp', dst_ip: '10.10.0.11', dst_port: 11117, rule: 'block-default', device: 'PA-3220', end_reason: 'policy-deny' });
    const url = r.flows.find((f) => f.host === 'update.languard.com')!;
    expect(url).toMatchObject({ action: 'deny', raw_action: 'block-url', src_ip: '10.10.0.5', url: 'update.languard.com:8080/update/check.php?ver=1,2&tag="lnss"' });
    const finjan = r.flows.filter((f) => f.src_ip === '10.30.0.20' && f.dst_ip === '203.0.113.10');
    expect(finjan.map((f) => [f.action, f.raw_action, f.host, f.dst_port])).toEqual([
      ['allow', 'alert', 'mirror.updateng.finjan.com', 443], ['deny', 'deny', null, 443],
    ]);
    // THREAT vulnerability: a flow, no url/host, device falls back to the serial.
    const vuln = r.flows.find((f) => f.raw_action === 'reset-server')!;
    expect(vuln).toMatchObject({ action: 'deny', url: null, host: null, device: '013201000111', dst_port: 8080 });
  });

  it('--tz: time_generated is wall-clock in the given zone; high_res_timestamp carries its own offset', () => {
    const text = readFileSync(join(FIX, 'syslog-bsd-10x.log'), 'utf8');
    const utc = parse(text, { tz: 'UTC' }).flows;
    const ny = parse(text, { tz: 'America/New_York' }).flows;
    // line 2 (9.1 length, no high_res_timestamp): 14:02:59 local
    expect(utc[1]!.ts).toBe(Date.parse('2024-03-09T14:02:59Z'));
    expect(ny[1]!.ts).toBe(Date.parse('2024-03-09T19:02:59Z'));
    // line 1 (10.x, high_res 2024-03-09T14:02:10.250-05:00): same instant whatever --tz says
    expect(utc[0]!.ts).toBe(Date.parse('2024-03-09T19:02:10.250Z'));
    expect(ny[0]!.ts).toBe(utc[0]!.ts);
  });

  it('octet-counted IETF frames, two frames on one line and a double space before the CSV', () => {
    const r = parse(readFileSync(join(FIX, 'syslog-ietf-octet.log'), 'utf8'));
    expect(r.skips).toEqual([]);
    expect(r.flows.map((f) => [f.line, f.src_ip, f.dst_port, f.action])).toEqual([
      [1, '10.40.0.7', 11117, 'deny'], [2, '2001:db8::25', 53, 'allow'], [2, '10.40.0.8', 11117, 'deny'], [3, '10.40.0.8', 11117, 'deny'],
    ]);
  });

  it('relay double header: device is the firewall (device_name), not the relay or Panorama', () => {
    const r = parse(readFileSync(join(FIX, 'relay-double-header.log'), 'utf8'));
    expect(r.flows.map((f) => f.device)).toEqual(['PA-3220', 'PA-VM']);
    expect(r.skips).toEqual([{ reason: 'panos GLOBALPROTECT log', line: 3, kind: 'not-flow' }]);
  });

  it('no header, missing leading FUTURE_USE column, ISO receive time, CEF, truncated and bad lines', () => {
    const r = parse(readFileSync(join(FIX, 'noheader.log'), 'utf8'));
    expect(r.flows.map((f) => [f.line, f.src_ip, f.device])).toEqual([
      [1, '10.20.0.15', 'PA-3220'], [2, '10.40.0.7', 'PA-3220'], [3, '10.20.0.16', '013201000111'],
    ]);
    expect(r.flows[1]!.ts).toBe(Date.parse('2024-03-09T19:30:04Z'));
    expect(r.skips).toEqual([
      { reason: 'not a PAN-OS log line', line: 4, kind: 'not-flow' },
      { reason: 'panos TRAFFIC line too short', line: 5, kind: 'malformed' },
      { reason: 'panos invalid address', line: 6, kind: 'malformed' },
    ]);
  });

  it('web UI export: header mapping, quoted commas and quotes in cells', () => {
    const r = parse(readFileSync(join(FIX, 'webui-export.csv'), 'utf8'), { file: 'x.csv' });
    expect(r.detection).toMatchObject({ format: 'panos-csv', framing: 'csv' });
    expect(r.flows.map((f) => [f.src_ip, f.dst_port, f.action, f.rule, f.device, f.bytes, f.packets, f.end_reason])).toEqual([
      ['10.40.0.7', 11117, 'deny', 'block-default', 'PA-3220', 60, 1, 'policy-deny'],
      ['10.20.0.15', 443, 'allow', 'allow-web-out', 'PA-3220', 4000, 12, 'tcp-fin'],
      ['10.30.0.20', 443, 'deny', 'block-default', '013201000111', 74, 1, 'policy-deny'],
    ]);
    expect(r.skips.map((s) => [s.reason, s.kind])).toEqual([['header', 'not-flow'], ['panos invalid address', 'malformed']]);
  });

  it('web UI export with aliased header names', () => {
    const text = [
      'Receive Time,Type,Subtype,Time Generated,Source Address,Destination Address,Source Port,Destination Port,Protocol,Action,Rule Name,App,URL,Serial Number',
      '2024/03/09 10:00:00,THREAT,url,2024/03/09 10:00:00,10.0.0.5,192.0.2.7,5000,8443,tcp,block-url,"web, strict",ssl,"Shop.Example.com:8443/a,b",0111',
    ].join('\n');
    const r = parse(text);
    expect(r.detection.format).toBe('panos-csv');
    expect(r.flows[0]).toMatchObject({ action: 'deny', rule: 'web, strict', host: 'shop.example.com', url: 'Shop.Example.com:8443/a,b', device: '0111', dst_port: 8443 });
  });

  it('JSON: CamelCase array and JSON Lines give the same flows', () => {
    const a = parse(readFileSync(join(FIX, 'cdl.json'), 'utf8'), { file: 'f' });
    const b = parse(readFileSync(join(FIX, 'cdl.jsonl'), 'utf8'), { file: 'f' });
    expect(a.flows).toEqual(b.flows);
    expect(a.flows.map((f) => [f.action, f.host, f.packets])).toEqual([['deny', null, 1], ['deny', 'update.languard.com', null], ['allow', null, 18]]);
    expect(a.skips).toEqual([{ reason: 'panos SYSTEM log', line: 3, kind: 'not-flow' }]);
  });
});

describe('panos field positions across versions', () => {
  const lengths: Array<[string, number, string]> = [
    ['4.x/5.x THREAT (42)', 42, 'THREAT'], ['7.0 TRAFFIC (54)', 54, 'TRAFFIC'], ['8.1 TRAFFIC (65)', 65, 'TRAFFIC'],
    ['8.1 THREAT (75)', 75, 'THREAT'], ['9.1 TRAFFIC (75)', 75, 'TRAFFIC'], ['9.1 THREAT (79)', 79, 'THREAT'],
    ['10.x TRAFFIC (115)', 115, 'TRAFFIC'], ['10.2 THREAT (121)', 121, 'THREAT'], ['11.x TRAFFIC (117)', 117, 'TRAFFIC'],
  ];
  for (const [name, len, type] of lengths) {
    it(name, () => {
      const line = `<14>Mar  9 10:00:01 fw ${type === 'TRAFFIC' ? traffic(len) : threat(len)}`;
      const r = parse(line);
      expect(r.skips).toEqual([]);
      const f = r.flows[0]!;
      expect(f).toMatchObject({ src_ip: '10.0.0.1', dst_ip: '192.0.2.1', src_port: 1111, dst_port: 443, transport: 'tcp', rule: 'r1', app: 'app1', action: 'allow' });
      expect(f.ts).toBe(Date.parse('2024-03-09T10:00:00Z'));
      if (type === 'TRAFFIC') {
        expect([f.bytes, f.packets, f.end_reason, f.device]).toEqual([100, 3, 'tcp-fin', len > 52 ? 'fw-a' : '013201000111']);
      } else {
        expect([f.url, f.host, f.device, f.bytes]).toEqual(['example.com/x', 'example.com', len > 59 ? 'fw-b' : '013201000111', null]);
      }
    });
  }

  it('a line shorter than the action field is malformed, extra fields are ignored', () => {
    expect(parse(traffic(30)).skips).toEqual([{ reason: 'panos TRAFFIC line too short', line: 1, kind: 'malformed' }]);
    expect(parse(traffic(31)).flows).toHaveLength(1);
    expect(parse(traffic(200)).flows).toHaveLength(1);
  });

  it('high_res_timestamp is preferred when it agrees with time_generated, ignored otherwise', () => {
    const ok = parse(traffic(115, { 102: '2024-03-09T10:00:00.789+02:00' })).flows[0]!;
    expect(ok.ts).toBe(Date.parse('2024-03-09T08:00:00.789Z'));
    const far = parse(traffic(115, { 102: '2024-03-09T11:30:00.789+02:00' })).flows[0]!;
    expect(far.ts).toBe(Date.parse('2024-03-09T10:00:00Z'));
    const epoch = parse(traffic(115, { 59: '1970-01-01T00:00:00.000000Z' })).flows[0]!;
    expect(epoch.ts).toBe(Date.parse('2024-03-09T10:00:00Z'));
    const threatHr = parse(threat(121, { 107: '2024-03-09T10:00:01.5Z' })).flows[0]!;
    expect(threatHr.ts).toBe(Date.parse('2024-03-09T10:00:01.500Z'));
  });

  it('invalid or empty times: malformed vs receive_time fallback', () => {
    expect(parse(traffic(65, { 6: '2020/00/00 00:00:00' })).skips).toEqual([{ reason: 'panos invalid timestamp month out of range (time_generated)', line: 1, kind: 'malformed' }]);
    expect(parse(traffic(65, { 6: '2026/02/31 10:00:00' })).skips[0]!.reason).toBe('panos invalid timestamp day out of range for the month (time_generated)');
    expect(parse(traffic(65, { 6: '202603/10 10:00:00' })).skips[0]!.reason).toBe('panos invalid timestamp syntax (time_generated)');
    expect(parse(traffic(65, { 6: '2024-03-09T10:00:00+99:99' })).skips[0]!.reason).toBe('panos invalid timestamp UTC offset out of range (±14:00) (time_generated)');
    expect(parse(traffic(65, { 6: '' })).flows[0]!.ts).toBe(Date.parse('2024-03-09T10:00:01Z'));
    expect(parse(traffic(65, { 6: '2024-03-09T10:00:00+05:30' })).flows[0]!.ts).toBe(Date.parse('2024-03-09T04:30:00Z'));
  });

  it('invalid addresses and ports are malformed; IPv6 is canonicalised; port-less protocols have no ports', () => {
    expect(parse(traffic(65, { 7: '00.00.000.0x' })).skips[0]).toMatchObject({ reason: 'panos invalid address', kind: 'malformed' });
    expect(parse(traffic(65, { 8: '' })).skips[0]).toMatchObject({ reason: 'panos invalid address', kind: 'malformed' });
    expect(parse(traffic(65, { 24: 'xx' })).skips[0]).toMatchObject({ reason: 'panos invalid source port', kind: 'malformed' });
    expect(parse(traffic(65, { 25: '70000' })).skips[0]).toMatchObject({ reason: 'panos invalid destination port', kind: 'malformed' });
    const f = parse(traffic(65, { 7: '2001:DB8:0:0:0:0:0:1', 24: '0', 25: '0', 29: '47' })).flows[0]!;
    expect([f.src_ip, f.src_port, f.dst_port, f.transport]).toEqual(['2001:db8::1', null, null, 'gre']);
    const icmp = parse(traffic(65, { 24: '0', 25: '0', 29: 'icmp', 14: 'ping' })).flows[0]!;
    expect([icmp.transport, icmp.src_port, icmp.dst_port, icmp.app]).toEqual(['icmp', null, null, 'ping']);
  });

  it('TRAFFIC start logs are flows and are noted', () => {
    const r = parse(`${traffic(65, { 4: 'start', 46: 'n/a' })}\n${traffic(65)}`);
    expect(r.flows.map((f) => f.end_reason)).toEqual(['n/a', 'tcp-fin']);
    expect(r.notes).toEqual({ 'traffic-start': 1 });
  });

  it('other log types and non-PAN-OS lines are not flows', () => {
    const r = parse([
      '<14>Mar  9 10:00:00 fw 1,2024/03/09 10:00:00,0111,SYSTEM,general,0,2024/03/09 10:00:00,,general,,0,0,general,informational,"a, b",1,0x0',
      '1,2024/03/09 10:00:00,0111,CONFIG,0,0,2024/03/09 10:00:00,10.0.0.2,,set,admin,,Succeeded,x,1,0x0',
      '1,2024/03/09 10:00:00,0111,USERID,login,0,2024/03/09 10:00:00,vsys1,10.0.0.3,corp\\u,,0,1,0,0,0,agent,,1,0x0',
      '1,2024/03/09 10:00:00,0111,HIP-MATCH,0,0,2024/03/09 10:00:00,u,vsys1,m,Windows,10.0.0.4,hip,1,profile',
      '1,2024/03/09 10:00:00,0111,FOOBAR,x,0,2024/03/09 10:00:00',
      'Mar 23 2017 07:27:36 Host CEF:0|Palo Alto Networks|Traps Agent|3.4|Prevention Event|Threat|9|rt=x',
      'Mar  9 10:00:00 host sshd[1]: Accepted password for root',
      '',
    ].join('\n'));
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => `${s.kind}:${s.reason}`)).toEqual([
      'not-flow:panos SYSTEM log', 'not-flow:panos CONFIG log', 'not-flow:panos USERID log', 'not-flow:panos HIP-MATCH log',
      'not-flow:panos other log', 'not-flow:not a PAN-OS log line', 'not-flow:not a PAN-OS log line',
    ]);
  });

  it('envelopes: PRI with space, IP/FQDN hostnames, no hostname, RFC 3339, Wazuh wrapper', () => {
    const b = traffic(65);
    const lines = [
      `<14> Mar  9 10:00:01 10.1.1.1 ${b}`, `<14>Mar  9 10:00:01 fw.example.net ${b}`, `<14>Mar  9 10:00:01 ${b}`,
      `Mar  9 10:00:01 ${b}`, `2024-03-09T10:00:01+01:00 fw ${b}`, `<190>1 2024-03-09T10:00:01.123Z fw.example.net - - - -  ${b}`,
      `log 1 pass = Mar  9 10:00:01 fw ${b}`, `<14>Mar  9 10:00:01 fw ${b.slice(2)}`,
    ];
    const r = parse(lines.join('\n'));
    expect(r.skips).toEqual([]);
    expect(r.flows.map((f) => `${f.src_ip}>${f.dst_ip}:${f.dst_port}/${f.rule}`)).toEqual(new Array(lines.length).fill('10.0.0.1>192.0.2.1:443/r1'));
  });
});

describe('panos semantics', () => {
  it('block semantics table', () => {
    const threatTable: Record<string, string> = {
      alert: 'allow', allow: 'allow', continue: 'allow', override: 'allow',
      'block-url': 'deny', 'block-continue': 'deny', 'block-override': 'deny', 'override-lockout': 'deny', deny: 'deny',
      drop: 'deny', 'reset-client': 'deny', 'reset-server': 'deny', 'reset-both': 'deny', 'block-ip': 'deny',
      sinkhole: 'deny', 'random-drop': 'deny', 'drop-all-packets': 'deny', block: 'deny', 'something-new': 'unknown', '': 'unknown',
    };
    for (const [tok, want] of Object.entries(threatTable)) expect([tok, threatAction(tok)]).toEqual([tok, want]);
    const trafficTable: Record<string, string> = {
      allow: 'allow', deny: 'deny', drop: 'deny', 'drop-icmp': 'deny', 'reset-client': 'deny', 'reset-server': 'deny', 'reset-both': 'deny', '': 'unknown',
    };
    for (const [tok, want] of Object.entries(trafficTable)) expect([tok, trafficAction(tok)]).toEqual([tok, want]);
    // through the parser: the same token means different things per type
    expect(parse(threat(79, { 30: 'alert' })).flows[0]!.action).toBe('allow');
    expect(parse(traffic(65, { 30: 'alert' })).flows[0]!.action).toBe('deny');
    // a token that is no PAN-OS action means shifted columns: malformed, never a guessed verdict
    expect(parse(threat(79, { 30: 'weird' })).skips[0]).toMatchObject({ reason: 'panos THREAT columns match no known layout (protocol/action)', kind: 'malformed' });
  });

  it('host from the URL field', () => {
    expect(hostFromUrl('update.languard.com:8080/a/b?c=1,2')).toBe('update.languard.com');
    expect(hostFromUrl('Example.COM/')).toBe('example.com');
    expect(hostFromUrl('example.com')).toBe('example.com');
    expect(hostFromUrl('example.com:443')).toBe('example.com');
    expect(hostFromUrl('example.com?q=/x')).toBe('example.com');
    expect(hostFromUrl('http://user@example.org:81/x')).toBe('example.org');
    expect(hostFromUrl('[2001:db8::1]:8443/x')).toBe('2001:db8::1');
    expect(hostFromUrl('198.51.100.7/x')).toBe('198.51.100.7');
    expect(hostFromUrl('')).toBeNull();
    expect(hostFromUrl('-/')).toBeNull();
    expect(hostFromUrl(null)).toBeNull();
  });

  it('CSV reader: quotes, doubled quotes, empty and trailing fields', () => {
    expect(splitCsvLine('a,"b,c","d""e",,"",x"y,')).toEqual(['a', 'b,c', 'd"e', '', '', 'x"y', '']);
    expect(splitCsvLine('"unterminated,rest')).toEqual(['unterminated,rest']);
    expect(splitCsvLine('')).toEqual(['']);
    const f = new CsvFields(2);
    f.reset('x,1,"2",three', 0, 0);
    expect(f.readTo(1)).toBe(2);
    expect(f.complete).toBe(false);
    expect([f.get(0), f.uint(1), f.get(2)]).toEqual(['x', 1, '']);
    expect(f.readAll()).toBe(4);
    expect([f.get(2), f.uint(2), f.get(3), f.uint(3), f.opt(9)]).toEqual(['2', 2, 'three', -1, null]);
  });

  it('time module on PAN-OS stamps: formats, offsets and invalid dates', () => {
    const utc = new ZoneConverter('UTC');
    const ny = new ZoneConverter('America/New_York');
    const p = (s: string, z = utc) => parseIsoTime(s, 0, s.length, z);
    expect(p('2024/07/01 12:00:00', ny)).toBe(Date.parse('2024-07-01T16:00:00Z'));
    expect(p('2021-05-26T16:27:07.000000Z')).toBe(Date.parse('2021-05-26T16:27:07Z'));
    expect(p('2023-07-06T08:11:40.288+02:00')).toBe(Date.parse('2023-07-06T06:11:40.288Z'));
    expect(p('2023-07-06T08:11:40-0330')).toBe(Date.parse('2023-07-06T11:41:40Z'));
    for (const bad of ['2020/00/00 00:00:00', '2020/06/00 00:00:00', '2023/02/29 00:00:00', '2024/01/01 24:00:00', '2024/01/01', 'x']) {
      expect([bad, p(bad) < 0]).toEqual([bad, true]);
    }
  });

  it('JSON: snake_case with {"value": …} wrappers, $variable payloads, epoch times, non-flow types', () => {
    const snake = JSON.stringify([{
      action: { value: 'deny' }, protocol: { value: 'udp' }, source_ip: { value: '10.0.0.9' }, dest_ip: { value: '192.0.2.9' },
      source_port: 5353, dest_port: { value: 53 }, rule_matched: 'block-dns', log_source_name: 'ngfw1', time_generated: 1709978400,
      log_type: { value: 'traffic' }, sub_type: { value: 'deny' },
    }]);
    const s = parse(snake, { file: 'q.json' });
    expect(s.detection).toMatchObject({ format: 'panos-json', dialect: 'sls-query' });
    expect(s.flows[0]).toMatchObject({ ts: Date.parse('2024-03-09T10:00:00Z'), action: 'deny', transport: 'udp', src_ip: '10.0.0.9', dst_ip: '192.0.2.9', src_port: 5353, dst_port: 53, rule: 'block-dns', device: 'ngfw1', format: 'panos-json' });
    const custom = [
      JSON.stringify({ $receive_time: '2024/03/09 10:00:00', $type: 'THREAT', $subtype: 'url', $src: '10.0.0.5', $dst: '192.0.2.5', $sport: '5000', $dport: '80', $proto: 'tcp', $action: 'block-url', $rule: 'r', $app: 'web-browsing', $from: 'trust', $to: 'untrust', $misc: 'bad.example.net/x', $serial: '0111' }),
      JSON.stringify({ receive_time: '2024/03/09 10:00:01', type: 'SYSTEM', src: '', dst: '', sport: '', dport: '' }),
      '[1,2]',
    ].join('\n');
    const c = parse(custom, { file: 'c.jsonl', tz: 'Europe/Berlin' });
    expect(c.detection).toMatchObject({ format: 'panos-json', dialect: 'custom' });
    expect(c.flows).toHaveLength(1);
    expect(c.flows[0]).toMatchObject({ ts: Date.parse('2024-03-09T09:00:00Z'), action: 'deny', host: 'bad.example.net', url: 'bad.example.net/x', device: '0111', src_port: 5000, dst_port: 80 });
    expect(c.skips).toEqual([
      { reason: 'panos SYSTEM log', line: 2, kind: 'not-flow' },
      { reason: 'panos json record is not an object', line: 3, kind: 'malformed' },
    ]);
    const bad = parse(JSON.stringify([{ SourceAddress: '10.0.0.1', DestinationAddress: '10.0.0.300', LogType: 'TRAFFIC', TimeGenerated: '2024-03-09T10:00:00Z' }, { SourceAddress: '10.0.0.1', DestinationAddress: '10.0.0.3', LogType: 'TRAFFIC', TimeGenerated: 'yesterday' }]));
    expect(bad.skips.map((x) => x.reason)).toEqual(['panos invalid address', 'panos invalid timestamp syntax (time)']);
  });

  it('detection and forced formats', () => {
    expect(panos.detect('Mar  9 10:00:00 host kernel: [UFW BLOCK] IN=eth0 SRC=1.2.3.4', 'kern.log')).toBeNull();
    expect(panos.detect('#Version: 1.5\n#Software: Microsoft Windows Firewall\n', 'pfirewall.log')).toBeNull();
    expect(panos.detect('{"EventID": 5156, "SourceAddress": "10.0.0.1"}', 'x.json')).toBeNull();
    expect(panos.detect('{"EventID": 5156, "SourceAddress": "10.0.0.1", "DestinationPort": "443", "Hostname": "h"}', 'x.json')).toBeNull();
    expect(panos.detect(`${traffic(65)}\n`, 'x')).toMatchObject({ format: 'panos-syslog', dialect: 'noheader', framing: 'lines' });
    expect(panos.detect(`log 1 pass = Apr 30 06:00:00 fw ${traffic(65)}\n`, 'x.ini')).toMatchObject({ dialect: 'wazuh-ini' });
    expect(panos.forced('panos-syslog', 'nothing')).toMatchObject({ format: 'panos-syslog', framing: 'lines' });
    expect(panos.forced('panos-json', 'nothing')).toMatchObject({ format: 'panos-json', framing: 'json' });
    expect(panos.forced('panos-csv', 'nothing')).toMatchObject({ format: 'panos-csv', framing: 'csv' });
    expect(panos.formats).toEqual(['panos-syslog', 'panos-csv', 'panos-json']);
  });
});

describe('panos corpus (../shared/corpus/panos)', () => {
  it.skipIf(missingPath(CORPUS))('every log file yields flows; expected outputs agree on addresses, ports, transport and action', () => {
    const files = readdirSync(CORPUS).filter((n) => !n.endsWith('.assert') && !n.endsWith('-expected.json'));
    expect(files.length).toBeGreaterThan(0);
    const results = new Map<string, ReturnType<typeof parse>>();
    for (const n of files) {
      const r = parse(readFileSync(join(CORPUS, n), 'utf8'), { file: n });
      expect([n, r.flows.length > 0]).toEqual([n, true]);
      results.set(n, r);
    }

    // Wazuh test cases: anonymised lines (2020/00/00, 00.00.000.00) are skipped as malformed, not crashed on.
    const wazuh = [...results].find(([n]) => n.endsWith('paloalto.ini'));
    if (wazuh) {
      expect(wazuh[1].detection.dialect).toBe('wazuh-ini');
      expect(wazuh[1].skips.filter((s) => s.kind === 'malformed' && /^panos (TRAFFIC|THREAT) (columns match no known layout|line too short)/.test(s.reason)).length).toBeGreaterThan(0);
    }

    // Elastic expected files (flat dotted keys or nested objects).
    const flatten = (o: unknown, pre = '', out: Record<string, unknown> = {}) => {
      if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
        for (const [k, v] of Object.entries(o)) flatten(v, pre ? `${pre}.${k}` : k, out);
      } else out[pre] = o;
      return out;
    };
    for (const exp of readdirSync(CORPUS).filter((n) => n.endsWith('-expected.json'))) {
      const logName = exp.slice(0, -'-expected.json'.length);
      const r = results.get(logName)!;
      const raw = JSON.parse(readFileSync(join(CORPUS, exp), 'utf8')) as unknown;
      const events = (Array.isArray(raw) ? raw : (raw as { expected: unknown[] }).expected).map((e) => flatten(e));
      expect(r.flows).toHaveLength(events.length);
      events.forEach((e, i) => {
        const f = r.flows[i]!;
        expect([exp, f.src_ip, f.dst_ip, f.src_port, f.dst_port, f.transport, f.raw_action]).toEqual(
          [exp, e['source.ip'], e['destination.ip'], e['source.port'], e['destination.port'], e['network.transport'], e['panw.panos.action']]);
        expect(f.action).toBe(e['event.outcome'] === 'success' ? 'allow' : 'deny');
        if (e['destination.domain'] !== undefined) expect(f.host).toBe(e['destination.domain']);
      });
    }

    // CrowdSec parser.assert for palo-alto-threat.log.
    const assertFile = readdirSync(CORPUS).find((n) => n.endsWith('palo-alto-threat-parser.assert'));
    if (assertFile) {
      const r = [...results].find(([n]) => n.endsWith('palo-alto-threat.log'))![1];
      const re = /^results\["s01-parse"\]\["crowdsecurity\/palo-alto-threat-log"\]\[(\d+)\]\.Evt\.Parsed\["(src_ip|dst_ip|src_port|dst_port|ip_proto|action)"\] == "(.*)"$/;
      const want: Array<Record<string, string>> = [];
      for (const l of readFileSync(join(CORPUS, assertFile), 'utf8').split('\n')) {
        const m = re.exec(l);
        if (m) (want[Number(m[1])] ??= {})[m[2]!] = m[3]!;
      }
      expect(want.length).toBe(2);
      expect(r.flows).toHaveLength(want.length);
      want.forEach((w, i) => {
        const f = r.flows[i]!;
        expect([f.src_ip, f.dst_ip, String(f.src_port), String(f.dst_port), f.transport, f.raw_action]).toEqual(
          [w.src_ip, w.dst_ip, w.src_port, w.dst_port, w.ip_proto, w.action]);
      });
      expect(r.flows.map((f) => f.action)).toEqual(['deny', 'allow']); // reset-both, alert
    }
  });
});

describe('panos: layouts, THREAT subtypes, quoting, validation', () => {
  it('a standard line missing one column before the protocol is malformed, never read shifted', () => {
    const fields = traffic(65).split(',');
    fields.splice(20, 1); // drop "log action"
    const r = parse(fields.join(','));
    expect(r.flows).toEqual([]);
    expect(r.skips).toEqual([{ reason: 'panos TRAFFIC columns match no known layout (protocol/action)', line: 1, kind: 'malformed' }]);
  });
  it('Prisma Access / SLS layout (no leading 1, no Time Logged, no flags) is detected from the columns', () => {
    const r = parse(readFileSync(join(FIX, 'prisma-access.log'), 'utf8'));
    expect(r.flows.map((f) => [f.transport, f.dst_port, f.action, f.bytes, f.packets])).toEqual([
      ['tcp', 80, 'allow', 892, 9], ['tcp', 11117, 'deny', 60, 1], ['tcp', 443, 'deny', null, null]]);
    expect(r.skips.map((s) => s.kind)).toEqual(['malformed']);
  });
  it('THREAT subtypes that carry a flow are flows (url keeps the URL, the others none)', () => {
    for (const sub of ['vulnerability', 'spyware', 'wildfire', 'file', 'virus']) {
      const f = parse(threat(79, { 4: sub, 30: 'reset-both', 31: 'evil.bin' })).flows[0]!;
      expect([sub, f.action, f.url, f.host]).toEqual([sub, 'deny', null, null]);
    }
    expect(parse(threat(79, { 4: 'url', 30: 'alert' })).flows[0]).toMatchObject({ action: 'allow', url: 'example.com/x', host: 'example.com' });
  });
  it('commas, quotes and braces inside quoted fields do not shift columns', () => {
    const line = traffic(80, { 11: 'rule, "quoted" {a,b}', 14: 'app', 75: '{"k":"v,w"}' });
    const f = parse(line).flows[0]!;
    expect([f.rule, f.dst_port, f.transport, f.action, f.bytes]).toEqual(['rule, "quoted" {a,b}', 443, 'tcp', 'allow', 100]);
  });
  it('counters beyond int64 are null with a note; ports out of range are malformed', () => {
    const r = parse(traffic(65, { 31: '1e+308', 34: '99999999999999999999' }));
    expect([r.flows[0]!.bytes, r.flows[0]!.packets]).toEqual([null, null]);
    expect(r.notes['counter-out-of-range']).toBe(1);
    expect(parse(traffic(65, { 24: '65536' })).skips[0]!.reason).toBe('panos invalid source port');
  });
  it('web UI export: a quoted newline inside a cell keeps the record whole (csv framing or line framing)', () => {
    const header = 'Receive Time,Type,Threat/Content Type,Generate Time,Source address,Destination address,Rule,Application,Source Port,Destination Port,IP Protocol,Action,Bytes,Packets';
    const text = `${header}\n2026/03/10 09:00:00,TRAFFIC,end,2026/03/10 09:00:00,10.0.0.1,10.0.0.2,"multi\nline rule",ssl,50000,443,tcp,deny,60,1\n`;
    const r = parse(text);
    expect(r.detection).toMatchObject({ format: 'panos-csv', framing: 'csv' });
    expect(r.flows.map((f) => [f.line, f.rule, f.action, f.dst_port])).toEqual([[2, 'multi\nline rule', 'deny', 443]]);
    const open = parse(`${header}\n2026/03/10 09:00:00,TRAFFIC,end,2026/03/10 09:00:00,10.0.0.1,10.0.0.2,"never closed,ssl,1,2,tcp,deny,1,1\n`);
    expect(open.flows).toEqual([]);
    expect(open.skips.at(-1)).toMatchObject({ reason: 'panos csv record ends inside a quoted field', kind: 'malformed' });
  });
  it('JSON and web CSV: impossible dates and foreign actions are malformed', () => {
    const j = parse(JSON.stringify([{ SourceAddress: '10.0.0.1', DestinationAddress: '10.0.0.2', LogType: 'TRAFFIC', TimeGenerated: '2026-02-31T10:00:00Z', Action: 'allow' },
      { SourceAddress: '10.0.0.1', DestinationAddress: '10.0.0.2', LogType: 'TRAFFIC', TimeGenerated: '2026-03-01T10:00:00Z', Action: 'maybe' },
      { SourceAddress: '10.0.0.1', DestinationAddress: '10.0.0.2', LogType: 'TRAFFIC', TimeGenerated: '2026-03-01T10:00:00Z', Action: 'allow', Protocol: 'tcpx' }]));
    expect(j.flows).toEqual([]);
    expect(j.skips.map((s) => s.reason)).toEqual(['panos invalid timestamp day out of range for the month (time)',
      'panos action column holds no action', 'panos protocol column holds no protocol']);
  });
});
