/**
 * The template writers (src/sinks/serialize.ts) against the straightforward implementation they replace
 * (an object per flow through JSON.stringify, csvCell per column, a SHA-1 community id with fresh buffers):
 * byte for byte on every golden fixture and on hostile field values.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { FLOW_COLUMNS, newFlow, type Flow } from '../src/model/flow.js';
import { ipv4ToInt, parseIpv6 } from '../src/model/ip.js';
import { isoUtc } from '../src/model/time.js';
import { csvCell } from '../src/reports/escape.js';
import { readFlows } from '../src/pipeline/run.js';
import { NativeCsvEncoder, NativeJsonEncoder, TimestampText } from '../src/sinks/serialize.js';
import { communityId } from '../src/sinks/community-id.js';
import { csvWriter, jsonlWriter } from '../src/sinks/flow-writer.js';
import { ROOT } from './helpers/cli.js';
import { goldenInputs } from './helpers/golden-inputs.js';

// ---- the reference: the writers as they were before the template encoders ----
const PROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };
function refIpBytes(ip: string): Buffer | null {
  if (ip.indexOf(':') < 0) {
    const n = ipv4ToInt(ip);
    if (n < 0) return null;
    const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b;
  }
  const h = parseIpv6(ip);
  if (!h) return null;
  const b = Buffer.alloc(16); h.forEach((x, i) => b.writeUInt16BE(x, i * 2)); return b;
}
function refCommunityId(transport: string | null, src: string | null, dst: string | null, sport: number | null, dport: number | null): string | null {
  if (!transport || !src || !dst) return null;
  const proto = PROTO_NUM[transport] ?? (/^\d+$/.test(transport) ? Number(transport) : null);
  if (proto === null || proto > 255) return null;
  let a = refIpBytes(src), b = refIpBytes(dst);
  if (!a || !b || a.length !== b.length) return null;
  const hasPorts = proto === 6 || proto === 17 || proto === 132;
  let pa = hasPorts ? (sport ?? 0) : 0, pb = hasPorts ? (dport ?? 0) : 0;
  const cmp = Buffer.compare(a, b);
  if (cmp > 0 || (cmp === 0 && pa > pb)) { [a, b] = [b, a]; [pa, pb] = [pb, pa]; }
  const buf = Buffer.alloc(2 + a.length * 2 + 2 + (hasPorts ? 4 : 0));
  let o = 0;
  buf.writeUInt16BE(0, o); o += 2; a.copy(buf, o); o += a.length; b.copy(buf, o); o += b.length;
  buf.writeUInt8(proto, o); o += 1; buf.writeUInt8(0, o); o += 1;
  if (hasPorts) { buf.writeUInt16BE(pa, o); o += 2; buf.writeUInt16BE(pb, o); }
  return `1:${createHash('sha1').update(buf).digest('base64')}`;
}
function refNative(f: Flow): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of FLOW_COLUMNS) o[c] = c === 'ts' ? isoUtc(f.ts) : f[c];
  o['community_id'] = refCommunityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port);
  return o;
}
const refJson = (f: Flow) => JSON.stringify(refNative(f));
const NATIVE = [...FLOW_COLUMNS, 'community_id'];
const refCsv = (f: Flow) => { const o = refNative(f); return NATIVE.map((c) => csvCell(o[c])).join(','); };

async function flowsOf(input: string, tz: string, year?: number): Promise<Flow[]> {
  const flows: Flow[] = [];
  await readFlows([join(ROOT, input)], { tz, ...(year ? { year } : {}) }, (f) => flows.push({ ...f, file: input }));
  return flows;
}

describe('template JSON Lines and CSV = JSON.stringify and csvCell, byte for byte', () => {
  const inputs = goldenInputs();
  it('covers the golden fixtures', () => { expect(inputs.length).toBeGreaterThanOrEqual(20); });
  for (const g of inputs) {
    it(g.input, async () => {
      const flows = await flowsOf(g.input, g.tz, g.year);
      expect(flows.length).toBeGreaterThan(0);
      const j = new NativeJsonEncoder(), c = new NativeCsvEncoder();
      for (const f of flows) {
        expect(j.encode(f)).toBe(refJson(f));
        expect(c.encode(f)).toBe(refCsv(f));
      }
    });
  }

  it('hostile and unusual field values', () => {
    const base = newFlow('iptables', 'dir/kern.log', 7);
    Object.assign(base, { ts: Date.UTC(2026, 2, 10, 9, 0, 5, 7), action: 'deny', transport: 'tcp', src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_port: 40000, dst_port: 443 });
    const variants: Array<Partial<Flow> | Record<string, unknown>> = [
      {},
      { rule: 'a"b\\c', device: 'line\nbreak\ttab\u0001\u001f', app: '\u2028\u2029 é 漢字 😀' },
      { rule: '\ud800 lone', device: 'x\udc00' }, // lone surrogates: JSON.stringify escapes them
      { rule: '=cmd|calc', device: '+1', app: '-x', end_reason: '@a', host: '\tz', url: '\rq' }, // formulas
      { rule: 'a,b', device: 'say "hi"', url: 'http://x/?a=1,b=2\r\n' },
      { ts: null, src_port: null, dst_port: null, bytes: null, packets: null },
      { ts: 0 }, { ts: 999 }, { ts: -1 }, { ts: -1500 }, { ts: 1.5 }, { ts: 253402300799999 }, { ts: 253402300800000 }, { ts: 8.64e15 }, { ts: Number.NaN },
      { bytes: -0, packets: Number.NaN, line: Number.POSITIVE_INFINITY },
      { bytes: 1e21, packets: 12345678901234 },
      { src_ip: '2001:db8::1', dst_ip: '2001:db8::1', src_port: 5, dst_port: 4 },
      { src_ip: '::ffff:10.0.0.1', dst_ip: '10.0.0.2' },
      { transport: 'icmp', src_port: null, dst_port: null },
      { transport: '132' }, { transport: '300' }, { transport: 'weird' }, { transport: null },
      { src_ip: 'not-an-ip' }, { src_ip: '10.0.0.2', dst_ip: '10.0.0.1' }, { src_ip: '10.0.0.1', dst_ip: '10.0.0.1', src_port: 9, dst_port: 1 },
      { app: undefined }, // JSON.stringify leaves the key out
      { rule: true, device: { x: 1 }, app: ['a', 1] },
    ];
    const j = new NativeJsonEncoder(), c = new NativeCsvEncoder();
    // twice, so that cached values of one flow meet the next
    for (let round = 0; round < 2; round++) {
      for (const v of variants) {
        const f = { ...base, ...v } as Flow;
        expect(j.encode(f), JSON.stringify(v)).toBe(refJson(f));
        expect(c.encode(f), JSON.stringify(v)).toBe(refCsv(f));
        expect(communityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port)).toBe(refCommunityId(f.transport, f.src_ip, f.dst_ip, f.src_port, f.dst_port));
      }
    }
  });

  it('timestamp text equals toISOString across seconds, days and years', () => {
    const t = new TimestampText();
    for (let ms = Date.UTC(1999, 11, 31, 23, 59, 58, 990); ms < Date.UTC(2000, 0, 1, 0, 0, 1, 20); ms += 7) expect(t.text(ms)).toBe(new Date(ms).toISOString());
    for (const ms of [0, 1, 10, 100, 1000, 951782400000 /* 2000-02-29 */, 253402300799999]) expect(t.text(ms)).toBe(new Date(ms).toISOString());
  });

  it('the writers put a header (CSV) and one line per flow', async () => {
    const flows = await flowsOf('fixtures/iptables/bsd-ufw.log', 'UTC', 2025);
    for (const [make, ref, header] of [
      [(o: PassThrough) => jsonlWriter(o, 'native'), refJson, ''],
      [(o: PassThrough) => csvWriter(o), refCsv, NATIVE.join(',') + '\n'],
    ] as const) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (b: Buffer) => chunks.push(b));
      const w = make(out);
      for (const f of flows) w.write(f);
      await w.close();
      expect(Buffer.concat(chunks).toString('utf8')).toBe(header + flows.map((f) => ref(f) + '\n').join(''));
    }
  });
});

describe('one-block SHA-1', () => {
  it('equals node:crypto on messages of every length up to 55 bytes', async () => {
    const { sha1Base64 } = await import('../src/sinks/community-id.js');
    let seed = 12345;
    const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 24; };
    for (let len = 0; len <= 55; len++) {
      for (let k = 0; k < 20; k++) {
        const m = Buffer.alloc(len);
        for (let i = 0; i < len; i++) m[i] = k === 0 ? 255 : rnd();
        expect(sha1Base64(m, len)).toBe(createHash('sha1').update(m).digest('base64'));
      }
    }
    expect(() => sha1Base64(Buffer.alloc(56), 56)).toThrow(RangeError);
  });
});
