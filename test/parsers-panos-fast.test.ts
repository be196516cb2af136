/**
 * PAN-OS syslog fast paths (issue 14): what the parser remembers from the previous line (the syslog
 * header's message start, the last kept column values, canonical addresses, the last timestamps) and
 * the high_res_timestamp search past the last column read must never change a line's result. Each test
 * parses lines one after another in one buffer (as the LineFramer hands them) and compares every line
 * with the same line parsed alone by a fresh parser, which has nothing to remember.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { panos } from '../parsers/panos/index.js';
import type { SkipKind } from '../parsers/types.js';
import { validateFlow, type Flow } from '../src/model/flow.js';
import { YearInferrer, ZoneConverter } from '../src/model/time.js';
import { canonicalIp } from '../src/model/ip.js';
import { mulberry32 as rng } from './helpers/prng.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BSD = readFileSync(join(ROOT, 'fixtures', 'panos', 'syslog-bsd-10x.log'), 'utf8').split('\n').filter((l) => l !== '');

type Result = { flow?: Flow; skip?: { reason: string; kind: SkipKind } };

function parser(out: Map<number, Result>) {
  const det = panos.forced('panos-syslog', BSD.join('\n'));
  return panos.create(det, {
    file: 'test.log', zone: new ZoneConverter('UTC'), years: new YearInferrer(undefined, Date.UTC(2026, 11, 31)), actionMap: new Map(),
  }, {
    flow: (f: Flow) => out.set(f.line, { flow: f }),
    skip: (reason: string, line: number, kind: SkipKind) => out.set(line, { skip: { reason, kind } }),
    note: () => undefined,
  });
}

/** Every line in sequence from one buffer (one parser) and each line alone (a fresh parser each). */
function sequenceAndAlone(lines: string[]): { seq: Result[]; alone: Result[] } {
  const data = Buffer.from(lines.join('\n'), 'utf8');
  const seqOut = new Map<number, Result>();
  const p = parser(seqOut);
  let pos = 0;
  lines.forEach((l, i) => {
    const n = Buffer.byteLength(l, 'utf8');
    p.bytes!(data, pos, pos + n, i + 1);
    pos += n + 1;
  });
  const alone = lines.map((l, i) => {
    const out = new Map<number, Result>();
    const b = Buffer.from(l, 'utf8');
    parser(out).bytes!(b, 0, b.length, i + 1);
    return out.get(i + 1)!;
  });
  return { seq: lines.map((_, i) => seqOut.get(i + 1)!), alone };
}

const base = BSD[0]!; // `<14>Mar  9 14:02:11 PA-3220 1,2024/03/09 14:02:11,…,TRAFFIC,end,…`
const HDR = '<14>Mar  9 14:02:11 PA-3220 ';
const body = base.slice(HDR.length);

