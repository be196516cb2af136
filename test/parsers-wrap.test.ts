/**
 * Lines wrapped by copy/paste (parsers/wrap.ts): iptables and pfirewall records broken into rows are
 * joined; a join that could be wrong is malformed; lines that are not wrapped keep their results.
 */
import { describe, expect, it } from 'vitest';
import { iptables } from '../parsers/iptables.js';
import { winfw } from '../parsers/winfw.js';
import { CONTINUATION } from '../parsers/wrap.js';
import { parseText } from './helpers/parse-text.js';

const AMBIGUOUS = 'wrapped line: ambiguous join (a space may be lost at the break)';
const ipt = (text: string) => parseText(iptables, text, { tz: 'UTC', year: 2026, format: 'iptables' });

const REC = 'Mar 10 09:00:05 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=203.0.113.77 DST=192.0.2.10 LEN=52 TOS=0x00 PREC=0x00 TTL=49 ID=7001 DF PROTO=TCP SPT=60001 DPT=22 WINDOW=65535 RES=0x00 SYN URGP=0';
const NEXT = 'Mar 10 09:00:06 gw01 kernel: [UFW ALLOW] IN= OUT=eth0 SRC=192.0.2.10 DST=198.51.100.53 LEN=73 PROTO=UDP SPT=40112 DPT=53 LEN=53';
const rows = (s: string, at: number[]): string[] => {
  const out: string[] = [];
  let p = 0;
  for (const a of at) { out.push(s.slice(p, a)); p = a; }
  out.push(s.slice(p));
  return out;
};

describe('iptables rows joined', () => {
  it('a break inside an address (terminal): the join without separator, at the first row', () => {
    const cut = REC.indexOf('SRC=203.0.1') + 'SRC=203.0.1'.length;
    const r = ipt([...rows(REC, [cut]), NEXT].join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.src_ip, f.dst_ip, f.dst_port, f.bytes, f.raw_action])).toEqual([
      [1, '203.0.113.77', '192.0.2.10', 22, 52, '[UFW BLOCK]'],
      [3, '192.0.2.10', '198.51.100.53', 53, 73, '[UFW ALLOW]'],
    ]);
    expect(r.skips).toEqual([{ reason: CONTINUATION, line: 2, kind: 'not-flow' }]);
  });

  it('a break at a space the mail client dropped: the join with one space', () => {
    const cut = REC.indexOf(' SRC=');
    const r = ipt([REC.slice(0, cut), REC.slice(cut + 1)].join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.src_ip, f.dst_ip, f.src_port, f.dst_port])).toEqual([[1, '203.0.113.77', '192.0.2.10', 60001, 22]]);
    expect(r.skips).toEqual([{ reason: CONTINUATION, line: 2, kind: 'not-flow' }]);
  });

  it('a break inside a number with no evidence of a hard wrap is malformed, never a guessed port', () => {
    const cut = REC.indexOf('DPT=2') + 'DPT=2'.length; // `DPT=2` | `2 WINDOW…`: 22 or 2?
    const r = ipt(rows(REC, [cut]).join('\n') + '\n');
    expect(r.flows).toEqual([]);
    expect(r.skips).toEqual([
      { reason: AMBIGUOUS, line: 1, kind: 'malformed' },
      { reason: CONTINUATION, line: 2, kind: 'not-flow' },
    ]);
  });

  it('rows of one width (a terminal filled them) decide a break inside a number', () => {
    const cut = REC.indexOf('DPT=2') + 'DPT=2'.length;
    expect(cut % 3).toBe(0); // three rows of 67 columns, the third ends inside `DPT=22`
    const w = cut / 3;
    const r = ipt(rows(REC, [w, 2 * w, 3 * w]).join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.src_port, f.dst_port, f.bytes])).toEqual([[1, 60001, 22, 52]]);
    expect(r.skips.map((s) => [s.reason, s.line])).toEqual([[CONTINUATION, 2], [CONTINUATION, 3], [CONTINUATION, 4]]);
  });

  it('a complete line followed by other text: not joined, both keep their results', () => {
    const r = ipt(`${REC}\nsome other text (not a header)\n${NEXT}\n`);
    expect(r.flows.map((f) => [f.line, f.dst_port])).toEqual([[1, 22], [3, 53]]);
    expect(r.skips).toEqual([{ reason: 'not a netfilter line', line: 2, kind: 'not-flow' }]);
  });

  it('a record whose header is damaged is another record, never glued to the line above', () => {
    const cut = REC.indexOf(' SRC=');
    const damaged = `X${NEXT.slice(1)}`; // `Xar 10 …`: no header, but its own IN=/SRC=/DST=
    const r = ipt([REC.slice(0, cut), damaged].join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.ts, f.src_ip])).toEqual([[2, null, '192.0.2.10']]);
    expect(r.skips).toEqual([{ reason: 'truncated netfilter line (no SRC=)', line: 1, kind: 'malformed' }]);
  });

  it('lines without any header (bare kernel text) are never joined', () => {
    const bare = REC.slice(REC.indexOf('[UFW'));
    const cut = bare.indexOf('DPT=2') + 'DPT=2'.length;
    const r = ipt(rows(bare, [cut]).join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.dst_port])).toEqual([[1, 2]]); // as before: the row alone
    expect(r.skips).toEqual([{ reason: 'not a netfilter line', line: 2, kind: 'not-flow' }]);
  });
});

describe('pfirewall rows joined', () => {
  const HEAD = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid';
  const LINE = '2026-03-10 09:00:05 DROP TCP 203.0.113.77 192.0.2.20 51544 3389 52 S 1785634402 0 64240 - - - RECEIVE 4';
  const wf = (text: string) => parseText(winfw, text, { tz: 'UTC' });

  it('a wrapped #Fields: header and a record broken inside RECEIVE', () => {
    const h = HEAD.indexOf(' tcpsyn');
    const cut = LINE.indexOf('RECEI') + 'RECEI'.length;
    const r = wf([HEAD.slice(0, h), HEAD.slice(h), LINE.slice(0, cut), LINE.slice(cut)].join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.direction, f.dst_port, f.bytes, f.ts])).toEqual([[3, 'inbound', 3389, 52, Date.UTC(2026, 2, 10, 9, 0, 5)]]);
    expect(r.skips).toEqual([
      { reason: 'header', line: 1, kind: 'not-flow' },
      { reason: CONTINUATION, line: 2, kind: 'not-flow' },
      { reason: CONTINUATION, line: 4, kind: 'not-flow' },
    ]);
  });

  it('a dropped space between two numbers: the join with the header\'s exact column count', () => {
    const cut = LINE.indexOf(' 0 64240');
    const r = wf([HEAD, LINE.slice(0, cut), LINE.slice(cut + 1)].join('\n') + '\n');
    expect(r.flows.map((f) => [f.line, f.direction, f.dst_port])).toEqual([[2, 'inbound', 3389]]);
  });

  it('a damaged record (its own action and path) is never a continuation', () => {
    const cut = LINE.indexOf(' 52 S');
    const r = wf([HEAD, LINE.slice(0, cut), `X${LINE.slice(1)}`].join('\n') + '\n');
    expect(r.flows).toEqual([]);
    expect(r.skips.map((s) => [s.reason, s.line])).toEqual([['header', 1], ['field count (8, expected 18)', 2], ['bad timestamp', 3]]);
  });
});
