/**
 * The iptables parser hands the flows that are valid by construction (TCP, UDP or no PROTO=, addresses
 * from its AddrInterner, a header timestamp inside the fixed window, no journal override) straight to
 * what is behind the validation gate (parsers/iptables.ts `body`, `direct`). That must change nothing: with
 * the bypass on and off the parser gives the same flows, skips (reasons, lines, kinds) and notes, on every
 * fixture, the real-log corpus, and seeded damaged lines under several zones; and every flow that skipped
 * the gate passes `validateFlow` unchanged by `repairFlow`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iptables } from '../parsers/iptables.js';
import type { SkipKind } from '../parsers/types.js';
import { newFlow, repairFlow, validateFlow, type Flow } from '../src/model/flow.js';
import { AddrInterner } from '../parsers/bytes.js';
import { canonicalIp } from '../src/model/ip.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { ROOT } from './helpers/cli.js';
import { missingPath, SHARED } from './helpers/prereqs.js';
import { mulberry32 as rng } from './helpers/prng.js';

interface Out { flows: Flow[]; skips: Array<{ reason: string; line: number; kind: SkipKind }>; notes: Record<string, number>; direct: number }

/** `data` through the parser (lines as bytes, or JSON records), the bypass on or off. */
function run(data: Buffer, direct: boolean, tz: string, name = 'x.log'): Out {
  const head = data.subarray(0, 65536).toString('utf8');
  const det = iptables.detect(head, name) ?? iptables.forced('iptables', head);
  const out: Out = { flows: [], skips: [], notes: {}, direct: 0 };
  const p = iptables.create(det, { file: name, zone: new ZoneConverter(tz), years: new YearInferrer(undefined, Date.UTC(2026, 11, 31)), actionMap: new Map([['MYLOG', 'deny']]) }, {
    flow: (f) => out.flows.push({ ...f }),
    skip: (reason, line, kind) => out.skips.push({ reason, line, kind }),
    note: (n, k) => { out.notes[n] = (out.notes[n] ?? 0) + k; },
  });
  const knobs = p as unknown as { directOn: boolean; directFlows: number };
  expect(knobs.directOn).toBe(true);
  knobs.directOn = direct;
  if (det.framing === 'json') {
    const t = data.toString('utf8').trim();
    let recs: unknown[];
    try { const v = JSON.parse(t) as unknown; recs = Array.isArray(v) ? v : [v]; } catch {
      recs = t.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown); // JSON Lines
    }
    recs.forEach((r, i) => p.record!(r, i + 1));
  } else {
    let s = 0, n = 0;
    while (s < data.length) {
      let e = data.indexOf(10, s);
      if (e < 0) e = data.length;
      const ee = e > s && data[e - 1] === 13 ? e - 1 : e;
      p.bytes!(data, s, ee, ++n);
      s = e + 1;
    }
  }
  p.end!();
  out.direct = knobs.directFlows;
  return out;
}

function same(data: Buffer, tz: string, name?: string): Out {
  const gated = run(data, false, tz, name);
  const direct = run(data, true, tz, name);
  expect(gated.direct).toBe(0);
  expect({ ...direct, direct: 0 }).toEqual(gated);
  for (const f of direct.flows) {
    const g = { ...f };
    expect(repairFlow(g)).toBeNull();
    expect(g).toEqual(f);
    expect(validateFlow(f)).toBeNull();
  }
  return direct;
}

