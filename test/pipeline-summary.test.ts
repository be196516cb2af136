/**
 * Summaries add up and carry what durable ingest needs: for every golden fixture,
 * lines = flows + not-flow + malformed + blank; checkpoints (endOffset, startOffsets, fingerprint).
 */
import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFlows, type InputSummary } from '../src/pipeline/run.js';
import { decideCheckpoint, probeFile, sha256Hex } from '../src/pipeline/checkpoint.js';
import { ROOT } from './helpers/cli.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/golden.json'), 'utf8')) as Record<string, { tz?: string; year?: number }>;
const fixtures: string[] = [];
for (const fam of ['winfw', 'wfp', 'iptables', 'panos']) {
  for (const n of readdirSync(join(ROOT, 'fixtures', fam)).sort()) if (!n.endsWith('.expected.jsonl') && !n.endsWith('.md')) fixtures.push(`fixtures/${fam}/${n}`);
}
for (const n of readdirSync(join(ROOT, 'fixtures/demo/logs')).sort()) fixtures.push(`fixtures/demo/logs/${n}`);

const count = (s: InputSummary, kind: string) => s.skipped.filter((g) => g.kind === kind).reduce((n, g) => n + g.count, 0);

describe('every summary adds up', () => {
  it('has fixtures', () => { expect(fixtures.length).toBeGreaterThanOrEqual(20); });
  for (const f of fixtures) {
    it(f, async () => {
      const o = manifest[f] ?? {};
      const out = await readFlows([join(ROOT, f)], { tz: o.tz ?? 'UTC', year: o.year ?? 2026 }, () => {});
      for (const s of out) {
        expect(s.error, s.file).toBeNull();
        expect(s.flows).toBeGreaterThan(0);
        // a line holding k octet-counted syslog frames is k units (parsers note the k - 1 extra frames)
        expect(s.flows + count(s, 'not-flow') + count(s, 'malformed') + s.blank, `${s.file}: ${JSON.stringify(s)}`).toBe(s.lines + (s.notes['extra-frames'] ?? 0));
      }
    });
  }
});

const LINE = (i: number) => `Mar 10 08:${String(i % 60).padStart(2, '0')}:00 gw01 kernel: [UFW BLOCK] IN=eth1 OUT=eth2 SRC=10.60.0.${i % 250} DST=10.10.0.6 LEN=60 PROTO=TCP SPT=${40000 + i} DPT=3333 SYN\n`;

