/**
 * Per format: shifted, truncated and corrupted lines are malformed with a reason naming what is wrong —
 * never flows (and never flows with a shifted value).
 */
import { describe, expect, it } from 'vitest';
import { winfw } from '../parsers/winfw.js';
import { iptables } from '../parsers/iptables.js';
import { wfp } from '../parsers/wfp.js';
import { panos } from '../parsers/panos/index.js';
import { parseText } from './helpers/parse-text.js';

function malformed(r: ReturnType<typeof parseText>): Array<[number, string]> {
  return r.skips.filter((s) => s.kind === 'malformed').map((s) => [s.line, s.reason]);
}

describe('pfirewall.log', () => {
  const H = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
  const ok = '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1000 22 40 S - - - - - - RECEIVE';
  it('shifted, truncated and corrupted lines', () => {
    const lines = [H, ok,
      '2024-06-01 10:00:00 DROP X TCP 192.0.2.1 192.0.2.2 1000 22 40 S - - - - - - RECEIVE', // shifted by one token
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1', // truncated
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.2 1000 99999 40 S - - - - - - RECEIVE', // port
      '2024-06-01 10:00:00 DROP TCP 192.0.2.1 192.0.2.300 1000 22 40 S - - - - - - RECEIVE', // address
      '2024-06-01 10:0:00 DROP TCP 192.0.2.1 192.0.2.2 1000 22 40 S - - - - - - RECEIVE', // time
    ];
    const r = parseText(winfw, lines.join('\n'), { tz: 'UTC' });
    expect(r.flows.map((f) => f.line)).toEqual([2]);
    expect(malformed(r)).toEqual([[3, 'bad src-ip'], [4, 'field count (5, expected 17)'],
      [5, 'bad dst-port'], [6, 'bad dst-ip'], [7, 'bad timestamp']]);
  });
});

describe('netfilter LOG lines', () => {
  const ok = 'Mar 11 22:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0';
  it('shifted, truncated and corrupted lines', () => {
    const lines = [ok,
      ok.slice(0, ok.indexOf(' DST=')), // truncated after SRC
      ok.slice(0, ok.indexOf(' SRC=')), // truncated before SRC
      ok.replace('DPT=22', 'DPT=70000'),
      ok.replace('SPT=40000', 'SPT=4x'),
      ok.replace('SRC=203.0.113.9', 'SRC=203.0.113'),
      ok.replace('Mar 11 22', 'Feb 30 22'),
      ok.replace('SRC=203.0.113.9', 'SRC=xxx.xxx.xxx.xxx'),
    ];
    const r = parseText(iptables, lines.join('\n'), { year: 2026 });
    expect(r.flows.map((f) => f.line)).toEqual([1]);
    expect(malformed(r)).toEqual([[2, 'netfilter line without DST='], [3, 'truncated netfilter line (no SRC=)'], [4, 'bad DPT= port'],
      [5, 'bad SPT= port'], [6, 'bad SRC= address'], [7, 'invalid timestamp day out of range for the month'],
      [8, 'masked SRC= address (anonymised log)']]);
  });
});

describe('WFP events', () => {
  const ev = (id: number, data: Record<string, string>, time = '2026-03-10T09:00:00.000Z') =>
    `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>${id}</EventID><TimeCreated SystemTime="${time}"/><Computer>h</Computer></System><EventData>${
      Object.entries(data).map(([k, v]) => `<Data Name="${k}">${v}</Data>`).join('')}</EventData></Event>`;
  const good = { Direction: '%%14593', SourceAddress: '10.0.0.1', SourcePort: '50000', DestAddress: '10.0.0.2', DestPort: '443', Protocol: '6' };
  it('truncated and corrupted events', () => {
    const text = [
      ev(5157, good),
      ev(5157, { ...good, DestPort: '70000' }),
      ev(5157, { Direction: '%%14593', SourceAddress: '10.0.0.1', SourcePort: '50000' }), // truncated: no destination
      ev(5157, { ...good, Protocol: '300' }),
      ev(5157, good, '2026-02-30T09:00:00Z'),
      ev(5157, { ...good, SourceAddress: '10.0.0.256' }),
    ].join('\n');
    const r = parseText(wfp, text, { tz: 'UTC' });
    expect(r.flows.map((f) => f.line)).toEqual([1]);
    expect(malformed(r)).toEqual([[2, 'bad DestPort'], [3, 'missing dst_ip'], [4, 'invalid transport (not a protocol name or number 0-255)'],
      [5, 'invalid timestamp day out of range for the month'], [6, 'bad SourceAddress']]);
  });
});

describe('PAN-OS syslog', () => {
  const f = ['1', '2026/03/10 09:00:01', '0123', 'TRAFFIC', 'end', '2561', '2026/03/10 09:00:00', '10.0.0.1', '10.0.0.2', '', '', 'r1', '', '', 'ssl', 'vsys1',
    'trust', 'untrust', 'e1', 'e2', 'fwd', '2026/03/10 09:00:01', '77', '1', '50000', '443', '0', '0', '0x0', 'tcp', 'allow', '100', '50', '50', '2',
    '2026/03/10 08:59:59', '1', 'any', '', '1', '0x0', 'US', 'US', '', '1', '1', 'tcp-fin'];
  it('shifted, truncated and corrupted lines', () => {
    const lines = [f.join(','),
      [...f.slice(0, 12), 'extra', ...f.slice(12)].join(','), // shifted right
      f.slice(0, 25).join(','), // truncated before the protocol
      f.map((v, i) => (i === 25 ? '99999' : v)).join(','),
      f.map((v, i) => (i === 6 ? '2026/02/30 09:00:00' : v)).join(','),
      f.map((v, i) => (i === 8 ? '10.0.0' : v)).join(','),
    ];
    const r = parseText(panos, lines.join('\n'), { tz: 'UTC' });
    expect(r.flows.map((x) => x.line)).toEqual([1]);
    expect(malformed(r)).toEqual([[2, 'panos TRAFFIC columns match no known layout (protocol/action)'], [3, 'panos TRAFFIC line too short'],
      [4, 'panos invalid destination port'], [5, 'panos invalid timestamp day out of range for the month (time_generated)'],
      [6, 'panos invalid address']]);
  });
});
