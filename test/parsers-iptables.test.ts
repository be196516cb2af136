import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iptables, prefixVerdict } from '../parsers/iptables.js';
import type { Action, Flow } from '../src/model/flow.js';
import { flowToJsonLine } from '../src/sinks/serialize.js';
import { parseText, type Collected } from './helpers/parse-text.js';
import { missingPath } from './helpers/prereqs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'iptables');

function fixture(name: string): string {
  return readFileSync(join(ROOT, 'fixtures', 'iptables', name), 'utf8');
}

function parse(text: string, o: Parameters<typeof parseText>[2] = {}): Collected {
  return parseText(iptables, text, { tz: 'UTC', ...o });
}

function byLine(r: Collected, line: number): Flow {
  const f = r.flows.find((x) => x.line === line);
  if (!f) throw new Error(`no flow for line ${line}`);
  return f;
}

const iso = (f: Flow): string | null => (f.ts === null ? null : new Date(f.ts).toISOString());

const GOLDEN: Array<[string, { tz: string; year?: number }, { dialect: string; format: string }]> = [
  ['bsd-ufw.log', { tz: 'UTC', year: 2025 }, { dialect: 'bsd', format: 'iptables' }],
  ['rfc5424.log', { tz: 'UTC' }, { dialect: 'rfc5424', format: 'iptables' }],
  ['rfc3339-firewalld.log', { tz: 'Europe/Berlin' }, { dialect: 'rfc3339', format: 'iptables' }],
  ['dmesg.log', { tz: 'UTC' }, { dialect: 'dmesg', format: 'iptables' }],
  ['journal-export.log', { tz: 'UTC' }, { dialect: 'journal-export', format: 'iptables' }],
  ['journald.jsonl', { tz: 'UTC' }, { dialect: 'journal-json', format: 'iptables-journald' }],
];

describe('iptables golden fixtures', () => {
  for (const [name, o, det] of GOLDEN) {
    it(`${name} matches ${name.replace(/\.(log|jsonl)$/, '.expected.jsonl')}`, () => {
      const file = `fixtures/iptables/${name}`;
      const r = parseText(iptables, fixture(name), { ...o, file });
      expect(r.detection.dialect).toBe(det.dialect);
      expect(r.detection.format).toBe(det.format);
      const expected = fixture(name.replace(/\.(log|jsonl)$/, '.expected.jsonl')).split('\n').filter((l) => l !== '');
      expect(r.flows.map(flowToJsonLine)).toEqual(expected);
      for (const f of r.flows) expect(f.file).toBe(file);
    });
  }

  it('bsd-ufw.log: skips, unknown verdicts and year roll-over with --year 2025', () => {
    const r = parse(fixture('bsd-ufw.log'), { year: 2025 });
    expect(r.flows).toHaveLength(9);
    expect(r.skips).toEqual([
      { reason: 'not a netfilter line', line: 8, kind: 'not-flow' },
      { reason: 'bad SRC= address', line: 10, kind: 'malformed' },
    ]);
    expect(r.notes).toEqual({ 'unknown-verdict': 2 });
    expect(iso(byLine(r, 1))).toBe('2025-12-31T23:58:01.000Z');
    expect(iso(byLine(r, 2))).toBe('2025-12-31T23:59:59.000Z');
    expect(iso(byLine(r, 3))).toBe('2026-01-01T00:00:03.000Z');
    expect(iso(byLine(r, 11))).toBe('2026-01-01T00:00:11.000Z');
  });

  it('bsd-ufw.log: without --year the year comes from the reference time (file mtime)', () => {
    // mtime shortly after the roll-over: December lines belong to the previous year
    const a = parse(fixture('bsd-ufw.log'), { refMs: Date.UTC(2026, 0, 1, 0, 5) });
    expect(iso(byLine(a, 1))).toBe('2025-12-31T23:58:01.000Z');
    expect(iso(byLine(a, 3))).toBe('2026-01-01T00:00:03.000Z');
    // mtime months later: same answer (most recent year not in the future)
    const b = parse(fixture('bsd-ufw.log'), { refMs: Date.UTC(2026, 5, 1) });
    expect(iso(byLine(b, 1))).toBe('2025-12-31T23:58:01.000Z');
    expect(iso(byLine(b, 7))).toBe('2026-01-01T00:00:07.000Z');
    // mtime in 2024: everything one year earlier
    const c = parse(fixture('bsd-ufw.log'), { refMs: Date.UTC(2024, 6, 1) });
    expect(iso(byLine(c, 1))).toBe('2023-12-31T23:58:01.000Z');
    expect(iso(byLine(c, 3))).toBe('2024-01-01T00:00:03.000Z');
  });

  it('rfc5424.log: skips and no unknown verdicts', () => {
    const r = parse(fixture('rfc5424.log'));
    expect(r.skips).toEqual([{ reason: 'not a netfilter line', line: 4, kind: 'not-flow' }]);
    expect(r.notes).toEqual({});
  });

  it('dmesg.log: skips and unknown verdicts', () => {
    const r = parse(fixture('dmesg.log'));
    expect(r.skips).toEqual([
      { reason: 'arp', line: 12, kind: 'not-flow' },
      { reason: 'not a netfilter line', line: 13, kind: 'not-flow' },
      { reason: 'netfilter line without DST=', line: 16, kind: 'malformed' },
    ]);
    expect(r.notes).toEqual({ 'unknown-verdict': 3 });
    for (const f of r.flows) expect(f.ts).toBeNull();
    for (const f of r.flows) expect(f.device).toBeNull();
  });

  it('journald.jsonl: byte-array MESSAGE decoded, non-kernel entry not-flow, null MESSAGE malformed', () => {
    const r = parse(fixture('journald.jsonl'));
    expect(r.detection.framing).toBe('json');
    expect(r.flows.map((f) => f.line)).toEqual([1, 2, 5]);
    expect(byLine(r, 2).raw_action).toBe('FW\u2192DROP:');
    expect(byLine(r, 2).action).toBe('deny');
    expect(iso(byLine(r, 1))).toBe('2025-03-10T10:00:05.123Z');
    expect(byLine(r, 1).device).toBe('db01');
    expect(r.skips).toEqual([
      { reason: 'not a netfilter line', line: 3, kind: 'not-flow' },
      { reason: 'MESSAGE is null (field too large)', line: 4, kind: 'malformed' },
    ]);
  });

  it('journal-export.log: MESSAGE line numbers, µs realtime stamp, _HOSTNAME', () => {
    const r = parse(fixture('journal-export.log'));
    // every line of an entry but the one its outcome is counted on is a field line (the summary adds up)
    expect(r.skips.filter((k) => k.reason !== 'journal entry field line')).toEqual([]);
    expect(r.skips.filter((k) => k.reason === 'journal entry field line')).toHaveLength(15);
    expect(r.flows.map((f) => [f.line, iso(f), f.device])).toEqual([
      [10, '2024-03-09T13:02:12.482Z', 'node07.example.internal'],
      [16, '2024-03-09T13:02:13.000Z', 'node07.example.internal'],
    ]);
  });
});