const TEMPLATES = [
  'Nov 20 00:00:00 fw01 kernel: [1834567.008000] IPTABLES-ACCEPT: IN= OUT=eth0 SRC=10.89.105.139 DST=32.221.92.160 LEN=43 TOS=0x00 PREC=0x00 TTL=52 ID=34652 DF PROTO=TCP SPT=54818 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0',
  'Nov 20 00:00:01 fw01 kernel: [1834567.057001] IPTABLES-DROP: IN=eth1 OUT= MAC=48:e7:2a:90:05:1b:72:82:82:ff:62:85:08:00 SRC=10.21.14.247 DST=10.2.1.32 LEN=510 TOS=0x00 PREC=0x00 TTL=243 ID=36642 PROTO=TCP SPT=63626 DPT=54132 WINDOW=38827 RES=0x00 ACK RST URGP=0',
  'Nov 20 01:21:51 fw01 kernel: [1839478.950999] IPTABLES-ACCEPT: IN= OUT=eth0 SRC=10.70.44.195 DST=18.220.75.101 LEN=57 TOS=0x00 PREC=0x00 TTL=52 ID=59893 PROTO=UDP SPT=60765 DPT=53 LEN=37',
  'Nov 20 02:02:43 web03 kernel: [1841930.627999] [UFW ALLOW] IN= OUT=eth0 SRC=2001:db8:35ae:1f::3f5f DST=2a00:eebc:f652::4744 LEN=41 TC=0 HOPLIMIT=255 FLOWLBL=23767 PROTO=TCP SPT=52025 DPT=443 WINDOW=8192 RES=0x00 SYN URGP=0',
  'Nov 20 02:43:41 fw01 kernel: [1844388.723999] IPTABLES-ACCEPT: IN=eth1 OUT=eth0 MAC=3e:f7:77:1c:aa:28:08:78:cb:b2:15:23:08:00 SRC=10.133.206.36 DST=16.98.37.165 LEN=795 TOS=0x00 PREC=0x00 TTL=128 ID=51143 DF PROTO=TCP SPT=37877 DPT=49588 WINDOW=42855 RES=0x00 ACK PSH URGP=0',
  'Nov 20 03:00:00 gw kernel: MYLOG IN=eth0 OUT= SRC=010.001.002.003 DST=10.0.0.1 LEN=84 TTL=64 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1',
  'Nov 20 03:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=47',
  'Nov 20 03:00:02 gw kernel: DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=9999999999 PROTO=UDP SPT=65535 DPT=0',
  'Nov 20 03:00:03 gw kernel: DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=99999999999 PROTO=UDP SPT=1 DPT=2',
  'Nov 20 03:00:04 gw kernel: REJECT IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=68 TTL=64 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.1 DST=10.0.0.9 LEN=40 PROTO=TCP SPT=80 DPT=1234 ]',
  'Nov 20 03:00:05 gw kernel: IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1',
  'Nov 20 03:00:06 gw kernel: weird IN=eth0 OUT= SRC=::ffff:10.0.0.9 DST=fe80::1%eth0 PROTO=UDP SPT=1 DPT=2',
  '2026-11-20T03:00:07.123456+01:00 gw kernel: DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=1 DPT=2',
  '<4>1 2026-11-20T03:00:08Z gw kernel - - - DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=SCTP SPT=1 DPT=2',
  '[ 4374.583353] DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=tcp SPT=1 DPT=2',
  '[Thu Nov 19 20:05:08 2026] DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=1 DPT=2',
  '101 0 PVEFW-reject 20/Nov/2026:03:00:09 +0100 policy DROP: IN=fwbr1 OUT= SRC=10.0.0.9 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=1 DPT=2',
  '2100-12-31T23:59:59.999Z gw kernel: DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 PROTO=UDP SPT=1 DPT=2',
  '1990-01-01T00:00:00Z gw kernel: DROP IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 PROTO=UDP SPT=1 DPT=2',
];

const STAMPS = ['Feb 29 12:00:00', 'Mar 29 02:30:00', 'Oct 25 02:30:00', 'Dec 31 23:59:59', 'Jan  1 00:00:00', 'Nov 31 00:00:00',
  'Nov 20 24:00:00', 'Nov 20 23:59:60', 'Nov 20 10:00:00.999', '2101-01-01T00:00:00Z', '1989-12-31T23:59:59Z',
  '2100-12-31T23:59:59.999+00:00', '2026-02-30T00:00:00Z', '2026-11-20T10:00:00-12:00', 'Xyz 20 10:00:00'];

