/**
 * The byte writer of JSON Lines (src/sinks/line-bytes.ts) against the string template it replaces in
 * `parse` (NativeJsonEncoder, itself checked against JSON.stringify in test/sinks-serialize.test.ts) and
 * against JSON.stringify directly: byte for byte on every golden fixture, on hostile text and on every
 * number shape; the community id written as bytes and the IPv6 fast path against their string twins.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FLOW_COLUMNS, newFlow, type Flow } from '../src/model/flow.js';
import { ipv4ToInt, noteIpv4, parseIpv6 } from '../src/model/ip.js';
import { readFlows } from '../src/pipeline/run.js';
import { NativeCsvEncoder, NativeJsonEncoder, nativeRecord } from '../src/sinks/serialize.js';
import { csvCell } from '../src/reports/escape.js';
import { LineBuffer, NativeCsvBytes, NativeJsonBytes } from '../src/sinks/line-bytes.js';
import { communityId, communityIdJsonInto, ipv6Hex } from '../src/sinks/community-id.js';
import { byteRenderer } from '../src/sinks/flow-writer.js';
import { ROOT } from './helpers/cli.js';
import { goldenInputs } from './helpers/golden-inputs.js';

async function flowsOf(input: string, tz: string, year?: number): Promise<Flow[]> {
  const flows: Flow[] = [];
  await readFlows([join(ROOT, input)], { tz, ...(year ? { year } : {}) }, (f) => flows.push({ ...f, file: input }));
  return flows;
}

/** Encodes every flow into one small LineBuffer (so it grows), returns each record's bytes. */
function encodeAll(flows: Flow[]): Buffer[] {
  const enc = new NativeJsonBytes();
  const lb = new LineBuffer(64);
  const out: Buffer[] = [];
  for (const f of flows) {
    const at = lb.pos;
    enc.encode(f, lb);
    out.push(Buffer.from(lb.buf.subarray(at, lb.pos)));
    if (lb.pos > 4096) lb.take();
  }
  return out;
}

/** Hostile text, unusual values and every number shape, on one base flow. */
function hostileFlows(): { base: Flow; variants: Array<Partial<Flow> | Record<string, unknown>> } {
  const base = newFlow('iptables', 'dir/kern.log', 7);
  Object.assign(base, { ts: Date.UTC(2026, 2, 10, 9, 0, 5, 7), action: 'deny', transport: 'tcp', src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_port: 40000, dst_port: 443 });
  const variants: Array<Partial<Flow> | Record<string, unknown>> = [
    {},
    { rule: 'a"b\\c', device: 'line\nbreak\ttab\u0001\u001f', app: '\u2028\u2029 é 漢字 😀', url: 'x\u007fy' },
    { rule: '\ud800 lone', device: 'x\udc00', host: '😀'.slice(0, 1) }, // lone surrogates: escaped
    { rule: 'r'.repeat(200), device: 'é'.repeat(100), url: 'u'.repeat(100_000) + '"' }, // longer than a kept column, than the buffer
    { ts: null, src_port: null, dst_port: null, bytes: null, packets: null },
    { ts: 0 }, { ts: 999 }, { ts: 10 }, { ts: 100 }, { ts: -1 }, { ts: -1500 }, { ts: 1.5 }, { ts: 253402300799999 }, { ts: 253402300800000 }, { ts: 8.64e15 }, { ts: Number.NaN },
    { bytes: -0, packets: Number.NaN, line: Number.POSITIVE_INFINITY },
    { bytes: 0, packets: 9, line: 10 }, { bytes: 2147483647, packets: 2147483648, line: 4294967296 },
    { bytes: -1, packets: -2147483648, line: 0.5 }, { bytes: 1e21, packets: 12345678901234, line: 1e-7 },
    { src_ip: '2001:db8::1', dst_ip: '2001:db8::1', src_port: 5, dst_port: 4 },
    { src_ip: '::ffff:10.0.0.1', dst_ip: '10.0.0.2' }, { src_ip: 'fe80::1%eth0', dst_ip: '[::2]' },
    { transport: 'icmp', src_port: null, dst_port: null },
    { transport: '132' }, { transport: '300' }, { transport: 'weird' }, { transport: null },
    { src_ip: 'not-an-ip' }, { src_ip: '10.0.0.2', dst_ip: '10.0.0.1' },
    { src_ip: '10.0.0.1"', dst_ip: 'é' }, { dst_ip: 'a\\b' }, { src_ip: '\u0000' }, { src_ip: '1'.repeat(64) }, { dst_ip: '2'.repeat(65) }, { src_ip: '' },
    { transport: 'gre', src_port: 2147483648, dst_port: -0 }, { transport: 'icmp', dst_port: 1.5 }, { transport: 'gre', src_port: Number.NaN }, { src_port: 0, dst_port: -0 }, { line: -1 }, { bytes: 2147483647, packets: 0 },
    { host: 'h', url: null }, { host: null, url: 'u' },
    { app: undefined }, // JSON.stringify leaves the key out
    { rule: true, device: { x: 1 }, app: ['a', 1], host: 5, url: 1.5, bytes: 'text', line: null },
  ];
  return { base, variants };
}