describe('PAN-OS syslog: a line parses the same after any other line as alone', () => {
  it('the fixture parses as a flow with its header found by the header module', () => {
    expect(base.startsWith(HDR)).toBe(true);
    const { seq } = sequenceAndAlone([base]);
    expect(seq[0]!.flow?.src_ip).toBe('10.1.2.20');
    expect(seq[0]!.flow?.device).toBe('PA-3220');
  });

  it('the same header before a body the header module reads differently (tag, ISO stamp, uptime, relay)', () => {
    const variants = [
      base,
      // the body's first token ends with `:` (a `name[pid]:` tag for the header module)
      HDR + body.replace('1,2024/03/09 14:02:11', '1,2024/03/09[1]: 14:02:11'),
      HDR + body.replace('1,2024/03/09 14:02:11', '1,2024/03/09T14:02:11'),
      HDR + body.replace('1,2024/03/09 14:02:11', '2024-03-09T14:02:11'),
      HDR + body.replace(/^1,/, ''),
      HDR + '[ 12.5] ' + body,
      HDR + 'kernel: ' + body,
      HDR + 'user.info kernel: ' + body,
      HDR + 'Mar  9 14:02:11 PA-5000 ' + body, // a relay's inner header
      HDR + ' ' + body,
      HDR + body.replace('1,2024/03/09 14:02:11', 'x1:,2024/03/09 14:02:11'),
      HDR + body.replace('1,2024/03/09 14:02:11', '1,2024/03/09 14:02:11'.replace(' ', '\t')),
      '<14>Mar  9 14:02:11 ' + body, // no host: the body's first token is read as the host
      '<14>' + body,
      body,
      // bodies that also read as a body one column further on, where the header module would start
      // them: after a `name[pid]:` tag, and after an ISO stamp (a PRI without a header, then a stamp)
      HDR + body.replace('1,2024/03/09 14:02:11,013201000111,TRAFFIC,', '1,2024/03/09[1]: 5,2024/03/09 14:02:11,TRAFFIC,TRAFFIC,'),
      '<14>' + body.replace('1,2024/03/09 14:02:11,013201000111,TRAFFIC,', '2024-03-09T14:02:11 1,2024/03/09 14:02:11,TRAFFIC,TRAFFIC,'),
    ];
    // each variant right after the plain line (whose header the parser remembers), twice in a row, and
    // after a line with a PRI and no header
    const lines = variants.flatMap((v) => [base, v, v, '<14>' + body, v]);
    const { seq, alone } = sequenceAndAlone(lines);
    expect(seq).toEqual(alone);
    // the tag and uptime variants still read the body; the relay names the inner device
    expect(seq[5 * 1 + 1]!.flow?.src_ip).toBe('10.1.2.20');
    expect(seq[5 * 5 + 1]!.flow?.src_ip).toBe('10.1.2.20');
    expect(seq[5 * 8 + 1]!.flow?.device).toBe('PA-3220');
    // the two shifted bodies: read where the header module starts them (serial `TRAFFIC`, subtype `end`)
    for (const k of [variants.length - 2, variants.length - 1]) {
      expect(seq[5 * k + 1]!.flow?.src_ip).toBe('10.1.2.20');
      expect(seq[5 * k + 4]!.flow?.src_ip).toBe('10.1.2.20');
    }
  });

  it('high_res_timestamp is looked for in its own line only, not in the next line of the buffer', () => {
    // line 1 without a high_res_timestamp; line 2 has one 1 s after line 1's time_generated
    const noHiRes = base.replace('2024-03-09T14:02:10.250-05:00', '');
    const next = base.replace('2024-03-09T14:02:10.250-05:00', '2024-03-09T14:02:11.000+00:00');
    const { seq, alone } = sequenceAndAlone([noHiRes, next]);
    expect(seq).toEqual(alone);
    expect(seq[0]!.flow?.ts).toBe(Date.UTC(2024, 2, 9, 14, 2, 10)); // time_generated, UTC
    expect(seq[1]!.flow?.ts).toBe(Date.UTC(2024, 2, 9, 14, 2, 11));
  });

  it('kept columns that change between lines of the same length, quoted and escaped values', () => {
    const rule = (r: string) => base.replace(',allow-web-out,', `,${r},`);
    const lines = [rule('rule-a'), rule('rule-b'), rule('rule-a'), rule('"rule-a"'), rule('"rule""a"'), rule(''), rule('rule-a'),
      base.replace(',PA-3220,from-policy', ',PA-3221,from-policy'), base, base.replace(',PA-3220,from-policy', ',,from-policy')];
    const { seq, alone } = sequenceAndAlone(lines);
    expect(seq).toEqual(alone);
    expect(seq.map((r) => r.flow?.rule ?? null)).toEqual(['rule-a', 'rule-b', 'rule-a', 'rule-a', 'rule"a', null, 'rule-a',
      'allow-web-out', 'allow-web-out', 'allow-web-out']);
    expect(seq.map((r) => r.flow?.device)).toEqual([...Array(7).fill('PA-3220'), 'PA-3221', 'PA-3220', '013201000111']);
  });

  it('addresses other than a plain dotted quad: canonical text, the same every time', () => {
    const addr = (s: string, d: string) => base.replace(',10.1.2.20,198.51.100.80,', `,${s},${d},`);
    const lines = [addr('FE80::0001', '2001:DB8:0:0:0:0:0:1'), addr('fe80::1', '2001:db8::1'), addr('FE80::0001', '2001:DB8:0:0:0:0:0:1'),
      addr('010.001.002.020', '::ffff:198.51.100.80'), addr('fe80::1%eth0', ' 2001:db8::1 '), addr('fe80:::1', '2001:db8::1'),
      addr('fe80:::1', '2001:db8::1')];
    const { seq, alone } = sequenceAndAlone(lines);
    expect(seq).toEqual(alone);
    expect(seq.map((r) => r.flow ? `${r.flow.src_ip} ${r.flow.dst_ip}` : r.skip!.reason)).toEqual([
      'fe80::1 2001:db8::1', 'fe80::1 2001:db8::1', 'fe80::1 2001:db8::1', '10.1.2.20 198.51.100.80', 'fe80::1 2001:db8::1',
      'panos invalid address', 'panos invalid address']);
  });

  it('IPv6 in any spelling: the canonical text (taken from the bytes when they are already canonical), else malformed', () => {
    const r = rng(61);
    const texts: string[] = ['::', '::1', '1::', '::ffff:1.2.3.4', '::ffff:102:304', '0::1', '1:0::2', '1:0:0:2::3', 'fe80::1%eth0',
      '[::1]', ':::1', '1:', ':1', 'ABCD::1', 'abcd::01', '12345::1', '1::g', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '1:2:3:4:5:6:7:0'];
    for (let n = 0; n < 600; n++) {
      const h = Array.from({ length: 8 }, () => (r() < 0.45 ? 0 : r() < 0.5 ? Math.floor(r() * 16) : Math.floor(r() * 65536)));
      const full = h.map((x) => x.toString(16));
      const a = Math.floor(r() * 8), b = a + Math.floor(r() * (9 - a));
      texts.push(full.join(':'), canonicalIp(full.join(':'))!, `${full.slice(0, a).join(':')}::${full.slice(b).join(':')}`);
    }
    const lines = texts.map((t) => base.replace(',10.1.2.20,198.51.100.80,', `,${t},${t.toUpperCase()},`));
    const { seq, alone } = sequenceAndAlone(lines);
    expect(seq).toEqual(alone);
    let flows = 0;
    texts.forEach((t, i) => {
      const c = canonicalIp(t), cu = canonicalIp(t.toUpperCase());
      if (c === null || cu === null) expect(seq[i]!.skip?.reason).toBe('panos invalid address');
      else { expect([seq[i]!.flow!.src_ip, seq[i]!.flow!.dst_ip]).toEqual([c, cu]); expect(validateFlow(seq[i]!.flow!)).toBeNull(); flows++; }
    });
    expect(flows).toBeGreaterThan(1000);
  });

  it('syslog flows skip the gate: valid by construction, ports of port-less protocols null, bad values malformed', () => {
    const proto = (p: string) => base.replace(',0x400053,tcp,allow,', `,0x400053,${p},allow,`);
    const lines = [proto('icmp'), proto('1'), proto('58'), proto('gre'), proto('6'), proto('0'), proto('255'), proto('256'), proto(''),
      base.replace(',allow,5830,5830,0,24,', ',allow,9999999999999999,5830,0,99999999999999999,'),
      base.replace(',2024/03/09 14:02:10,', ',1989/12/31 23:59:59,').replace('2024-03-09T14:02:10.250-05:00', ''),
      base.replace(',60113,443,', ',60113,65536,')];
    const { seq, alone } = sequenceAndAlone(lines);
    expect(seq).toEqual(alone);
    for (const r of seq) if (r.flow) expect(validateFlow(r.flow)).toBeNull();
    expect(seq.map((r) => (r.flow ? `${r.flow.transport} ${r.flow.src_port} ${r.flow.dst_port} ${r.flow.bytes} ${r.flow.packets}` : r.skip!.reason))).toEqual([
      'icmp null null 5830 24', 'icmp null null 5830 24', 'icmpv6 null null 5830 24', 'gre null null 5830 24', 'tcp 60113 443 5830 24',
      '0 null null 5830 24', '255 null null 5830 24', 'panos TRAFFIC columns match no known layout (protocol/action)',
      'panos TRAFFIC columns match no known layout (protocol/action)', 'tcp 60113 443 null null',
      'panos invalid timestamp year out of range (1990-2100) (time_generated)', 'panos invalid destination port']);
  });
});
