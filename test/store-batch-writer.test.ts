/**
 * The column-wise batch writer (Store.appendBatch, FlowChunkWriter.addBatchRows) against the row writer (appendFlow of
 * the Flows readFlowBatch gives back): every store table the same, dictionary keys included, on seeded flows with the
 * awkward values (non-canonical and IPv6 addresses as log devices, empty devices, ports and counts out of range, null
 * times, matched sets), selections that skip rows, a replaced file name, and chunk / flush boundaries inside a batch.
 * Also the per-device time spans of BatchCoverage against logDevice, and IntMap against Map.
 */
import { describe, expect, it } from 'vitest';
import type { Action, Direction, Flow } from '../src/model/flow.js';
import { FlowBatchView, FlowBatchWriter, readFlowBatch, type FlowBatch } from '../src/pipeline/flow-batch.js';
import { BatchCoverage, logDevice } from '../src/app/ingest.js';
import { IntMap } from '../src/store/int-map.js';
import { Store } from '../src/store/store.js';
import { mulberry32 } from './helpers/prng.js';

function flows(seed: number, n: number): Array<{ f: Flow; matched: string | null }> {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const addr = (): string | null => pick([
    `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 30)}`, `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 30)}`,
    `192.168.1.${Math.floor(rnd() * 5)}`, '010.0.0.1', `2001:db8::${Math.floor(rnd() * 20).toString(16)}`, 'fe80::1%eth0', null, '255.255.255.255', '0.0.0.0',
  ]);
  const out: Array<{ f: Flow; matched: string | null }> = [];
  for (let i = 0; i < n; i++) {
    const format = pick(['winfw', 'winfw-short', 'wfp-json', 'iptables', 'panos-syslog']);
    out.push({
      f: {
        ts: pick([null, 1_773_000_000_000 + Math.floor(rnd() * 1e9), 1_773_000_000_000.5, -5_000]),
        action: pick(['deny', 'allow', 'deny'] as Action[]), raw_action: pick([null, 'DROP', 'ALLOW', 'deny']),
        transport: pick([null, 'tcp', 'udp', 'icmp']), src_ip: addr(), src_port: pick([null, 0, 443, 65535, 2 ** 31, 1.5]),
        dst_ip: addr(), dst_port: pick([null, 135, 11117, -1]),
        direction: pick([null, 'inbound', 'outbound', 'forward'] as Array<Direction>),
        device: pick([null, null, null, '', 'gw01', 'PA-3220', `fw-${Math.floor(rnd() * 3)}`]), rule: pick([null, 'block-default', 'r1']),
        app: pick([null, 'msrpc']), bytes: pick([null, 0, 1500, 2 ** 53 + 2, 1e300]), packets: pick([null, 3]),
        end_reason: pick([null, 'policy-deny']), host: pick([null, 'example.org', 'x\u0000y']), url: pick([null, 'http://a/b?c']),
        format, file: pick(['a.log', 'b.log']), line: i + 1,
      },
      matched: pick([null, null, 'p/req-a', 'p/req-a;p/req-b', 'q/other']),
    });
  }
  return out;
}

function batches(rows: Array<{ f: Flow; matched: string | null }>, size: number): FlowBatch[] {
  const out: FlowBatch[] = [];
  const w = new FlowBatchWriter(size);
  for (const r of rows) if (w.add(r.f, r.matched)) out.push(w.take());
  if (w.n) out.push(w.take());
  return out;
}

async function tables(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of ['flow_rows', 'texts', 'matched_labels']) out[t] = (await store.all(`SELECT * FROM ${t}`)).map((r) => JSON.stringify(r)).sort();
  out['flows in order'] = (await store.all(`SELECT * EXCLUDE (run_id) FROM flows ORDER BY line, file`)).map((r) => JSON.stringify(r));
  return out;
}

