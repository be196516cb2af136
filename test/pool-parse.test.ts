/**
 * Rendering in the worker threads (parse to JSON Lines / CSV with the pool): every worker renders its
 * flows and the main thread writes the text in input order. The output must be byte for byte the one a
 * single thread writes, whatever the cut: golden fixtures, a directory, large generated files, a year
 * roll-over across cuts (ranges parsed again, flows already written not written twice) and pfirewall
 * headers that change mid-file.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { parseLogs } from '../src/app/parse.js';
import type { PoolStats, PoolTuning } from '../src/pipeline/pool.js';
import type { ReadOptions } from '../src/pipeline/run.js';
import type { SchemaName } from '../src/sinks/schemas.js';
import { ROOT } from './helpers/cli.js';
import { goldenInputs } from './helpers/golden-inputs.js';

const tiny = (rangeBytes: number, stats?: PoolStats): PoolTuning => ({ rangeBytes, splitMinBytes: 0, minTotalBytes: 0, split: true, ...(stats ? { stats } : {}) });
const newStats = (): PoolStats => ({ workers: 0, wholeTasks: 0, ranges: 0, reruns: 0 });

async function output(inputs: string[], read: ReadOptions, outFormat: 'jsonl' | 'csv', schema: SchemaName): Promise<{ text: string; flows: number; summaries: string }> {
  const chunks: Buffer[] = [];
  const stdout = new Writable({ write(c: Buffer | string, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  const r = await parseLogs({ inputs, read, out: null, outFormat, schema, stdout });
  return { text: Buffer.concat(chunks).toString('utf8'), flows: r.summaries.reduce((n, s) => n + s.flows, 0), summaries: JSON.stringify(r.summaries) };
}

async function expectSame(inputs: string[], read: ReadOptions, t: PoolTuning, jobs = 2, outFormat: 'jsonl' | 'csv' = 'jsonl', schema: SchemaName = 'native'): Promise<number> {
  const one = await output(inputs, { ...read, jobs: 1 }, outFormat, schema);
  const many = await output(inputs, { ...read, jobs, poolTuning: t }, outFormat, schema);
  expect(many.summaries).toBe(one.summaries);
  expect(many.text.length).toBe(one.text.length);
  expect(many.text === one.text).toBe(true);
  return one.flows;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fwaudit-pool-parse-')); });

describe('parse rendered in the workers = parse on one thread', () => {
  for (const g of goldenInputs()) {
    it(`${g.input}: JSON Lines (native, ECS), CSV; cut every ~150 and ~1000 bytes`, async () => {
      const read: ReadOptions = { tz: g.tz, ...(g.year ? { year: g.year } : {}) };
      const n = await expectSame([join(ROOT, g.input)], read, tiny(150), 2);
      expect(n).toBeGreaterThan(0);
      await expectSame([join(ROOT, g.input)], read, tiny(1000), 3, 'jsonl', 'ecs');
      await expectSame([join(ROOT, g.input)], read, tiny(150), 2, 'csv');
    });
  }

  it('a directory of every golden fixture (whole-file tasks beside ranges), OCSF too', async () => {
    const d = join(dir, 'mixed');
    mkdirSync(d, { recursive: true });
    for (const g of goldenInputs()) writeFileSync(join(d, g.input.replace(/\//g, '_')), readFileSync(join(ROOT, g.input)));
    const st = newStats();
    expect(await expectSame([d], { tz: 'UTC', year: 2025 }, tiny(300, st), 2)).toBeGreaterThan(100);
    expect(st.ranges).toBeGreaterThan(10);
    expect(st.wholeTasks).toBeGreaterThan(0);
    await expectSame([d], { tz: 'UTC', year: 2025 }, tiny(700), 3, 'jsonl', 'ocsf');
    await expectSame([d], { tz: 'UTC', year: 2025 }, tiny(700), 2, 'csv');
  });

  it('large generated files cut into many ranges', async () => {
    for (const fam of ['iptables', 'wfw', 'panos']) {
      const f = join(dir, `${fam}.log`);
      writeFileSync(f, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), fam, '20000', '5'], { maxBuffer: 64 << 20 }));
      const st = newStats();
      expect(await expectSame([f], { tz: 'UTC', year: 2026 }, tiny(50 << 10, st), 2)).toBeGreaterThan(10000);
      expect(st.ranges).toBeGreaterThan(10);
    }
  });

  it('a destination that keeps chunks for its reader (a PassThrough read later) gets every byte: output buffers are reused only after stdout or a file let them go', async () => {
    const f = join(dir, 'wfw-pass.log');
    writeFileSync(f, execFileSync(process.execPath, [join(ROOT, '../shared/bench/gen.mjs'), 'wfw', '20000', '7'], { maxBuffer: 64 << 20 }));
    const read: ReadOptions = { tz: 'UTC', year: 2026 };
    const one = await output([f], { ...read, jobs: 1 }, 'jsonl', 'native');
    const pass = new PassThrough({ highWaterMark: 64 << 20 });
    const got: Buffer[] = [];
    const reading = (async () => { await new Promise((r) => setTimeout(r, 50)); for await (const c of pass) got.push(c as Buffer); })();
    await parseLogs({ inputs: [f], read: { ...read, jobs: 2, poolTuning: tiny(100 << 10) }, out: null, outFormat: 'jsonl', schema: 'native', stdout: pass });
    pass.end();
    await reading;
    const text = Buffer.concat(got).toString('utf8');
    expect(one.flows).toBeGreaterThan(10000);
    expect(text.length).toBe(one.text.length);
    expect(text === one.text).toBe(true);
  });

  it('a year roll-over across the cuts: ranges parsed again write no flow twice', async () => {
    const months = ['Nov', 'Dec', 'Jan', 'Feb', 'Jul', 'Aug', 'Dec', 'Jan', 'Mar'];
    const lines: string[] = [];
    let n = 0;
    for (const m of months) {
      for (let i = 0; i < 7; i++) {
        // a few lines without a flow (no SRC) between the dated ones
        if (i === 3) lines.push(`${m}  ${1 + i} 10:00:0${i} gw01 kernel: something else entirely`);
        lines.push(`${m} ${String(1 + i).padStart(2, ' ')} 10:00:0${i} gw01 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.${1 + (n % 200)} DST=10.1.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=1 DF PROTO=TCP SPT=${1000 + n} DPT=443 WINDOW=1 RES=0x00 SYN URGP=0`);
        n++;
      }
    }
    const f = join(dir, 'years.log');
    writeFileSync(f, lines.join('\n') + '\n');
    let reruns = 0;
    for (const size of [100, 230, 700, 2000]) {
      const st = newStats();
      expect(await expectSame([f], { tz: 'UTC', year: 2024 }, tiny(size, st))).toBe(63);
      reruns += st.reruns;
    }
    expect(reruns).toBeGreaterThan(0);
  });

  it('pfirewall.log whose #Fields: header changes mid-file', async () => {
    const h17 = '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
    const hOdd = '#Fields: date time action protocol dst-ip src-ip dst-port src-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path';
    const out: string[] = ['#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local', h17, ''];
    for (let block = 0; block < 6; block++) {
      if (block > 0) out.push('#Version: 1.5', block % 2 ? hOdd : h17);
      for (let i = 0; i < 2500; i++) out.push(`2024-03-09 14:0${block}:1${i % 10} DROP TCP 10.0.${block}.${1 + (i % 250)} 192.0.2.20 ${50000 + (i % 9999)} ${3389 + block} 52 S 1 0 64240 - - - RECEIVE`);
    }
    const f = join(dir, 'pfirewall.log');
    writeFileSync(f, out.join('\r\n') + '\r\n');
    let reruns = 0;
    for (const size of [90_000, 400_000]) {
      const st = newStats();
      expect(await expectSame([f], { tz: 'UTC' }, tiny(size, st), 2, 'csv')).toBe(15000);
      reruns += st.reruns;
    }
    expect(reruns).toBeGreaterThan(0);
  });
});