describe('checkpoint fields and resumed reads', () => {
  it('endOffset, fingerprint, size and inode of a plain file; a partial last line is held when asked', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fwaudit-sum-'));
    const p = join(d, 'kern.log');
    const body = Array.from({ length: 100 }, (_, i) => LINE(i)).join('');
    const partial = LINE(100).slice(0, 40);
    writeFileSync(p, body + partial);
    const [full] = await readFlows([p], { tz: 'UTC', year: 2026 }, () => {});
    expect(full!.endOffset).toBe(Buffer.byteLength(body + partial));
    expect(full!.size).toBe(Buffer.byteLength(body + partial));
    expect(full!.inode).toBeGreaterThan(0);
    expect(full!.compressed).toBe(false);
    expect(full!.fingerprint).toBe(sha256Hex(Buffer.from(body + partial).subarray(0, 4096)));
    expect(full!.fingerprintBytes).toBe(4096);
    expect(full!.lines).toBe(101);

    const [held] = await readFlows([p], { tz: 'UTC', year: 2026, holdPartialLastLine: true }, () => {});
    expect(held!.endOffset).toBe(Buffer.byteLength(body));
    expect(held!.lines).toBe(100);
    expect(held!.flows).toBe(100);

    // the log grows: the rest of the partial line and two more lines; resume where the held read stopped
    appendFileSync(p, LINE(100).slice(40) + LINE(101) + LINE(102));
    const cp = { fingerprint: held!.fingerprint!, fingerprintBytes: held!.fingerprintBytes, offset: held!.endOffset!, size: held!.size! };
    const decision = decideCheckpoint(cp, await probeFile(p));
    expect(decision).toEqual({ action: 'resume', offset: Buffer.byteLength(body) });
    const seen: number[] = [];
    const [resumed] = await readFlows([p], { tz: 'UTC', year: 2026, holdPartialLastLine: true, startOffsets: new Map([[p, Buffer.byteLength(body)]]) }, (f) => seen.push(f.dst_port === 3333 ? f.line : -1));
    expect(resumed!.startOffset).toBe(Buffer.byteLength(body));
    expect(resumed!.flows).toBe(3);
    expect(seen).toEqual([1, 2, 3]); // line numbers count from the start offset
    expect(resumed!.endOffset).toBe(readFileSync(p).length);
    expect(resumed!.fingerprint).toBe(full!.fingerprint); // the head, not the part read
    expect(resumed!.format).toBe('iptables');
    const [nothingNew] = await readFlows([p], { tz: 'UTC', year: 2026, startOffsets: new Map([[p, resumed!.endOffset!]]) }, () => {});
    expect([nothingNew!.error, nothingNew!.lines, nothingNew!.notes['empty'], nothingNew!.endOffset]).toEqual([null, 0, undefined, resumed!.endOffset]);
    const [mid] = await readFlows([p], { tz: 'UTC', year: 2026, startOffsets: new Map([[p, 10]]) }, () => {});
    expect(mid!.error).toBe('cannot read: start offset 10 is not at a line boundary (file replaced?)');
  });

  it('a gzip-rotated copy has the same fingerprint; resuming inside it skips what was read', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fwaudit-sum-'));
    const body = Array.from({ length: 200 }, (_, i) => LINE(i)).join('');
    const firstPart = Array.from({ length: 150 }, (_, i) => LINE(i)).join('');
    writeFileSync(join(d, 'kern.log'), body);
    writeFileSync(join(d, 'kern.log.1.gz'), gzipSync(body));
    const [plain, gz] = await readFlows([join(d, 'kern.log'), join(d, 'kern.log.1.gz')], { tz: 'UTC', year: 2026 }, () => {});
    expect(gz!.compressed).toBe(true);
    expect(gz!.fingerprint).toBe(plain!.fingerprint);
    expect(gz!.endOffset).toBe(Buffer.byteLength(body));
    const [rest] = await readFlows([join(d, 'kern.log.1.gz')], { tz: 'UTC', year: 2026, startOffsets: new Map([[join(d, 'kern.log.1.gz'), Buffer.byteLength(firstPart)]]) }, () => {});
    expect(rest!.flows).toBe(50);
    expect(rest!.error).toBeNull();
    const [beyond] = await readFlows([join(d, 'kern.log.1.gz')], { tz: 'UTC', year: 2026, startOffsets: new Map([[join(d, 'kern.log.1.gz'), Buffer.byteLength(body) + 10]]) }, () => {});
    expect(beyond!.error).toBe(`input ends before its start offset ${Buffer.byteLength(body) + 10} (truncated or replaced?)`);
    expect(beyond!.flows).toBe(0);
  });

  it('a resumed pfirewall.log keeps its #Fields header (replayed, not counted)', async () => {
    const src = readFileSync(join(ROOT, 'fixtures/demo/logs/target-10.20.0.33-pfirewall.log'), 'utf8');
    const d = mkdtempSync(join(tmpdir(), 'fwaudit-sum-'));
    const p = join(d, 'pfirewall.log');
    writeFileSync(p, src);
    const all: string[] = [];
    const [full] = await readFlows([p], { tz: 'UTC' }, (f) => all.push(JSON.stringify({ ...f, line: 0 })));
    const lines = src.split('\n');
    const cut = Buffer.byteLength(lines.slice(0, 10).join('\n') + '\n');
    const tail: string[] = [];
    const [res] = await readFlows([p], { tz: 'UTC', startOffsets: new Map([[p, cut]]) }, (f) => tail.push(JSON.stringify({ ...f, line: 0 })));
    expect(res!.format).toBe(full!.format);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail).toEqual(all.slice(all.length - tail.length));
    expect(res!.lines).toBe(full!.lines - 10);
  });
});