describe('iptables field mapping', () => {
  it('maps ports, bytes (first LEN), packets, transport, direction, device, rule', () => {
    const r = parse(fixture('bsd-ufw.log'), { year: 2025 });
    const f = byLine(r, 7);
    expect(f).toMatchObject({
      action: 'deny', raw_action: '[UFW BLOCK]', rule: '[UFW BLOCK]', transport: 'udp',
      src_ip: '10.20.0.5', src_port: 41234, dst_ip: '10.20.0.2', dst_port: 53,
      direction: 'inbound', device: 'db01', bytes: 61, packets: 1, format: 'iptables',
    });
    expect(byLine(r, 2).direction).toBe('outbound');
    expect(byLine(r, 11).direction).toBe('forward');
    expect(byLine(r, 6)).toMatchObject({ transport: 'igmp', src_port: null, dst_port: null });
  });

  it('repeated keys: IP ID and LEN are the first, the ACK flag does not disturb ports', () => {
    const r = parse(fixture('bsd-ufw.log'), { year: 2025 });
    expect(byLine(r, 9)).toMatchObject({ transport: 'icmp', bytes: 28, src_port: null, dst_port: null });
    expect(byLine(r, 5)).toMatchObject({ transport: 'tcp', src_port: 443, dst_port: 39000, bytes: 40 });
    const u = parse('Mar 11 20:41:04 linux kernel: DROP IN=eth1 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=28 TOS=0x00 PREC=0x00 TTL=50 ID=54985 PROTO=UDP SPT=44318 DPT=1146 LEN=8 \n', { year: 2024 });
    expect(u.flows[0]).toMatchObject({ bytes: 28, src_port: 44318, dst_port: 1146 });
  });

  it('ignores the quoted packet of an ICMP error', () => {
    const r = parse(fixture('rfc5424.log'));
    const f = byLine(r, 1);
    expect(f).toMatchObject({
      transport: 'icmp', src_ip: '198.51.100.7', dst_ip: '192.0.2.10', src_port: null, dst_port: null, bytes: 84,
      raw_action: 'Shorewall:net-fw:DROP:', action: 'deny', device: 'gw01',
    });
    expect(iso(f)).toBe('2024-03-09T13:02:13.100Z');
  });

  it('handles OPT (...), FRAG:, INCOMPLETE [n bytes], MARK and a missing SPT', () => {
    const r = parse(fixture('rfc5424.log'));
    expect(byLine(r, 6)).toMatchObject({ transport: 'udp', src_port: 5000, dst_port: 6000, bytes: 1500, direction: 'outbound' });
    expect(byLine(r, 7)).toMatchObject({ transport: 'tcp', src_port: null, dst_port: 25 });
    expect(byLine(r, 2)).toMatchObject({ src_ip: '10.40.0.7', dst_ip: '10.10.0.11', dst_port: 11117, action: 'deny' });
    expect(byLine(r, 5).ts).toBeNull();
    const o = parse('Dec 20 20:10:01 rohan kernel: [  449.059230] DROP IN=eth0 OUT= MAC=00:1b:b9:76:9c:e4:00:13:46:3a:41:36:86:dd SRC=2012:1234:1234:0000:0000:0000:0000:0001 DST=2012:1234:1234:0000:0000:0000:0000:0002 LEN=132 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) PROTO=TCP SPT=58537 DPT=1234 WINDOW=8192 RES=0x00 SYN URGP=0 \n', { year: 2012 });
    expect(o.flows[0]).toMatchObject({ src_ip: '2012:1234:1234::1', dst_ip: '2012:1234:1234::2', transport: 'tcp', src_port: 58537, dst_port: 1234, bytes: 132 });
  });

  it('canonicalizes fully expanded IPv6 and leading-zero IPv4', () => {
    const r = parse(fixture('rfc3339-firewalld.log'), { tz: 'Europe/Berlin' });
    expect(byLine(r, 1)).toMatchObject({ src_ip: '2001:db8:5::9', dst_ip: '2001:db8:1::10', transport: 'udp', src_port: 41000, dst_port: 161, bytes: 72 });
    expect(byLine(r, 6)).toMatchObject({ src_ip: 'fe80::211:22ff:fe33:4455', dst_ip: 'ff02::1', transport: 'icmpv6' });
    const z = parse('IN=eth0 OUT= SRC=010.001.002.003 DST=192.0.2.1 LEN=40 PROTO=TCP SPT=1 DPT=2\n');
    expect(z.flows[0]!.src_ip).toBe('10.1.2.3');
    const d = parse(fixture('dmesg.log'));
    expect(byLine(d, 17)).toMatchObject({ src_ip: '::1', dst_ip: '::1', direction: 'outbound', dst_port: 631 });
  });

  it('converts offset-less stamps from --tz to UTC (ISO and BSD)', () => {
    const r = parse(fixture('rfc3339-firewalld.log'), { tz: 'Europe/Berlin' });
    expect(iso(byLine(r, 8))).toBe('2024-07-15T07:30:00.250Z'); // CEST
    expect(iso(byLine(r, 9))).toBe('2024-01-15T08:30:00.000Z'); // CET
    expect(iso(byLine(r, 5))).toBe('2024-03-09T14:02:16.000Z'); // Z is not shifted
    expect(iso(byLine(r, 7))).toBe('2024-03-09T13:02:18.000Z'); // +0100 without colon
    const utc = parse(fixture('rfc3339-firewalld.log'), { tz: 'UTC' });
    expect(iso(byLine(utc, 8))).toBe('2024-07-15T09:30:00.250Z');
    const line = 'Jul  1 12:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2\n';
    expect(iso(parse(line, { tz: 'Europe/Berlin', year: 2025 }).flows[0]!)).toBe('2025-07-01T10:00:00.000Z');
    expect(iso(parse(line, { tz: 'America/New_York', year: 2025 }).flows[0]!)).toBe('2025-07-01T16:00:00.000Z');
  });

  it('accepts <PRI> prefixes (with and without a space), hosts without kernel: tag, facility.level tags', () => {
    const text = [
      '<4> Mar  9 14:02:11 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.77 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=51544 DPT=22',
      '<161>Oct 10 07:25:12 Hostname kernel: [wan-lan-default-D]IN=eth0 OUT= SRC=67.43.156.15 DST=10.4.0.5 LEN=52 PROTO=TCP SPT=38842 DPT=443',
      '<6>2021-03-12T14:10:18Z Hostname kernel: DROP: IN=eth0 OUT= SRC=67.43.156.15 DST=10.4.0.5 LEN=52 PROTO=TCP SPT=38842 DPT=443',
      'Jun 28 04:35:30 Abc-A1 [SOMETHING-1234-A] IN=abc.123 OUT=abc.123 SRC=10.251.1.1 DST=10.251.1.2 LEN=32 PROTO=UDP SPT=9000 DPT=9000 LEN=12',
      'Jan  8 03:37:09 DENY: IN=eth0 OUT= SRC=192.168.2.71 DST=192.168.2.83 LEN=88 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.2.83 DST=192.168.173.191 LEN=60 PROTO=UDP SPT=21458 DPT=62936 LEN=40 ]',
      'May  5 20:46:45 My-Office-Gateway user.info kernel: [WAN_IN-1-D]IN=eth0 OUT= SRC=198.51.100.1 DST=10.0.0.1 LEN=40 PROTO=TCP SPT=1 DPT=443',
      'Mar 09 14:02:11 gw01 ulogd[311]: ALLOW IN=eth0 OUT= SRC=203.0.113.77 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=51544 DPT=80',
    ].join('\n') + '\n';
    const r = parse(text, { year: 2024 });
    expect(r.skips).toEqual([]);
    expect(r.flows.map((f) => [f.device, f.raw_action, f.action])).toEqual([
      ['gw01', '[UFW BLOCK]', 'deny'],
      ['Hostname', '[wan-lan-default-D]', 'deny'],
      ['Hostname', 'DROP:', 'deny'],
      ['Abc-A1', '[SOMETHING-1234-A]', 'allow'],
      [null, 'DENY:', 'deny'],
      ['My-Office-Gateway', '[WAN_IN-1-D]', 'deny'],
      ['gw01', 'ALLOW', 'allow'],
    ]);
    expect(iso(r.flows[0]!)).toBe('2024-03-09T14:02:11.000Z');
    expect(iso(r.flows[2]!)).toBe('2021-03-12T14:10:18.000Z');
    expect(r.flows[4]).toMatchObject({ transport: 'icmp', src_port: null, dst_port: null, bytes: 88 });
  });

  it('accepts RFC 5424 with a BOM before MSG and with structured data', () => {
    const r = parse('<4>1 2024-03-09T14:02:13+01:00 gw01 kernel - - [x@1 a="b\\]c"] \uFEFFDROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2\n');
    expect(r.flows[0]).toMatchObject({ raw_action: 'DROP', action: 'deny', device: 'gw01', dst_port: 2 });
    expect(iso(r.flows[0]!)).toBe('2024-03-09T13:02:13.000Z');
  });
});

