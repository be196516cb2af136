/**
 * The pfirewall.log fast path (parsers/winfw.ts `fast`: one pass over the common record, IPv4 flows
 * valid by construction skip the gate) gives exactly what the general path (`one`, every flow through
 * the validation gate) gives: the same flows, skips (reasons, lines, kinds) and notes, on every fixture,
 * the real-log corpus, and seeded mutations of records (timestamps at zone and range edges, damaged
 * tokens, extra spaces, other layouts, wrapped lines) under several time zones.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { winfw } from '../parsers/winfw.js';
import type { SkipKind } from '../parsers/types.js';
import { validateFlow, type Flow } from '../src/model/flow.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { canonicalIp } from '../src/model/ip.js';
import { ROOT } from './helpers/cli.js';
import { missingPath, SHARED } from './helpers/prereqs.js';
import { mulberry32 as rng } from './helpers/prng.js';

interface Out { flows: Flow[]; skips: Array<{ reason: string; line: number; kind: SkipKind }>; notes: Record<string, number>; fastLines: number }

/** Lines of `data` (LF or CRLF) through the parser's bytes(), fast path on or off. */
function run(data: Buffer, fast: boolean, tz: string): Out {
  const det = winfw.detect(data.subarray(0, 65536).toString('utf8'), 'x.log') ?? winfw.forced('winfw', '');
  const out: Out = { flows: [], skips: [], notes: {}, fastLines: 0 };
  const p = winfw.create(det, { file: 'x.log', zone: new ZoneConverter(tz), years: new YearInferrer(undefined, Date.UTC(2026, 11, 31)), actionMap: new Map() }, {
    flow: (f) => out.flows.push(f),
    skip: (reason, line, kind) => out.skips.push({ reason, line, kind }),
    note: (name, n) => { out.notes[name] = (out.notes[name] ?? 0) + n; },
  });
  const knobs = p as unknown as { fastOn: boolean; fastLines: number };
  expect(knobs.fastOn).toBe(true);
  knobs.fastOn = fast;
  let s = 0, n = 0;
  while (s < data.length) {
    let e = data.indexOf(10, s);
    if (e < 0) e = data.length;
    const ee = e > s && data[e - 1] === 13 ? e - 1 : e;
    p.bytes!(data, s, ee, ++n);
    s = e + 1;
  }
  p.end!();
  out.fastLines = knobs.fastLines;
  return out;
}

function same(data: Buffer, tz: string): Out {
  const slow = run(data, false, tz);
  const fast = run(data, true, tz);
  expect(slow.fastLines).toBe(0);
  expect({ ...fast, fastLines: 0 }).toEqual(slow);
  for (const f of fast.flows) expect(validateFlow(f)).toBeNull(); // the flows that skipped the gate too
  return fast;
}


const HEADER_STD = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';

const TEMPLATES = [
  '2026-11-20 10:00:00 ALLOW TCP 10.89.105.139 32.221.92.160 54818 443 0 - 0 0 0 - - - SEND',
  '2026-11-20 10:00:01 DROP TCP 102.7.239.206 10.127.55.4 59341 443 44 S 3995510322 0 8192 - - - RECEIVE',
  '2026-11-20 10:00:02 ALLOW UDP 10.243.163.203 58.89.86.35 53 53 0 - - - - - - - SEND',
  '2026-11-20 10:00:03 DROP UDP 192.168.1.7 255.255.255.255 68 67 328 - - - - - - - RECEIVE',
  '2026-11-20 10:00:04 DROP ICMP 10.0.0.5 10.0.0.1 - - 60 - - - - 8 0 - RECEIVE',
  '2026-11-20 10:00:05 ALLOW ICMP 10.0.0.1 8.8.8.8 - - 0 - - - - 0 0 - SEND',
  '2026-11-20 10:00:06 DROP TCP fe80::1c2d:3e4f:5a6b:7c8d ff02::fb 5353 5353 0 - - - - - - - RECEIVE',
  '2026-11-20 10:00:07 ALLOW UDP 2001:db8::1 2001:DB8:0:0:0:0:0:2 1234 53 0 - - - - - - - SEND 4242',
  '2026-11-20 10:00:07 ALLOW UDP 2001:db8:0:1::2 ::ffff:10.1.2.3 1234 53 0 - - - - - - - SEND',
  '2026-11-20 10:00:07 DROP TCP ::1 1:0::2 80 80 0 - - - - - - - RECEIVE',
  '2026-11-20 10:00:08 DROP TCP 010.001.002.003 10.0.0.1 80 8080 1500 A 1 2 3 - - - FORWARD 77',
  '2026-11-20 10:00:09 ALLOW TCP 10.1.1.1 10.1.1.2 65535 0 0 - 0 0 0 - - - UNKNOWN',
  '2026-11-20 10:00:10 DROP TCP 10.1.1.1 10.1.1.2 00080 443 999999999999999 - - - - - - - RECEIVE',
  '2026-11-20 10:00:11 ALLOW TCP 10.1.1.1 10.1.1.2 443 443 0 - 0 0 0 - - - SEND 1320',
  '2026-11-20 10:00:12 DROP UDP 10.1.1.1 10.1.1.2 137 137 128 RECEIVE 4', // compact (Win11)
  '2026-11-20 10:00:12 DROP UDP 10.1.1.1 10.1.1.2 0000000000000080 137 128 - - - - - - - RECEIVE', // 16 digits: bad src-port
  '2026-11-20 10:00:13 OPEN TCP 10.1.1.1 10.1.1.2 1 2 - - - - - - - - -', // XP (general path)
  '2026-11-20 10:00:14 INFO-EVENTS-LOST - - - - - - - - - - - 12 -',
  '2026-11-20 10:00:15 DROP TCP 10.1.1.1 10.1.1.2 1 2 RECEIVE', // compact without size
];