describe('column-wise batch writer = row writer', () => {
  for (const [seed, n, size] of [[1, 40_000, 2048], [2, 9_000, 700], [3, 5_000, 3000]] as const) {
    it(`seed ${seed}: ${n} flows in batches of ${size}, every third row skipped, a replaced file name on one half`, async () => {
      const rows = flows(seed, n);
      const keep = (i: number) => i % 3 !== 1;
      const lineOffset = 1000;
      const one = await Store.open(':memory:');
      const two = await Store.open(':memory:');
      try {
        const runOne = await one.beginRun({ fwauditVersion: 't', runId: 'run-x' });
        const runTwo = await two.beginRun({ fwauditVersion: 't', runId: 'run-x' });
        let row = 0;
        for (const [bi, b] of batches(rows, size).entries()) {
          const file = bi % 2 === 0 ? null : '-';
          // the row writer: the Flows readFlowBatch gives back
          let i = row;
          readFlowBatch(b, lineOffset, (f, m) => { if (keep(i++)) one.appendFlow(file ? { ...f, file } : f, 'input-1', m); });
          const v = new FlowBatchView(b);
          const sel = new Int32Array(v.n);
          let count = 0;
          for (let r = 0; r < v.n; r++) if (keep(row + r)) sel[count++] = r;
          two.appendBatch(v, sel, count, lineOffset, 'input-1', file);
          row += v.n;
        }
        one.throwIfFailed(); two.throwIfFailed();
        await one.finishRun(runOne, [], [], { inputs: 1, lines: n, flows: n });
        await two.finishRun(runTwo, [], [], { inputs: 1, lines: n, flows: n });
        const a = await tables(one), b = await tables(two);
        expect(a['flow_rows']!.length).toBe(rows.filter((_, i) => keep(i)).length);
        expect(a['texts']!.length).toBeGreaterThan(50);
        for (const t of Object.keys(a)) expect(b[t], t).toEqual(a[t]);
      } finally {
        await one.close(); await two.close();
      }
    });
  }

  it('the releases of free memory during a run (due every 4 Appender flushes, run between batches) change no row', async () => {
    const rows = flows(5, 90_000);
    const one = await Store.open(':memory:');
    const two = await Store.open(':memory:');
    try {
      const runOne = await one.beginRun({ fwauditVersion: 't', runId: 'run-y' });
      const runTwo = await two.beginRun({ fwauditVersion: 't', runId: 'run-y' });
      let released = 0;
      for (const b of batches(rows, 2048)) {
        // one: never released; two: released between batches whenever one is due (as ingest's afterChunk)
        readFlowBatch(b, 0, (f, m) => one.appendFlow(f, 'input-1', m));
        const v = new FlowBatchView(b);
        two.appendBatch(v, Int32Array.from({ length: v.n }, (_, i) => i), v.n, 0, 'input-1', null);
        if (await two.releaseIfDue()) released++;
      }
      expect(released).toBeGreaterThanOrEqual(1);
      one.throwIfFailed(); two.throwIfFailed();
      expect(two.appendedFlows).toBe(90_000);
      await one.finishRun(runOne, [], [], { inputs: 1, lines: 90_000, flows: 90_000 });
      await two.finishRun(runTwo, [], [], { inputs: 1, lines: 90_000, flows: 90_000 });
      const a = await tables(one), b = await tables(two);
      expect(a['flow_rows']!.length).toBe(90_000);
      for (const t of Object.keys(a)) expect(b[t], t).toEqual(a[t]);
    } finally {
      await one.close(); await two.close();
    }
  });

  it('BatchCoverage gives the time span per device that logDevice gives row by row', () => {
    const rows = flows(7, 20_000);
    const want = new Map<string, { device: string; first: number | null; last: number | null; flows: number }>();
    for (const { f } of rows) {
      const dev = logDevice(f) ?? '(unknown device)';
      let c = want.get(dev);
      if (!c) want.set(dev, (c = { device: dev, first: null, last: null, flows: 0 }));
      c.flows++;
      if (f.ts !== null && Number.isFinite(f.ts)) {
        if (c.first === null || f.ts < c.first) c.first = f.ts;
        if (c.last === null || f.ts > c.last) c.last = f.ts;
      }
    }
    const cover = new BatchCoverage();
    for (const b of batches(rows, 1000)) {
      const v = new FlowBatchView(b);
      cover.useBatch(v);
      for (let r = 0; r < v.n; r++) cover.add(r);
    }
    const got = new Map<string, { device: string; first: number | null; last: number | null; flows: number }>();
    cover.finish(got);
    expect(want.size).toBeGreaterThan(20);
    expect(want.has('')).toBe(false); // an empty device text is not a device (the local address, else unknown)
    expect(want.get('(unknown device)')!.flows).toBeGreaterThan(100);
    expect([...got.entries()].sort()).toEqual([...want.entries()].sort());
  });
});

describe('IntMap', () => {
  it('agrees with a Map on seeded 32-bit keys, through growth', () => {
    const rnd = mulberry32(11);
    const m = new IntMap(4), ref = new Map<number, number>();
    for (let i = 0; i < 50_000; i++) {
      const k = rnd() < 0.5 ? Math.floor(rnd() * 2 ** 32) : Math.floor(rnd() * 300);
      if (rnd() < 0.6) { m.set(k, i); ref.set(k | 0, i); }
      expect(m.get(k)).toBe(ref.get(k | 0) ?? -1);
    }
    expect(m.size).toBe(ref.size);
    expect(m.get(0xffffffff)).toBe(ref.get(-1) ?? -1);
    expect(() => m.set(1, -1)).toThrow(RangeError);
  });
});
