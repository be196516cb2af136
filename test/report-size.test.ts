/**
 * Every list in a report is capped: a store with many hosts, rules, devices, inputs, runs and a long history still
 * gives a small page. (The issue saw 15 MB of HTML from a 2 M-flow store.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlow } from '../src/model/flow.js';
import { buildReportModel } from '../src/reports/model.js';
import { loadRenderer, REPORT_FORMATS } from '../src/reports/formats.js';
import { Store } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report size is bounded', () => {
  it('200,000 flows from 40,000 hosts, 500 rules, 300 devices over 400 days: every format stays small', async () => {
    const store = await Store.open(join(dir, 'big.duckdb'));
    const DAY = 86_400_000, start = Date.UTC(2025, 0, 1);
    for (let run = 0; run < 40; run++) {
      const id = await store.beginRun({ fwauditVersion: 'test', startedAt: start + run * 10 * DAY });
      for (let i = 0; i < 5000; i++) {
        const n = run * 5000 + i;
        const f = newFlow('iptables', `in-${run}.log`, i + 1);
        f.ts = start + (n % 400) * DAY + (n % 86_400) * 1000;
        f.action = n % 7 === 0 ? 'allow' : 'deny';
        f.transport = 'tcp'; f.src_ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`.replace(/^10\.\d+/, `10.${n % 40}`);
        f.dst_ip = `10.200.${(n >> 8) % 40}.${n % 250}`; f.dst_port = 1000 + (n % 30); f.device = `fw-${n % 300}`; f.rule = `rule-${n % 500}`;
        store.appendFlow(f, `input-${run}`, `prod-${n % 3}/req-${n % 30}`);
      }
      await store.addInput({ file: `in-${run}.log`, format: 'iptables', dialect: null, lines: 5000, flows: 5000, skipped: [], notes: {}, error: null },
        { id: `input-${run}`, size: 1, path: `in-${run}.log` }, id);
      await store.finishRun(id, [], [], { inputs: 1, lines: 5000, flows: 5000 });
    }
    const m = await buildReportModel(store, { now: new Date('2026-03-01T00:00:00Z') });
    expect(m.summary.denied_flows + m.summary.allowed_flows).toBe(200_000);
    expect(m.requirements).toHaveLength(30);
    expect(m.top_blocked.items).toHaveLength(20);
    expect(m.top_blocked.more).toBeGreaterThan(1000);
    expect(m.inputs).toMatchObject({ more: 0 });
    expect(m.runs.items).toHaveLength(20);
    expect(m.runs.more).toBe(20);
    for (const r of m.requirements) {
      expect(r.src_hosts.items.length).toBeLessThanOrEqual(5);
      expect(r.rules.items.length).toBeLessThanOrEqual(5);
    }
    const sizes: Record<string, number> = {};
    for (const f of REPORT_FORMATS) sizes[f] = Buffer.byteLength((await loadRenderer(f))(m));
    expect(sizes['html']).toBeLessThan(300_000);
    expect(sizes['md']).toBeLessThan(200_000);
    expect(sizes['csv']).toBeLessThan(100_000);
    expect(sizes['junit']).toBeLessThan(300_000);
    // JSON carries every requirement's timeline (one point per day with evidence): bounded by requirements × days.
    expect(sizes['json']).toBeLessThan(1_000_000);
    await store.close();
  }, 300_000);
});