const STAMPS = [
  '1989-12-31 23:59:59', '1990-01-01 00:00:00', '1990-01-01 00:59:59', '2100-12-31 23:59:59', '2100-12-31 10:59:60',
  '2101-01-01 00:00:00', '2024-02-29 12:00:00', '2025-02-29 12:00:00', '2026-03-29 01:59:59', '2026-03-29 02:00:00',
  '2026-03-29 02:30:60', '2026-03-29 03:00:00', '2026-10-25 01:59:59', '2026-10-25 02:00:00', '2026-10-25 02:59:59',
  '2026-10-25 03:00:00', '2026-11-02 01:30:00', '2026-03-08 02:30:00', '2026-11-20 23:59:60', '2026-11-20 23:59:61',
  '2026-11-20 23:60:00', '2026-11-20 24:00:00', '2026-13-01 00:00:00', '2026-00-10 00:00:00', '2026-11-31 00:00:00',
  '2026-11-20 10:00:00.123', '2026-11-20 7:00:00', '2026/11/20 10:00:00', '2026-11-2010:00:00',
];

const ALPHABET = [' ', ' ', '-', '.', ':', '0', '5', '9', 'A', 'D', 'a', 'x', '\t', '#', '\u00e9', '\ufffd', '6', '2', '1'];