describe('iptables verdicts', () => {
  const table: Array<[string, Action]> = [
    ['[UFW BLOCK]', 'deny'], ['[UFW LIMIT BLOCK]', 'deny'], ['[UFW AUDIT INVALID]', 'deny'], ['[UFW ALLOW]', 'allow'],
    ['[UFW AUDIT]', 'unknown'], ['[UFW MISC]', 'unknown'],
    ['filter_IN_public_REJECT:', 'deny'], ['filter_IN_home_DROP:', 'deny'], ['filter_FWD_internal_REJECT:', 'deny'],
    ['IN_public_REJECT:', 'deny'], ['FINAL_REJECT:', 'deny'], ['STATE_INVALID_DROP:', 'deny'], ['rpfilter_DROP:', 'deny'],
    ['filter_IN_public_ICMP_BLOCK:', 'deny'],
    ['Shorewall:net-fw:DROP:', 'deny'], ['Shorewall:net2fw:REJECT:', 'deny'], ['Shorewall:loc-net:ACCEPT:', 'allow'],
    ['Shorewall:drop-net:ACCEPT:', 'allow'],
    ['[LAN_LOCAL-default-A]', 'allow'], ['[WAN_IN-10-D]', 'deny'], ['[WAN_LOCAL-20-R]', 'deny'], ['[accept-all-D]', 'deny'],
    ['reject wan in:', 'deny'], ['drop wan out:', 'deny'], ['DROP(src wan)', 'deny'], ['REJECT(dest lan)', 'deny'],
    ['ACCEPT(src lan)', 'allow'],
    ['policy DROP:', 'deny'], ['ACCEPT:', 'allow'], ['PVEFW-reject:', 'deny'],
    ['IPTABLES:BLOCKED-CONN:', 'deny'], ['iptables DROP_INPUT:', 'deny'], ['SFW2-INext-DROP-DEFLT', 'deny'],
    ['DROP INVALID', 'deny'], ['fw-pass:', 'allow'], ['OPEN-PORT', 'allow'], ['denied', 'deny'],
    ['FIREWALL_OUT', 'unknown'], ['ICMP', 'unknown'], ['NFLOG-TRACE:', 'unknown'], ['LANDROP', 'unknown'],
  ];
  for (const [pre, a] of table) it(`${pre} → ${a}`, () => expect(prefixVerdict(pre)).toBe(a));

  it('--action-map overrides by equality or prefix (longest key wins); unknown verdicts are noted', () => {
    const text = [
      '[ 1.0] NFLOG-TRACE: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2',
      '[ 1.1] FIREWALL_OUT IN= OUT=eth0 SRC=192.0.2.2 DST=192.0.2.1 LEN=40 PROTO=TCP SPT=2 DPT=1',
      '[ 1.2] [UFW AUDIT] IN= OUT=eth0 SRC=192.0.2.2 DST=192.0.2.1 LEN=40 PROTO=TCP SPT=2 DPT=1',
      '[ 1.3] [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2',
      '[ 1.4] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2',
    ].join('\n');
    const plain = parse(text);
    expect(plain.flows.map((f) => f.action)).toEqual(['unknown', 'unknown', 'unknown', 'deny', 'unknown']);
    expect(plain.notes['unknown-verdict']).toBe(4);
    expect(plain.flows[4]).toMatchObject({ raw_action: null, rule: null });

    const actionMap = new Map<string, Action>([['NFLOG', 'deny'], ['FIREWALL_OUT', 'allow'], ['[UFW', 'deny'], ['[UFW AUDIT]', 'allow']]);
    const mapped = parse(text, { actionMap });
    expect(mapped.flows.map((f) => f.action)).toEqual(['deny', 'allow', 'allow', 'deny', 'unknown']);
    expect(mapped.flows[0]!.raw_action).toBe('NFLOG-TRACE:');
    expect(mapped.notes['unknown-verdict']).toBe(1);
  });

  it('takes the prefix glued to IN= and keeps it as raw_action and rule', () => {
    const r = parse(fixture('dmesg.log'));
    expect(byLine(r, 1)).toMatchObject({ raw_action: 'DROP', rule: 'DROP', action: 'deny', dst_port: 11117, src_ip: '10.40.0.7', dst_ip: '10.10.0.11' });
    expect(byLine(r, 2)).toMatchObject({ raw_action: '[LAN_LOCAL-default-A]', action: 'allow' });
    expect(byLine(r, 10)).toMatchObject({ raw_action: 'NFLOG-TRACE:', action: 'unknown' });
  });
});