const ALPHABET = [' ', ' ', '=', '.', ':', '0', '5', '9', 'A', 'T', 'x', '\t', '[', ']', '\u00e9', '\ufffd', 'P', 'D', 'S', '1'];
const KEYS = ['SRC=', 'DST=', 'PROTO=', 'SPT=', 'DPT=', 'LEN=', 'IN=', 'OUT=', 'PROTO=ICMP', 'PROTO=UDP', 'PROTO=17', 'SRC=1.2.3.4', 'DST=::1'];

function mutate(line: string, r: () => number): string {
  let s = line;
  const k = 1 + Math.floor(r() * 3);
  for (let j = 0; j < k; j++) {
    const p = Math.floor(r() * (s.length + 1));
    const c = ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    switch (Math.floor(r() * 8)) {
      case 0: s = s.slice(0, p) + c + s.slice(p + 1); break; // replace
      case 1: s = s.slice(0, p) + s.slice(p + 1); break; // delete
      case 2: s = s.slice(0, p) + c + s.slice(p); break; // insert
      case 3: s = s.slice(0, p); break; // truncate
      case 4: s = s.slice(0, p) + ' ' + KEYS[Math.floor(r() * KEYS.length)]! + s.slice(p); break; // a key again
      case 5: { // swap two tokens
        const t = s.split(' ');
        const a = Math.floor(r() * t.length), b = Math.floor(r() * t.length);
        [t[a], t[b]] = [t[b]!, t[a]!];
        s = t.join(' ');
        break;
      }
      case 6: { // another timestamp in place of a BSD one
        if (/^[A-Z][a-z]{2} /.test(s)) s = STAMPS[Math.floor(r() * STAMPS.length)]! + s.slice(15);
        break;
      }
      default: s = s.slice(0, p) + '\n' + s.slice(p); // a wrapped line
    }
  }
  return s;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Pacific/Kiritimati', 'Etc/GMT+12'];

describe('iptables flows valid by construction skip the gate, with the same result', () => {
  it('the templates: the usual TCP/UDP IPv4 lines skip it, the others do not', () => {
    const got = same(Buffer.from(TEMPLATES.join('\n')), 'Europe/Berlin');
    const byLine = new Map(got.flows.map((f) => [f.line, f]));
    expect(byLine.get(1)).toMatchObject({ ts: Date.UTC(2026, 10, 19, 23, 0, 0), action: 'allow', transport: 'tcp', src_ip: '10.89.105.139',
      dst_ip: '32.221.92.160', src_port: 54818, dst_port: 443, bytes: 43, packets: 1, direction: 'outbound' });
    expect(byLine.get(6)).toMatchObject({ src_ip: '10.1.2.3', transport: 'icmp', action: 'deny', src_port: null });
    expect(byLine.get(7)).toMatchObject({ transport: 'gre', src_port: null });
    expect(byLine.get(8)).toMatchObject({ bytes: 9999999999, src_port: 65535, dst_port: 0 });
    expect(byLine.get(10)).toMatchObject({ transport: 'icmp', src_port: null, dst_port: null });
    expect(byLine.get(11)).toMatchObject({ transport: null, src_port: null, action: 'unknown' });
    expect(byLine.get(18)).toMatchObject({ ts: Date.UTC(2100, 11, 31, 23, 59, 59, 999) });
    expect(byLine.get(19)).toMatchObject({ ts: Date.UTC(1990, 0, 1) });
    expect(byLine.get(4)).toMatchObject({ src_ip: '2001:db8:35ae:1f::3f5f', dst_ip: '2a00:eebc:f652::4744', transport: 'tcp' });
    expect(byLine.get(12)).toMatchObject({ src_ip: '10.0.0.9', dst_ip: 'fe80::1', transport: 'udp' });
    expect(byLine.get(14)).toMatchObject({ transport: 'sctp', src_port: 1 }); // SCTP: through the gate
    // all but 6 (ICMP), 7 (GRE), 10 (ICMP), 14 (SCTP): TCP/UDP/no PROTO= with a checked stamp
    expect(got.direct).toBe(15);
    expect(got.flows.length).toBe(19);
    expect(got.skips).toEqual([]);
  });

  for (const [i, tz] of ZONES.entries()) {
    it(`seeded damaged lines, ${tz}`, () => {
      const r = rng(2000 + i);
      const lines: string[] = [];
      for (let j = 0; j < 12_000; j++) {
        const t = TEMPLATES[Math.floor(r() * TEMPLATES.length)]!;
        lines.push(r() < 0.3 ? t : mutate(t, r));
      }
      const got = same(Buffer.from(lines.join('\n')), tz);
      expect(got.direct).toBeGreaterThan(3000);
      expect(got.direct).toBeLessThan(got.flows.length);
      expect(got.skips.some((s) => s.kind === 'malformed')).toBe(true);
    });
  }

  it('fixtures', () => {
    const dir = join(ROOT, 'fixtures', 'iptables');
    let direct = 0, files = 0;
    for (const f of readdirSync(dir).filter((x) => !x.endsWith('.expected.jsonl'))) {
      direct += same(readFileSync(join(dir, f)), 'UTC', f).direct;
      files++;
    }
    expect(files).toBeGreaterThan(10);
    expect(direct).toBeGreaterThan(20);
  });

  const CORPUS = join(SHARED, 'corpus', 'iptables');
  it.skipIf(missingPath(CORPUS))('the real-log corpus', () => {
    let direct = 0, flows = 0;
    for (const f of readdirSync(CORPUS).filter((x) => !x.endsWith('.assert') && !x.endsWith('.md'))) {
      const data = readFileSync(join(CORPUS, f));
      for (const tz of ['UTC', 'America/New_York']) {
        const got = same(data, tz, f);
        direct += got.direct; flows += got.flows.length;
      }
    }
    expect(existsSync(CORPUS)).toBe(true);
    expect(direct).toBeGreaterThan(10_000);
    expect(direct).toBeLessThan(flows);
  });
});

describe('AddrInterner (the addresses of the flows that skip the gate)', () => {
  it('gives canonicalIp of a spelling or null, and its text always has the shape the gate checks', () => {
    const r = rng(71);
    const texts = ['::', '::1', '::ffff:1.2.3.4', '::ffff:102:304', '0::1', 'fe80::1%eth0', '[::1]', ':::1', 'ABCD::1', 'abcd::01',
      '010.001.002.003', '1.2.3.4', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '00000001.2.3.4', 'x.x.x.x', '1.2.3.4 ', '', ':'];
    for (let n = 0; n < 3000; n++) {
      const h = Array.from({ length: 8 }, () => (r() < 0.45 ? 0 : r() < 0.5 ? Math.floor(r() * 16) : Math.floor(r() * 65536)));
      const full = h.map((x) => x.toString(16));
      const a = Math.floor(r() * 8), b = a + Math.floor(r() * (9 - a));
      texts.push(full.join(':').toUpperCase(), `${full.slice(0, a).join(':')}::${full.slice(b).join(':')}`,
        `${Math.floor(r() * 300)}.${Math.floor(r() * 300)}.${r() < 0.2 ? '0' : ''}${Math.floor(r() * 300)}.${Math.floor(r() * 300)}`);
    }
    const ai = new AddrInterner();
    let valid = 0;
    for (const t of [...texts, ...texts]) { // twice: the second time from the caches
      const b = Buffer.from(`SRC=${t} `);
      const got = ai.addr(b, 4, b.length - 1);
      if (got === null) continue; // (it refuses some that canonicalIp rebuilds: `1.2.0003.4`)
      expect([t, got]).toEqual([t, canonicalIp(t)]);
      const f = newFlow('iptables', 'x', 1);
      f.src_ip = got; f.dst_ip = got;
      expect(validateFlow(f)).toBeNull();
      valid++;
    }
    expect(valid).toBeGreaterThan(8000);
  });
});