describe('JSON Lines as bytes = the string template and JSON.stringify, byte for byte', () => {
  for (const g of goldenInputs()) {
    it(g.input, async () => {
      const flows = await flowsOf(g.input, g.tz, g.year);
      expect(flows.length).toBeGreaterThan(0);
      const str = new NativeJsonEncoder();
      const bytes = encodeAll(flows);
      flows.forEach((f, i) => {
        const want = str.encode(f) + '\n';
        expect(bytes[i]!.toString('utf8')).toBe(want);
        expect(bytes[i]!.equals(Buffer.from(JSON.stringify(nativeRecord(f)) + '\n'))).toBe(true);
      });
    });
  }

  it('hostile text, unusual values and every number shape', () => {
    const { base, variants } = hostileFlows();
    const enc = new NativeJsonBytes();
    const lb = new LineBuffer(64);
    // three rounds, so that kept values of one flow meet the next, the same value twice in a row too
    for (let round = 0; round < 3; round++) {
      for (const v of variants) {
        for (let twice = 0; twice < 2; twice++) {
          const f = { ...base, ...v } as Flow;
          const at = lb.pos;
          enc.encode(f, lb);
          expect(lb.buf.subarray(at, lb.pos).toString('utf8'), JSON.stringify(v)?.slice(0, 200)).toBe(JSON.stringify(nativeRecord(f)) + '\n');
        }
      }
      lb.take();
    }
  });

  it('columns with more values than are kept (and values kept long ago) are written right', () => {
    const enc = new NativeJsonBytes();
    const lb = new LineBuffer(1024);
    for (let i = 0; i < 1000; i++) {
      const f = newFlow('panos-syslog', i % 7 ? 'fw.log' : 'other.log', i);
      Object.assign(f, { action: i % 3 ? 'deny' : 'allow', rule: `rule-${(i * 37) % 150}`, app: i % 5 ? null : `app-${i % 11}`, device: i % 2 ? 'fw1' : 'fw2', end_reason: 'x'.repeat(i % 120) });
      const at = lb.pos;
      enc.encode(f, lb);
      expect(lb.buf.subarray(at, lb.pos).toString('utf8')).toBe(JSON.stringify(nativeRecord(f)) + '\n');
      if (lb.pos > 8192) lb.take();
    }
  });

  it('timestamps: every day and second boundary, back and forth, the whole 4-digit-year range', () => {
    const rnd = mulberry(31);
    const enc = new NativeJsonBytes();
    const lb = new LineBuffer(256);
    const base = newFlow('iptables', 'a.log', 1);
    const DAY = 86_400_000, MAX = 253402300799999;
    const ts: number[] = [0, 999, 1000, DAY - 1, DAY, MAX, MAX - 999, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 1), Date.UTC(2000, 0, 1), Date.UTC(1970, 0, 1, 0, 0, 1)];
    for (let i = 0; i < 20_000; i++) {
      const prev = ts[ts.length - 1]!;
      const r = rnd();
      // far jumps, steps across seconds and midnight, a step back, the same millisecond again
      const next = r < 0.1 ? Math.floor(rnd() * MAX) : r < 0.5 ? prev + Math.floor(rnd() * 3000) : r < 0.6 ? prev - Math.floor(rnd() * 2 * DAY) : r < 0.7 ? prev : prev + DAY - (prev % DAY) - 1 + Math.floor(rnd() * 3);
      ts.push(Math.min(MAX + 5, Math.max(-5, next)));
    }
    for (const t of ts) {
      const f = { ...base, ts: t };
      const at = lb.pos;
      enc.encode(f, lb);
      const got = lb.buf.subarray(at, lb.pos).toString('utf8');
      const want = JSON.stringify(nativeRecord(f)) + '\n';
      if (got !== want) expect(got, String(t)).toBe(want);
      if (lb.pos > 1 << 16) lb.take();
    }
    expect(ts.length).toBe(20_011);
  });

  it.each([
    ['JSON Lines', () => new NativeJsonBytes(), (f: Flow) => JSON.stringify(nativeRecord(f)) + '\n'],
    ['CSV', () => new NativeCsvBytes(), refCsvLine],
  ] as const)('cached column runs (%s): phases of few and many values, resting and resuming, hostile and long values, numbers, host/url', (_name, make, ref) => {
    const rnd = mulberry(23);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const few = ['allow', 'deny'] as const;
    const rules = ['r1', 'r"2', 'x'.repeat(600), 'é', null, 'r\\5'];
    const enc = make();
    const lb = new LineBuffer(256);
    let n = 0;
    // phases: few values (segments hit), many values (they miss, then rest), few again (after the rest they hit again)
    for (const [phase, count] of [['few', 3000], ['many', 20000], ['few', 20000], ['mixed', 5000]] as const) {
      for (let i = 0; i < count; i++, n++) {
        const f = newFlow(pick(['iptables', 'panos-syslog']), pick(['a.log', 'dir/b "c".log']), n + 1);
        const many = phase === 'many' || (phase === 'mixed' && rnd() < 0.5);
        Object.assign(f, {
          ts: 1_700_000_000_000 + Math.floor(n / 3) * 7, action: pick(few), raw_action: many ? `raw-${Math.floor(rnd() * 500)}` : pick(['DROP', 'ACCEPT']),
          transport: pick(['tcp', 'udp', 'icmp']), src_ip: `10.0.${n & 255}.1`, dst_ip: '10.0.0.2', src_port: n & 65535, dst_port: 443,
          direction: pick(['inbound', 'outbound', null]), device: many ? `dev-${Math.floor(rnd() * 100)}` : 'fw1', rule: pick(rules),
          app: many ? pick(['ssl', 'dns', null, 'web "x"']) : null, bytes: rnd() < 0.5 ? null : n, packets: rnd() < 0.5 ? null : 2,
          end_reason: many ? `reason-${Math.floor(rnd() * 300)}` : pick(['aged-out', null]),
          host: rnd() < 0.2 ? 'example.com' : null, url: rnd() < 0.1 ? 'http://example.com/"a"' : null,
        });
        if (phase === 'mixed' && rnd() < 0.05) Object.assign(f, pick([{ rule: 7 }, { device: true }, { app: { a: 1 } }, { end_reason: 1.5 }, { direction: undefined }]));
        const at = lb.pos;
        enc.encode(f, lb);
        const got = lb.buf.subarray(at, lb.pos).toString('utf8');
        const want = ref(f);
        if (got !== want) expect(got, `flow ${n} (${phase})`).toBe(want);
        if (lb.pos > 1 << 16) lb.take();
      }
    }
    expect(n).toBe(48000);
  });

  it('the renderer of every format and schema writes whole lines as UTF-8 of the string renderers', async () => {
    const flows = await flowsOf('fixtures/iptables/bsd-ufw.log', 'UTC', 2025);
    const r = byteRenderer('jsonl', 'native');
    const lb = new LineBuffer(16);
    for (const f of flows) r(f, lb);
    expect(lb.buf.subarray(0, lb.pos).toString('utf8')).toBe(flows.map((f) => JSON.stringify(nativeRecord(f)) + '\n').join(''));
    const taken = lb.take();
    expect(taken.byteOffset).toBe(0);
    expect(lb.pos).toBe(0);
  });
});