describe('iptables skips, wrappers and journal variants', () => {
  it('classifies non-netfilter, ARP, truncated and address errors', () => {
    const text = [
      'May 29 00:00:50 vultr systemd[1]: logrotate.service: Succeeded.',
      'May 29 00:00:51 vultr kernel: ARPDROP IN=eth0 OUT= ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 MACSRC=52:54:00:ab:cd:ef IPSRC=192.0.2.1 MACDST=00:00:00:00:00:00 IPDST=192.0.2.10',
      'May  5 20:46:45 gw user.info kernel: TTL=126 ID=15317 DF PROTO=TCP SPT=59344 DPT=443 WINDOW=8212 RES=0x00 ACK PSH URGP=0',
      'May 29 00:00:52 vultr kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=not-an-ip LEN=40 PROTO=TCP SPT=1 DPT=2',
      'May 29 00:00:53 vultr kernel: DROP IN=eth0 OUT= SRC= DST=192.0.2.1 LEN=40 PROTO=TCP SPT=1 DPT=2',
      'Jun  8 14:34:33 sd kernel: [50028442.088484] XX=enp1s0 OUT= SRC=195.54.160.107 DST=51.15.166.67 LEN=40 PROTO=TCP SPT=8080 DPT=8123',
      '',
      'May 29 00:00:54 vultr kernel: DROP IN=eth0 OUT= MAC=00:11 PROTO=TCP SPT=1 DPT=2',
    ].join('\n') + '\n';
    const r = parse(text, { year: 2024 });
    expect(r.flows).toEqual([]);
    expect(r.skips).toEqual([
      { reason: 'not a netfilter line', line: 1, kind: 'not-flow' },
      { reason: 'arp', line: 2, kind: 'not-flow' },
      { reason: 'truncated netfilter line (no IN=/OUT=)', line: 3, kind: 'malformed' },
      { reason: 'bad DST= address', line: 4, kind: 'malformed' },
      { reason: 'empty SRC=', line: 5, kind: 'malformed' },
      { reason: 'netfilter line without IN=', line: 6, kind: 'malformed' },
      { reason: 'blank line', line: 7, kind: 'not-flow' },
      { reason: 'netfilter line without SRC=', line: 8, kind: 'malformed' },
    ]);
  });

  it('strips the psad `filename:` prefix', () => {
    const r = parse('ipv6_scan:Mar 17 13:39:13 linux kernel: [956932.522957] DROP IN=eth0 OUT= SRC=2001:0db8:0000:f101:0000:0000:0000:0002 DST=2001:0db8:0000:f101:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=51397 DPT=1433 WINDOW=5760 RES=0x00 SYN URGP=0 \n', { year: 2010 });
    expect(r.flows[0]).toMatchObject({ device: 'linux', raw_action: 'DROP', src_ip: '2001:db8:0:f101::2', dst_ip: '2001:db8:0:f101::1', dst_port: 1433 });
    expect(iso(r.flows[0]!)).toBe('2010-03-17T13:39:13.000Z');
  });

  it('unwraps Wazuh ini test cases and counts the other ini lines as not-flow', () => {
    const text = [
      '[iptables: drop]',
      'log 1 pass = Feb  4 23:33:37 hostname kernel: DROP IN= OUT=wlan0 SRC=192.168.1.102 DST=74.125.232.52 LEN=52 PROTO=TCP SPT=59534 DPT=443 WINDOW=501 RES=0x00 ACK PSH FIN URGP=0 ',
      'rule = 4101',
      'log 2 fail = Dec 26 09:05:47 server01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=254.253.252.251 DST=191.192.193.194 LEN=52 PROTO=TCP SPT=17833 DPT=22',
      '',
    ].join('\n') + '\n';
    const r = parse(text, { year: 2024 });
    expect(r.detection.dialect).toBe('wazuh-ini');
    expect(r.flows.map((f) => [f.line, f.device, f.raw_action, f.dst_port, f.direction])).toEqual([
      [2, 'hostname', 'DROP', 443, 'outbound'],
      [4, 'server01', '[UFW BLOCK]', 22, 'inbound'],
    ]);
    expect(r.skips.map((s) => [s.line, s.kind])).toEqual([[1, 'not-flow'], [3, 'not-flow'], [5, 'not-flow']]);
  });

  it('parses Proxmox pve-firewall lines (chain as rule, +zzzz offset)', () => {
    const text = [
      '0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0.94 MAC=24:8a:07:9a:2a:f2:24:8a:07:50:2c:9e:08:00 SRC=10.3.94.11 DST=10.3.94.12 LEN=52 TOS=0x00 PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 LEN=32',
      '0 1 PVEFW-HOST-OUT 20/Jun/2022:13:16:23 +0200 REJECT: OUT=vmbr0.94 SRC=10.3.94.12 DST=10.3.94.10 LEN=60 PROTO=TCP SPT=49566 DPT=22 SEQ=708451139 ACK=0 WINDOW=64240 SYN ',
    ].join('\n') + '\n';
    const r = parse(text);
    expect(r.detection.dialect).toBe('proxmox');
    expect(r.flows.map((f) => [iso(f), f.rule, f.raw_action, f.action, f.direction, f.dst_port])).toEqual([
      ['2022-06-20T11:09:14.000Z', 'PVEFW-HOST-IN', 'policy DROP:', 'deny', 'inbound', 3784],
      ['2022-06-20T11:16:23.000Z', 'PVEFW-HOST-OUT', 'REJECT:', 'deny', 'outbound', 22],
    ]);
  });

  it('journal export: a binary field makes the entry malformed without breaking the next one', () => {
    const text = [
      '__REALTIME_TIMESTAMP=1709989332482913',
      '_HOSTNAME=a',
      'MESSAGE',
      '\u0010\u0000\u0000\u0000\u0000\u0000\u0000\u0000DROP\u0001 IN=x',
      '',
      '__REALTIME_TIMESTAMP=1709989333000000',
      '_HOSTNAME=b',
      'MESSAGE=DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2',
      '',
      '__REALTIME_TIMESTAMP=1709989334000000',
      '_HOSTNAME=b',
      '',
    ].join('\n') + '\n';
    const r = parse(text, { format: 'iptables' });
    expect(r.detection.dialect).toBe('journal-export');
    expect(r.flows.map((f) => [f.line, f.device, iso(f)])).toEqual([[8, 'b', '2024-03-09T13:02:13.000Z']]);
    expect(r.skips.filter((k) => k.reason !== 'journal entry field line')).toEqual([
      { reason: 'binary journal field', line: 1, kind: 'malformed' },
      { reason: 'journal entry without MESSAGE', line: 10, kind: 'not-flow' },
    ]);
  });

  it('journal JSON: ECS/Filebeat events, repeated MESSAGE arrays, non-objects', () => {
    const ecs = JSON.stringify({ events: [
      { '@timestamp': '2022-01-12T12:43:58.224Z', host: { hostname: 'f780e7ca37a7' }, message: 'iptables DROP_INPUT: IN=eth0 OUT= SRC=10.10.10.18 DST=10.10.10.34 LEN=40 PROTO=TCP SPT=443 DPT=40702 WINDOW=0 RES=0x00 RST URGP=0 ' },
      { '@timestamp': '2022-01-12T12:43:59.000Z', host: { name: 'h2' }, message: 'sshd: session opened' },
    ] });
    const r = parse(ecs);
    expect(r.detection).toMatchObject({ format: 'iptables-journald', framing: 'json', dialect: 'journald-ecs' });
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({ device: 'f780e7ca37a7', action: 'deny', raw_action: 'iptables DROP_INPUT:', src_port: 443, dst_port: 40702, format: 'iptables-journald' });
    expect(iso(r.flows[0]!)).toBe('2022-01-12T12:43:58.224Z');
    expect(r.skips).toEqual([{ reason: 'not a netfilter line', line: 2, kind: 'not-flow' }]);

    const lines = [
      JSON.stringify({ MESSAGE: ['DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1 DPT=2', 'dup'], __REALTIME_TIMESTAMP: '1700000000000000', _HOSTNAME: 'x' }),
      JSON.stringify([1, 2]),
      JSON.stringify({ MESSAGE: 5 }),
      JSON.stringify({ PRIORITY: '6' }),
    ].join('\n');
    const j = parse(lines, { format: 'iptables-journald' });
    expect(j.flows.map((f) => [f.device, iso(f), f.dst_port])).toEqual([['x', '2023-11-14T22:13:20.000Z', 2]]);
    expect(j.skips).toEqual([
      { reason: 'not a JSON object', line: 2, kind: 'malformed' },
      { reason: 'MESSAGE is not text', line: 3, kind: 'malformed' },
      { reason: 'no MESSAGE field', line: 4, kind: 'not-flow' },
    ]);
  });
});