function mutate(line: string, r: () => number): string {
  let s = line;
  const k = 1 + Math.floor(r() * 3);
  for (let j = 0; j < k; j++) {
    const p = Math.floor(r() * (s.length + 1));
    const c = ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    switch (Math.floor(r() * 7)) {
      case 0: s = s.slice(0, p) + c + s.slice(p + 1); break; // replace
      case 1: s = s.slice(0, p) + s.slice(p + 1); break; // delete
      case 2: s = s.slice(0, p) + c + s.slice(p); break; // insert
      case 3: s = s.slice(0, p); break; // truncate
      case 4: s = s.replace(' ', '  '); break; // a double space
      case 5: { // swap two tokens
        const t = s.split(' ');
        const a = Math.floor(r() * t.length), b = Math.floor(r() * t.length);
        [t[a], t[b]] = [t[b]!, t[a]!];
        s = t.join(' ');
        break;
      }
      default: s = STAMPS[Math.floor(r() * STAMPS.length)]! + s.slice(19); // another timestamp
    }
  }
  return s;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Etc/GMT+12', '+05:45'];

describe('winfw fast path = general path', () => {
  it('reads the common records itself (and leaves the rest to the general path)', () => {
    const text = Buffer.from([HEADER_STD, ...TEMPLATES].join('\r\n') + '\r\n');
    const got = same(text, 'Europe/Berlin');
    expect(got.fastLines).toBe(16);
    expect(got.flows.length).toBe(17);
    const byLine = new Map(got.flows.map((f) => [f.line, f]));
    expect(byLine.get(2)).toMatchObject({ ts: Date.UTC(2026, 10, 20, 9, 0, 0), action: 'allow', raw_action: 'ALLOW', transport: 'tcp',
      src_ip: '10.89.105.139', dst_ip: '32.221.92.160', src_port: 54818, dst_port: 443, direction: 'outbound', bytes: null, packets: null });
    expect(byLine.get(3)).toMatchObject({ action: 'deny', src_port: 59341, dst_port: 443, bytes: 44, packets: 1, direction: 'inbound' });
    expect(byLine.get(6)).toMatchObject({ transport: 'icmp', src_port: null, dst_port: null, bytes: 60, packets: 1 });
    expect(byLine.get(8)).toMatchObject({ src_ip: 'fe80::1c2d:3e4f:5a6b:7c8d', dst_ip: 'ff02::fb' });
    expect(byLine.get(9)).toMatchObject({ src_ip: '2001:db8::1', dst_ip: '2001:db8::2' });
    expect(byLine.get(10)).toMatchObject({ src_ip: '2001:db8:0:1::2', dst_ip: '10.1.2.3' });
    expect(byLine.get(11)).toMatchObject({ src_ip: '::1', dst_ip: '1::2' });
    expect(byLine.get(12)).toMatchObject({ src_ip: '10.1.2.3', direction: 'forward', bytes: 1500 });
    expect(byLine.get(13)).toMatchObject({ src_port: 65535, dst_port: 0, direction: null });
    expect(byLine.get(14)).toMatchObject({ src_port: 80, bytes: 999999999999999 });
    expect(byLine.get(16)).toMatchObject({ transport: 'udp', src_port: 137, dst_port: 137, bytes: 128, packets: 1, direction: 'inbound' });
    expect(byLine.get(20)).toMatchObject({ transport: 'tcp', src_port: 1, dst_port: 2, bytes: null, packets: 1, direction: 'inbound' });
    expect(got.notes).toEqual({ 'lost-events': 12 });
    expect(got.skips).toContainEqual({ reason: 'bad src-port', line: 17, kind: 'malformed' });
  });

  it('a second of 60 is read as 59, at the top of the range and inside a DST gap, as civilToUtc reads it', () => {
    const lines = ['2100-12-31 10:59:60', '2026-03-29 02:30:60', '2026-03-29 02:30:59', '2100-12-31 23:59:59']
      .map((t) => `${t} ALLOW TCP 10.1.1.1 10.1.1.2 1 2 0 - 0 0 0 - - - SEND`);
    for (const tz of ['UTC', 'Europe/Berlin', 'Etc/GMT+12']) {
      const got = same(Buffer.from(lines.join('\n')), tz);
      expect(got.fastLines).toBe(tz === 'Etc/GMT+12' ? 3 : 4);
    }
  });

  for (const [i, tz] of ZONES.entries()) {
    it(`seeded mutations, ${tz}`, () => {
      const r = rng(1000 + i);
      const lines: string[] = [];
      const headers = [HEADER_STD, `${HEADER_STD} pid`, '#Fields: date time action protocol src-ip dst-ip src-port dst-port path', '#Version: 1.5'];
      for (let b = 0; b < 8; b++) {
        lines.push(headers[Math.floor(r() * headers.length)]!);
        for (let j = 0; j < 1500; j++) {
          const t = TEMPLATES[Math.floor(r() * TEMPLATES.length)]!;
          lines.push(r() < 0.25 ? t : mutate(t, r));
        }
      }
      const got = same(Buffer.from(lines.join('\n')), tz);
      expect(got.fastLines).toBeGreaterThan(1000);
      expect(got.skips.some((s) => s.kind === 'malformed')).toBe(true);
    });
  }

  it('IPv6 text is taken as it is only when it is its own canonical form', () => {
    const r = rng(7);
    const texts: string[] = ['::', '::1', '1::', '::ffff:1.2.3.4', '::ffff:102:304', '::ffff:0:0', '0::1', '1:0::2', '1::0:2', '1:0:0:2::3',
      '1::2:0:0:3', '1:0:0:2:0:0:3:4', '1:0:0:2:0:0:0:3', '1:2:3:4:5:6:7::', '1:2:3:4:5:6::7', '1:2:3:4:5::6', 'fe80::1%eth0',
      '[::1]', ':::1', '1:::2', '::1::', '1:', ':1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'ABCD::1', 'abcd::01', '12345::1',
      '1::g', '2001:db8::', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:0:0:1::1', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:0'];
    for (let n = 0; n < 4000; n++) {
      const h = Array.from({ length: 8 }, () => (r() < 0.45 ? 0 : r() < 0.5 ? Math.floor(r() * 16) : Math.floor(r() * 65536)));
      const full = h.map((x) => x.toString(16));
      texts.push(full.join(':'), canonicalIp(full.join(':'))!);
      const a = Math.floor(r() * 8), b = a + Math.floor(r() * (9 - a));
      texts.push(`${full.slice(0, a).join(':')}::${full.slice(b).join(':')}`); // any compression, maybe wrong
      if (r() < 0.2) texts.push(full.join(':').toUpperCase());
    }
    const p = winfw.create(winfw.forced('winfw', ''), { file: 'x', zone: new ZoneConverter('UTC'), years: new YearInferrer(2026, 0), actionMap: new Map() },
      { flow() {}, skip() {}, note() {} }) as unknown as { v6(b: Buffer, a: number, z: number): string | null };
    let taken = 0;
    for (const t of texts) {
      const b = Buffer.from(` ${t} `);
      const got = p.v6(b, 1, b.length - 1);
      const canon = canonicalIp(t);
      if (got !== null) { expect(got).toBe(t); expect(canon).toBe(t); taken++; }
      else if (canon === t) expect(t.includes('.') || !t.includes(':')).toBe(true); // only IPv4 text is left to the interner
    }
    expect(taken).toBeGreaterThan(3000);
  });

  it('fixtures', () => {
    const dir = join(ROOT, 'fixtures', 'winfw');
    let fast = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
      for (const tz of ['UTC', 'Europe/Berlin']) fast += same(readFileSync(join(dir, f)), tz).fastLines;
    }
    expect(fast).toBeGreaterThan(10);
  });

  const CORPUS = join(SHARED, 'corpus', 'winfw');
  it.skipIf(missingPath(CORPUS))('the real-log corpus', () => {
    let fast = 0;
    for (const f of readdirSync(CORPUS).filter((x) => x.endsWith('.log'))) {
      expect(existsSync(join(CORPUS, f))).toBe(true);
      fast += same(readFileSync(join(CORPUS, f)), 'Europe/Berlin').fastLines;
    }
    expect(fast).toBeGreaterThan(100);
  });
});