/** The CSV row of the native columns as the reference writes it: csvCell of each value of the native record. */
function refCsvLine(f: Flow): string {
  const o = nativeRecord(f);
  return [...FLOW_COLUMNS, 'community_id'].map((c) => csvCell(o[c])).join(',') + '\n';
}

describe('CSV rows as bytes = the string template and csvCell, byte for byte', () => {
  for (const g of goldenInputs()) {
    it(g.input, async () => {
      const flows = await flowsOf(g.input, g.tz, g.year);
      const str = new NativeCsvEncoder();
      const enc = new NativeCsvBytes();
      const lb = new LineBuffer(64);
      for (const f of flows) {
        const at = lb.pos;
        enc.encode(f, lb);
        const got = lb.buf.subarray(at, lb.pos).toString('utf8');
        expect(got).toBe(str.encode(f) + '\n');
        expect(got).toBe(refCsvLine(f));
        if (lb.pos > 4096) lb.take();
      }
    });
  }

  it('hostile text, formulas, unusual values and every number shape', () => {
    const { base, variants } = hostileFlows();
    const more: Array<Record<string, unknown>> = [
      { rule: '=1+2', device: '+x', app: '-y', url: '@z', host: '\tTab', end_reason: '\rcr' }, { src_ip: '=1', dst_ip: '-2' }, { src_ip: '+1.2.3.4' }, { src_ip: '-1' }, { dst_ip: '-2' }, { dst_ip: '@2' }, { src_ip: '=' },
      { rule: 'a,b', device: 'a"b', app: 'a\nb', url: 'a\r\nb' }, { device: '', rule: '' }, { src_ip: '1,2', dst_ip: '"' },
      { bytes: Number.NaN, packets: Number.POSITIVE_INFINITY, line: -0 }, { ts: -1 }, { ts: -8.64e15 }, { ts: 253402300800000 }, { src_ip: '@', dst_ip: '' },
    ];
    const enc = new NativeCsvBytes();
    const str = new NativeCsvEncoder();
    const lb = new LineBuffer(64);
    for (let round = 0; round < 3; round++) {
      for (const v of [...variants, ...more]) {
        for (let twice = 0; twice < 2; twice++) {
          const f = { ...base, ...v } as Flow;
          const at = lb.pos;
          enc.encode(f, lb);
          // (as bytes: a lone surrogate is written as UTF-8 of U+FFFD, as Buffer writes any string)
          const got = Buffer.from(lb.buf.subarray(at, lb.pos));
          expect(got.toString('utf8'), JSON.stringify(v)?.slice(0, 200)).toBe(Buffer.from(refCsvLine(f)).toString('utf8'));
          expect(got.equals(Buffer.from(refCsvLine(f)))).toBe(true);
          expect(got.equals(Buffer.from(str.encode(f) + '\n'))).toBe(true);
        }
      }
      lb.take();
    }
  });

  it('timestamps across day and second boundaries, back and forth', () => {
    const rnd = mulberry(37);
    const enc = new NativeCsvBytes();
    const lb = new LineBuffer(256);
    const base = newFlow('winfw', 'a.log', 1);
    let t = Date.UTC(2026, 0, 1) - 5000;
    for (let i = 0; i < 20_000; i++) {
      const r = rnd();
      t = r < 0.05 ? Math.floor(rnd() * 253402300799999) : r < 0.6 ? t + Math.floor(rnd() * 3000) : r < 0.7 ? t - Math.floor(rnd() * 172_800_000) : t + 86_400_000 - (t % 86_400_000) - 1;
      const f = { ...base, ts: Math.max(0, t) };
      const at = lb.pos;
      enc.encode(f, lb);
      const got = lb.buf.subarray(at, lb.pos).toString('utf8');
      if (got !== refCsvLine(f)) expect(got, String(f.ts)).toBe(refCsvLine(f));
      if (lb.pos > 1 << 16) lb.take();
    }
  });
});