describe('iptables detection', () => {
  it('detects netfilter syslog with high confidence and plain syslog with low confidence', () => {
    const nf = iptables.detect(fixture('bsd-ufw.log'), 'ufw.log');
    expect(nf).toEqual({ format: 'iptables', dialect: 'bsd', framing: 'lines', confidence: 0.9 });
    const plain = 'May 29 00:00:50 vultr systemd[1]: logrotate.service: Succeeded.\nMay 29 00:00:51 vultr CRON[1]: (root) CMD (true)\n';
    expect(iptables.detect(plain, 'syslog')).toEqual({ format: 'iptables', dialect: 'syslog-no-netfilter', framing: 'lines', confidence: 0.1 });
    const r = parse(plain);
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => s.kind)).toEqual(['not-flow', 'not-flow']);
    expect(iptables.detect('#Version: 1.5\n#Software: Microsoft Windows Firewall\n', 'pfirewall.log')).toBeNull();
    expect(iptables.detect('{"EventID":5156,"Message":"x"}\n', 'a.json')).toBeNull();
  });

  it('forced formats', () => {
    expect(iptables.forced('iptables-journald', '')).toEqual({ format: 'iptables-journald', dialect: 'journald', framing: 'json', confidence: 1 });
    expect(iptables.forced('iptables', 'hello\n')).toEqual({ format: 'iptables', dialect: 'syslog', framing: 'lines', confidence: 1 });
    expect(iptables.forced('iptables', fixture('rfc5424.log'))).toMatchObject({ dialect: 'rfc5424', framing: 'lines', confidence: 1 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Corpus (read in place; absent corpus → nothing to check)
// ---------------------------------------------------------------------------------------------------

interface AssertEntry { success: boolean | null; parsed: Record<string, string>; meta: Record<string, string> }

/** Reads CrowdSec parser.assert lines for one stage/parser into entries by index. */
function readAssert(text: string, stage: string): Map<number, AssertEntry> {
  const out = new Map<number, AssertEntry>();
  const re = /^results\["([^"]+)"\]\["([^"]+)"\]\[(\d+)\]\.(?:Success == (true|false)|Evt\.(Parsed|Meta)\["([^"]+)"\] == "((?:[^"\\]|\\.)*)")\s*$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line.trim());
    if (!m || m[1] !== stage) continue;
    const idx = Number(m[3]);
    let e = out.get(idx);
    if (!e) { e = { success: null, parsed: {}, meta: {} }; out.set(idx, e); }
    if (m[4] !== undefined) e.success = m[4] === 'true';
    else if (m[5] === 'Parsed') e.parsed[m[6]!] = m[7]!;
    else e.meta[m[6]!] = m[7]!;
  }
  return out;
}

/** First `KEY=value` of the outer packet in a raw line (test oracle for lines CrowdSec does not parse). */
function rawField(line: string, key: string): string | null {
  const outer = line.split('[SRC=')[0]!;
  const m = new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(outer);
  return m ? m[1]! : null;
}

describe('iptables corpus', () => {
  it.skipIf(missingPath(CORPUS))('every corpus file except *.assert yields at least one flow and never throws', () => {
    const files = readdirSync(CORPUS).filter((f) => !f.endsWith('.assert'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = parseText(iptables, readFileSync(join(CORPUS, f), 'utf8'), { file: f, tz: 'UTC' });
      expect(r.flows.length, f).toBeGreaterThan(0);
      const bad = r.flows.filter((fl) => fl.src_ip === null || fl.dst_ip === null || fl.line < 1 || fl.packets !== 1
        || !['allow', 'deny', 'unknown'].includes(fl.action));
      expect(bad, f).toEqual([]);
    }
  });

  it.skipIf(missingPath(join(CORPUS, 'teliten__log.plemma__syslog')))('teliten syslog: non-netfilter lines are not-flow skips', () => {
    const p = join(CORPUS, 'teliten__log.plemma__syslog');
    const text = readFileSync(p, 'utf8');
    const r = parseText(iptables, text, { file: 'syslog', tz: 'UTC' });
    const nonNf = text.split('\n').filter((l) => l !== '' && l.indexOf('IN=') < 0).length;
    expect(r.skips.length).toBe(nonNf);
    expect(r.skips.every((s) => s.kind === 'not-flow' && s.reason === 'not a netfilter line')).toBe(true);
    expect(r.flows.length).toBe(text.split('\n').filter((l) => l.indexOf(' IN=') >= 0).length);
    expect(r.flows.every((f) => f.action === 'deny' && f.raw_action === '[UFW BLOCK]')).toBe(true);
  });

  for (const [logName, assertName, stage] of [
    ['crowdsecurity__hub__.tests-iptables-logs-iptables-logs.log', 'crowdsecurity__hub__.tests-iptables-logs-parser.assert', 's01-parse'],
    ['crowdsecurity__hub__.tests-proxmox-iptables-logs-proxmox-iptables.log', 'crowdsecurity__hub__.tests-proxmox-iptables-logs-parser.assert', 's01-parse'],
  ] as const) {
    it.skipIf(missingPath(join(CORPUS, assertName)))(`agrees with CrowdSec ${assertName}`, () => {
      const logText = readFileSync(join(CORPUS, logName), 'utf8');
      const entries = readAssert(readFileSync(join(CORPUS, assertName), 'utf8'), stage);
      const rawLines = logText.split('\n').filter((l) => l !== '');
      expect(entries.size).toBe(rawLines.length);
      const r = parseText(iptables, logText, { file: logName, tz: 'UTC' });
      let checked = 0;
      for (const [idx, e] of entries) {
        const lineNo = idx + 1;
        const flow = r.flows.find((f) => f.line === lineNo);
        const raw = rawLines[idx]!;
        if (e.success) {
          expect(flow, `line ${lineNo}`).toBeDefined();
          const p = e.parsed;
          if (p.src_ip !== undefined) expect(flow!.src_ip).toBe(p.src_ip);
          if (p.dst_ip !== undefined) expect(flow!.dst_ip).toBe(p.dst_ip);
          if (p.src_port !== undefined) expect(flow!.src_port).toBe(Number(p.src_port));
          if (p.dst_port !== undefined) expect(flow!.dst_port).toBe(Number(p.dst_port));
          if (p.proto !== undefined) expect(flow!.transport).toBe(p.proto.toLowerCase());
          if (e.meta.source_ip !== undefined) expect(flow!.src_ip).toBe(e.meta.source_ip);
          checked++;
        } else if (flow) {
          // CrowdSec rejects the line; a flow from us must still carry the line's own outer-packet values.
          expect(flow.src_ip).toBe(rawField(raw, 'SRC'));
          expect(flow.dst_ip).toBe(rawField(raw, 'DST'));
          expect(flow.dst_port).toBe(Number(rawField(raw, 'DPT')));
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it.skipIf(missingPath(join(CORPUS, 'crowdsecurity__hub__.tests-iptables-logs-iptables-logs.log')))('CrowdSec iptables-logs: the line with XX= instead of IN= is skipped as malformed', () => {
    const p = join(CORPUS, 'crowdsecurity__hub__.tests-iptables-logs-iptables-logs.log');
    const r = parseText(iptables, readFileSync(p, 'utf8'), { file: 'x', tz: 'UTC' });
    expect(r.flows.map((f) => f.line)).toEqual([1, 2, 4]);
    expect(r.skips).toEqual([{ reason: 'netfilter line without IN=', line: 3, kind: 'malformed' }]);
  });
});

describe('iptables: validated times, masked addresses and the new dialects', () => {
  const body = 'IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0';
  it('an impossible date or offset in any header is malformed with the field, never rolled over', () => {
    const lines = [
      `2026-02-31T10:00:00+00:00 gw kernel: [UFW BLOCK] ${body}`,
      `2026-03-10T10:00:00+99:99 gw kernel: [UFW BLOCK] ${body}`,
      `Feb 30 10:00:00 gw kernel: [UFW BLOCK] ${body}`,
      `[Mon Feb 29 10:00:00 2021] [UFW BLOCK] ${body}`,
      `<4>1 1989-12-31T23:59:59Z gw kernel - - - [UFW BLOCK] ${body}`,
      `2026-03-10T10:00:00.5Z gw kernel: [UFW BLOCK] ${body}`,
    ];
    const r = parseText(iptables, lines.join('\n'), { year: 2026 });
    expect(r.skips.map((s) => [s.line, s.reason, s.kind])).toEqual([
      [1, 'invalid timestamp day out of range for the month', 'malformed'],
      [2, 'invalid timestamp UTC offset out of range (±14:00)', 'malformed'],
      [3, 'invalid timestamp day out of range for the month', 'malformed'],
      [4, 'invalid timestamp day out of range for the month', 'malformed'],
      [5, 'invalid timestamp year out of range (1990-2100)', 'malformed'],
    ]);
    expect(r.flows.map((f) => new Date(f.ts!).toISOString())).toEqual(['2026-03-10T10:00:00.500Z']);
  });
  it('masked addresses are counted with that reason', () => {
    const r = parseText(iptables, [`Mar 11 22:00:00 h kernel: [UFW BLOCK] ${body}`, `Mar 11 22:00:01 h kernel: [UFW BLOCK] ${body.replace('203.0.113.9', 'xxx.xxx.xxx.xxx')}`].join('\n'), { year: 2026 });
    expect(r.flows).toHaveLength(1);
    expect(r.skips).toEqual([{ reason: 'masked SRC= address (anonymised log)', line: 2, kind: 'malformed' }]);
  });
  it('UniFi -A- is accept whatever DESCR says; FireHOL drops; nftables : separators', () => {
    expect(prefixVerdict('[WAN_LOCAL-A-2147483647] DESCR="[WAN_LOCAL]Block All Traffic"')).toBe('allow');
    expect(prefixVerdict('[WAN_IN-D-3001] DESCR="allow web"')).toBe('deny');
    expect(prefixVerdict('[LAN_LOCAL-default-A]')).toBe('allow');
    expect(prefixVerdict("'IN-internet':")).toBe('deny');
    expect(prefixVerdict('[nftables] : drop : output :')).toBe('deny');
    expect(prefixVerdict('RULE 2 -- ACCEPT')).toBe('allow');
    expect(prefixVerdict('FINAL_REJECT:')).toBe('deny');
  });
  it('ICMP errors never carry the quoted packet\'s ports', () => {
    const l = 'Mar 11 22:00:00 h kernel: DROP: IN=eth0 OUT= SRC=198.51.100.7 DST=192.0.2.10 LEN=84 TOS=0x00 PREC=0x00 TTL=60 ID=0 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.10 DST=198.51.100.7 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=53 DPT=40000 LEN=20 ]';
    const f = parseText(iptables, l, { year: 2026 }).flows[0]!;
    expect([f.transport, f.src_port, f.dst_port]).toEqual(['icmp', null, null]);
  });
});

describe('iptables: RFC 6587 octet counting', () => {
  it('reads octet-counted frames, several per line', () => {
    const m = '<4>1 2026-03-10T10:00:00Z gw kernel - - - [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 LEN=60 PROTO=TCP SPT=40000 DPT=22';
    const r = parseText(iptables, `${m.length} ${m} ${m.length} ${m.replace('DPT=22', 'DPT=23')}`, { format: 'iptables' });
    expect(r.flows.map((f) => [f.line, f.device, f.dst_port, new Date(f.ts!).toISOString()])).toEqual([
      [1, 'gw', 22, '2026-03-10T10:00:00.000Z'], [1, 'gw', 23, '2026-03-10T10:00:00.000Z']]);
  });
});

describe('iptables: relay double header (parsers/syslog/header.ts)', () => {
  it('the inner header names the device and the time', () => {
    const l = 'Mar 11 22:00:05 relay01 Mar 11 22:00:03 gw07 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.1 LEN=60 PROTO=TCP SPT=40000 DPT=22';
    const f = parseText(iptables, l, { year: 2026 }).flows[0]!;
    expect([f.device, new Date(f.ts!).toISOString(), f.raw_action]).toEqual(['gw07', '2026-03-11T22:00:03.000Z', '[UFW BLOCK]']);
  });
});