describe('community id and IPv6 on bytes', () => {
  const ADDRS = [
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '2001:DB8::A', 'fe80::1%eth0', '[::1]',
    '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8:9', '::1:2:3:4:5:6:7:8', '1::2::3', ':::', ':1', '1:', '1:2', '12345::', 'g::1', '1:::2',
    '1:2:3:4:5:6:1.2.3.4', '::12.34.56.78', '1234.5.6.7::', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789', '0:0:0:0:0:0:0:0', ':', '',
  ];
  it('ipv6Hex reads what parseIpv6 reads, or leaves it to parseIpv6', () => {
    const b = new Uint8Array(16);
    const rnd = mulberry(7);
    const alphabet = '0123456789abcdefABCDEF::.%[]g';
    const extra: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const n = 1 + Math.floor(rnd() * 24);
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      extra.push(s);
      // and an address: 8 random hextets, some zero, a run of them compressed, random case
      const h = Array.from({ length: 8 }, () => (rnd() < 0.4 ? 0 : Math.floor(rnd() * 65536)).toString(16));
      const a = Math.floor(rnd() * 9), e = a + Math.floor(rnd() * (9 - a));
      const text = rnd() < 0.3 ? h.join(':') : `${h.slice(0, a).join(':')}::${h.slice(e).join(':')}`;
      extra.push(rnd() < 0.2 ? text.toUpperCase() : text);
    }
    let fast = 0, valid = 0;
    for (const s of [...ADDRS, ...extra]) {
      const r = ipv6Hex(s, b);
      if (r < 0) continue;
      fast++;
      const h = parseIpv6(s);
      if (r === 0) expect(h, s).toBeNull();
      else {
        expect(h, s).not.toBeNull();
        valid++;
        expect([...b], s).toEqual(h!.flatMap((x) => [x >>> 8, x & 255]));
      }
    }
    expect(fast).toBeGreaterThan(15_000);
    expect(valid).toBeGreaterThan(10_000);
  });

  it('communityIdJsonInto writes the text communityId gives', () => {
    const rnd = mulberry(11);
    const out = new Uint8Array(40);
    const transports = ['tcp', 'udp', 'icmp', 'sctp', '47', '300', 'weird', null];
    const v6 = ADDRS.slice(0, 8);
    for (let i = 0; i < 5_000; i++) {
      const six = rnd() < 0.3;
      const ip = () => (six ? v6[Math.floor(rnd() * v6.length)]! : `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.0.${Math.floor(rnd() * 3)}`);
      const t = transports[Math.floor(rnd() * transports.length)]!;
      const sp = rnd() < 0.1 ? null : Math.floor(rnd() * 65536), dp = Math.floor(rnd() * 65536);
      const src = rnd() < 0.05 ? null : ip(), dst = ip();
      const want = communityId(t, src, dst, sp, dp);
      const ok = communityIdJsonInto(out, 3, t, src, dst, sp, dp);
      expect(ok).toBe(want !== null);
      if (want !== null) expect(Buffer.from(out.subarray(3, 35)).toString('latin1')).toBe(JSON.stringify(want));
      // as in a parser: the flow's dotted quads noted with their integers just before (the IPv4 fast path reads them)
      if (!six && src !== null && rnd() < 0.8) {
        noteIpv4(src, ipv4ToInt(src));
        noteIpv4(dst, ipv4ToInt(dst));
        out.fill(0);
        expect(communityIdJsonInto(out, 3, t, src, dst, sp, dp)).toBe(want !== null);
        if (want !== null) expect(Buffer.from(out.subarray(3, 35)).toString('latin1')).toBe(JSON.stringify(want));
      }
    }
  });

  it('the IPv4 fast path: known vectors, order, equal addresses, ports out of range', () => {
    const out = new Uint8Array(40);
    const text = (t: string, a: string, b: string, sp: number | null, dp: number | null): string | null =>
      communityIdJsonInto(out, 0, t, a, b, sp, dp) ? Buffer.from(out.subarray(1, 31)).toString('latin1') : null;
    // the spec's examples (corelight/community-id-spec baseline): TCP and UDP, both directions
    expect(text('tcp', '128.232.110.120', '66.35.250.204', 34855, 80)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    expect(text('tcp', '66.35.250.204', '128.232.110.120', 80, 34855)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    noteIpv4('66.35.250.204', ipv4ToInt('66.35.250.204'));
    noteIpv4('128.232.110.120', ipv4ToInt('128.232.110.120'));
    expect(text('tcp', '66.35.250.204', '128.232.110.120', 80, 34855)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    for (const [t, a, b, sp, dp] of [
      ['udp', '10.0.0.1', '10.0.0.1', 53, 1000], ['udp', '10.0.0.1', '10.0.0.1', 1000, 53], ['icmp', '255.255.255.255', '0.0.0.0', 3, 4],
      ['6', '200.1.1.1', '100.1.1.1', null, 0], ['sctp', '1.2.3.4', '5.6.7.8', 65535, 0], ['gre', '1.2.3.4', '5.6.7.8', 70000, -1],
    ] as const) {
      expect(text(t, a, b, sp, dp), `${t} ${a} ${b}`).toBe(communityId(t, a, b, sp, dp));
    }
    expect(() => text('tcp', '1.2.3.4', '5.6.7.8', 70000, 1)).toThrow(RangeError);
    expect(() => communityId('tcp', '1.2.3.4', '5.6.7.8', 70000, 1)).toThrow(RangeError);
    expect(text('tcp', '1.2.3.4', '::1', 1, 2)).toBeNull();
    expect(text('tcp', '1.2.3.256', '1.2.3.4', 1, 2)).toBeNull();
    expect(text('', '1.2.3.4', '1.2.3.5', 1, 2)).toBeNull();
  });
});

function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
