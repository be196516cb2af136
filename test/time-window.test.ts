/**
 * Timestamps within the plausible window of the file's own time (issue 10 item 1): a line stamped more
 * than 48 h after the file's time, or before its log format existed, is a malformed line whose reason
 * names `ts`; a copied file (new mtime, old lines) is read whole; `--no-time-window` accepts everything
 * the fixed 1990–2100 window accepts. The file's time: mtime, a ZIP member's own time, a gzip MTIME,
 * the time of reading for stdin.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { dosTime, makeZip } from './helpers/zip.js';
import { readFlows, type InputSummary, type ReadOptions } from '../src/pipeline/run.js';
import type { Flow } from '../src/model/flow.js';
import { FUTURE_SLACK_MS, pickFileTime, TimeWindow } from '../src/model/time.js';
import { CORPUS, runCli } from './helpers/cli.js';
import { parseConfig } from '../src/config/config.js';
import { ConfigError } from '../src/model/errors.js';
import { missingPath } from './helpers/prereqs.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-timewin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = '#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n'
  + '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid\n';
const line = (stamp: string, port = 3389): string =>
  `${stamp} DROP TCP 203.0.113.77 192.0.2.20 51544 ${port} 52 S 1785634402 0 64240 - - - RECEIVE 4\n`;
const stampOf = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const FILE_TIME = Date.UTC(2026, 2, 10, 12, 0, 0);
const HOUR = 3_600_000;

async function read(paths: string[], o: Partial<ReadOptions> = {}): Promise<{ flows: Flow[]; sums: InputSummary[] }> {
  const flows: Flow[] = [];
  const sums = await readFlows(paths, { tz: 'UTC', jobs: 1, ...o }, (f) => flows.push(f));
  return { flows, sums };
}

function write(name: string, body: string | Buffer, mtimeMs: number | null): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  if (mtimeMs !== null) utimesSync(p, mtimeMs / 1000, mtimeMs / 1000);
  return p;
}

const HAVE_MKFIFO = spawnSync('sh', ['-c', 'command -v mkfifo'], { encoding: 'utf8' }).status === 0;

const malformed = (s: InputSummary) => s.skipped.filter((g) => g.kind === 'malformed');

describe('TimeWindow', () => {
  const win = new TimeWindow({ ms: FILE_TIME, source: 'mtime', live: false });
  it('accepts a line up to 48 h after the file time and rejects one later, naming ts and the file time', () => {
    expect(FUTURE_SLACK_MS).toBe(48 * HOUR);
    expect(win.check(FILE_TIME + 48 * HOUR, 'winfw')).toBeNull();
    expect(win.check(FILE_TIME + 48 * HOUR + 1, 'winfw'))
      .toBe("ts: more than 48 h after the file's time (mtime 2026-03-10T12:00Z; --no-time-window accepts it)");
    expect(win.check(null, 'winfw')).toBeNull();
  });
  it('accepts lines years before the file time (a copy has a new mtime), but not before the format existed', () => {
    expect(win.check(Date.UTC(2016, 4, 1), 'winfw')).toBeNull();
    expect(win.check(Date.UTC(2001, 0, 1), 'winfw')).toBeNull();
    expect(win.check(Date.UTC(2000, 11, 31, 23, 59, 59), 'winfw')).toBe('ts: before 2001-01-01, earlier than pfirewall.log (Windows XP, 2001) (--no-time-window accepts it)');
    expect(win.check(Date.UTC(2005, 11, 31), 'wfp-xml')).toBe('ts: before 2006-01-01, earlier than WFP audit events (Windows Vista, 2006) (--no-time-window accepts it)');
    expect(win.check(Date.UTC(2006, 0, 1), 'wfp-json')).toBeNull();
    expect(win.check(Date.UTC(1998, 11, 31), 'iptables')).toMatch(/^ts: before 1999-01-01, earlier than netfilter/);
    expect(win.check(Date.UTC(2009, 11, 31), 'iptables-journald')).toMatch(/^ts: before 2010-01-01, earlier than the systemd journal/);
    expect(win.check(Date.UTC(2006, 11, 31), 'panos-syslog')).toMatch(/^ts: before 2007-01-01, earlier than PAN-OS/);
    // a format without a known first day: the fixed window only
    expect(win.check(Date.UTC(1991, 0, 1), 'other')).toBeNull();
  });
  it('a file time before the format existed bounds nothing (an archive made with a fixed mtime)', () => {
    const fixed = new TimeWindow({ ms: Date.UTC(2000, 0, 1), source: 'mtime', live: false });
    expect(fixed.check(Date.UTC(2026, 2, 11), 'wfp-xml')).toBeNull();
    expect(fixed.check(Date.UTC(2005, 0, 1), 'wfp-xml')).toMatch(/^ts: before 2006-01-01/);
    // the same mtime is a real bound for a format that existed then
    expect(fixed.check(Date.UTC(2026, 2, 11), 'iptables')).toMatch(/^ts: more than 48 h after the file's time \(mtime 2000-01-01T00:00Z;/);
  });

  it('a stream (time of reading) follows the clock while it is read', () => {
    let now = FILE_TIME;
    const live = new TimeWindow({ ms: FILE_TIME, source: 'time of reading', live: true }, () => now);
    expect(live.check(FILE_TIME + 50 * HOUR, 'winfw')).toBe('ts: more than 48 h after the time of reading (--no-time-window accepts it)');
    now = FILE_TIME + 5 * HOUR; // read five hours later: the line is now within the slack
    expect(live.check(FILE_TIME + 50 * HOUR, 'winfw')).toBeNull();
  });
  it('pickFileTime: the candidate when plausible, else the container, else the time of reading', () => {
    const container = { ms: FILE_TIME, source: 'mtime' as const, live: false };
    expect(pickFileTime(Date.UTC(2025, 0, 1), 'zip member time', container)).toEqual({ ms: Date.UTC(2025, 0, 1), source: 'zip member time', live: false });
    expect(pickFileTime(Date.UTC(1980, 0, 1), 'zip member time', container)).toBe(container); // DOS epoch
    expect(pickFileTime(0, 'gzip MTIME', container)).toBe(container); // MTIME not set
    expect(pickFileTime(null, 'time of reading', null, 12345)).toEqual({ ms: 12345, source: 'time of reading', live: true });
  });
});

describe('the pipeline checks every flow against its file time', () => {
  it('a future-dated line is malformed with a ts reason; the other lines are read', async () => {
    const p = write('future.log', HEADER + line('2026-03-10 09:00:00') + line(stampOf(FILE_TIME + 47 * HOUR)) + line('2026-03-15 09:00:00') + line('2031-01-01 00:00:00'), FILE_TIME);
    const { flows, sums } = await read([p]);
    expect(flows.map((f) => f.line)).toEqual([5, 6]);
    expect(malformed(sums[0]!)).toEqual([{
      reason: "ts: more than 48 h after the file's time (mtime 2026-03-10T12:00Z; --no-time-window accepts it)",
      kind: 'malformed', count: 2, first: { file: p, line: 7 },
    }]);
    // every line still counted once
    const s = sums[0]!;
    const skipped = s.skipped.reduce((a, g) => a + g.count, 0);
    expect(s.lines).toBe(s.flows + skipped + s.blank);
  });

  it('100,000 lines each with its own future time make one reason group (bounded summary)', async () => {
    const body: string[] = [HEADER.trimEnd()];
    for (let i = 0; i < 100_000; i++) body.push(line(stampOf(FILE_TIME + 49 * HOUR + i * 1000), 1 + (i % 65535)).trimEnd());
    const p = write('many-future.log', body.join('\n') + '\n', FILE_TIME);
    const { flows, sums } = await read([p]);
    expect(flows).toHaveLength(0);
    expect(malformed(sums[0]!).map((g) => [g.count, g.first.line])).toEqual([[100_000, 5]]);
  });

  it('a line decades before the file time is malformed only when it predates the format', async () => {
    const p = write('old.log', HEADER + line('1995-06-01 10:00:00') + line('2004-06-01 10:00:00'), FILE_TIME);
    const { flows, sums } = await read([p]);
    expect(flows.map((f) => [f.line, f.ts])).toEqual([[6, Date.UTC(2004, 5, 1, 10)]]);
    expect(malformed(sums[0]!).map((g) => [g.reason, g.first.line])).toEqual([
      ['ts: before 2001-01-01, earlier than pfirewall.log (Windows XP, 2001) (--no-time-window accepts it)', 5]]);
  });

  it('a copied file (mtime now, lines from 2016) is read whole', async () => {
    const p = write('copied.log', HEADER + line('2016-02-01 08:00:00') + line('2016-02-01 08:00:01'), null);
    expect(statSync(p).mtimeMs).toBeGreaterThan(Date.UTC(2025, 0, 1));
    const { flows, sums } = await read([p]);
    expect(flows.map((f) => f.ts)).toEqual([Date.UTC(2016, 1, 1, 8), Date.UTC(2016, 1, 1, 8, 0, 1)]);
    expect(malformed(sums[0]!)).toEqual([]);
  });

  it('--no-time-window (timeWindow: false) reads them as flows', async () => {
    const p = write('bypass.log', HEADER + line('2026-03-15 09:00:00') + line('1995-06-01 10:00:00'), FILE_TIME);
    const { flows, sums } = await read([p], { timeWindow: false });
    expect(flows.map((f) => f.ts)).toEqual([Date.UTC(2026, 2, 15, 9), Date.UTC(1995, 5, 1, 10)]);
    expect(malformed(sums[0]!)).toEqual([]);
  });

  it('a ZIP member is checked against its own time, not the archive\'s', async () => {
    const body = Buffer.from(HEADER + line('2026-03-01 10:00:00') + line('2026-03-05 10:00:00'));
    // member written 2026-03-02 12:00 (DOS time, local: the test runs with TZ=UTC or any zone within the slack)
    const zip = write('members.zip', makeZip([['a/pfirewall.log', body, dosTime(2026, 3, 2, 12, 0)], ['b/pfirewall.log', body, 0]]), Date.UTC(2026, 10, 1));
    const { flows, sums } = await read([zip]);
    expect(sums.map((s) => s.file)).toEqual([`${zip}!a/pfirewall.log`, `${zip}!b/pfirewall.log`]);
    // a: the 03-05 line is more than 48 h after the member's time
    expect(sums[0]!.flows).toBe(1);
    expect(malformed(sums[0]!).map((g) => [g.count, g.first.line])).toEqual([[1, 6]]);
    expect(malformed(sums[0]!)[0]!.reason).toMatch(/^ts: more than 48 h after the file's time \(zip member time 2026-03-0[12]T\d\d:00Z;/);
    // b: member time 0 (1980, the DOS epoch) is not plausible: the archive's mtime (2026-11-01) is used
    expect(sums[1]!.flows).toBe(2);
    expect(flows).toHaveLength(3);
  });

  it('a gzip file is checked against its MTIME when set, else its mtime', async () => {
    const body = HEADER + line('2026-03-01 10:00:00') + line('2026-03-05 10:00:00');
    const withMtime = gzipSync(body);
    withMtime.writeUInt32LE(Date.UTC(2026, 2, 2) / 1000, 4); // RFC 1952 MTIME (the header has no CRC of its own)
    const a = write('a.log.gz', withMtime, Date.UTC(2026, 10, 1));
    const b = write('b.log.gz', gzipSync(body), Date.UTC(2026, 10, 1)); // MTIME 0
    const { sums } = await read([a, b]);
    expect(sums[0]!.flows).toBe(1);
    expect(malformed(sums[0]!)[0]!.reason).toBe("ts: more than 48 h after the file's time (gzip MTIME 2026-03-02T00:00Z; --no-time-window accepts it)");
    expect(sums[1]!.flows).toBe(2);
  });

  it('stdin is checked against the time of reading', async () => {
    const now = Date.now();
    const text = HEADER + line(stampOf(now - 3 * HOUR)) + line(stampOf(now + HOUR)) + line(stampOf(now + 72 * HOUR));
    const { flows, sums } = await read(['-'], { stdin: Readable.from([Buffer.from(text)]) });
    expect(flows.map((f) => f.line)).toEqual([5, 6]);
    expect(malformed(sums[0]!).map((g) => [g.reason, g.first.line])).toEqual([['ts: more than 48 h after the time of reading (--no-time-window accepts it)', 7]]);
  });

  it.skipIf(!HAVE_MKFIFO)('a FIFO is checked against the time of reading, not its inode\'s old mtime', async () => {
    const fifo = join(dir, 'fw.fifo');
    spawnSync('mkfifo', [fifo]);
    utimesSync(fifo, FILE_TIME / 1000, FILE_TIME / 1000); // a FIFO last written to long ago
    const now = Date.now();
    const body = write('fifo-body.log', HEADER + line(stampOf(now - HOUR)) + line(stampOf(now + 72 * HOUR)), null);
    const writer = spawn('sh', ['-c', `cat '${body}' > '${fifo}'`]);
    try {
      const { flows, sums } = await read([fifo]);
      expect(sums[0]!.error).toBeNull();
      expect(flows.map((f) => f.line)).toEqual([5]);
      expect(malformed(sums[0]!).map((g) => [g.reason, g.first.line])).toEqual([['ts: more than 48 h after the time of reading (--no-time-window accepts it)', 6]]);
    } finally { writer.kill(); }
  });

  it('fwaudit.yaml has time_window (default true; false as --no-time-window; a wrong type is a config error)', () => {
    expect(parseConfig('inputs: [a.log]\nstore: s.duckdb\n', '/etc/fwaudit/fwaudit.yaml').timeWindow).toBe(true);
    expect(parseConfig('inputs: [a.log]\nstore: s.duckdb\ntime_window: false\n', '/etc/fwaudit/fwaudit.yaml').timeWindow).toBe(false);
    let err: unknown = null;
    try { parseConfig('inputs: [a.log]\nstore: s.duckdb\ntime_window: no-thanks\n', '/etc/fwaudit/fwaudit.yaml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect([(err as ConfigError).field, (err as ConfigError).line]).toEqual(['time_window', 3]);
  });

  it('fwaudit run honours time_window: false', () => {
    write('run.log', HEADER + line('2026-03-15 09:00:00'), FILE_TIME);
    const a = write('a.yaml', 'inputs: [run.log]\nstore: ":memory:"\ntz: UTC\n', null);
    const b = write('b.yaml', 'inputs: [run.log]\nstore: ":memory:"\ntz: UTC\ntime_window: false\n', null);
    const ra = runCli(['run', '--config', a]);
    const rb = runCli(['run', '--config', b]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(ra.stderr).toContain("1 × ts: more than 48 h after the file's time (mtime 2026-03-10T12:00Z;");
    expect(ra.stderr).toContain('5 lines, 0 flows');
    expect(rb.stderr).not.toContain('ts: more than');
    expect(rb.stderr).toContain('5 lines, 1 flows');
  });

  it('the CLI has --no-time-window', () => {
    const p = write('cli.log', HEADER + line('2026-03-15 09:00:00'), FILE_TIME);
    const strict = runCli(['parse', p, '--tz', 'UTC', '--strict', '-q']);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    const ok = runCli(['parse', p, '--tz', 'UTC', '--strict', '--no-time-window']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim()).ts).toBe('2026-03-15T09:00:00.000Z');
    expect(runCli(['parse', '--help']).stdout).toContain('--no-time-window');
  });
});

describe.skipIf(missingPath(CORPUS))('the public corpus, with the mtimes a checkout gives, loses no line to the window', () => {
  it('reads the same flows with and without the window, also as a fresh copy (mtime now)', async () => {
    const files = ['winfw', 'wfp-events', 'iptables', 'panos'].flatMap((d) =>
      readdirSync(join(CORPUS, d)).filter((n) => !n.endsWith('-expected.json') && !n.endsWith('.assert') && !n.endsWith('.ini')).map((n) => join(CORPUS, d, n)));
    expect(files.length).toBeGreaterThan(40);
    const copy = mkdtempSync(join(dir, 'corpus-'));
    const copies = files.map((f, i) => { const c = join(copy, `${i}-${f.split('/').pop()!}`); copyFileSync(f, c); return c; });
    const on = await read(files, { year: 2020 });
    const off = await read(files, { year: 2020, timeWindow: false });
    const fresh = await read(copies, { year: 2020 });
    expect(on.flows.length).toBeGreaterThan(1000);
    expect(on.flows.length).toBe(off.flows.length);
    expect(fresh.flows.length).toBe(off.flows.length);
    const reasons = [...on.sums, ...fresh.sums].flatMap((s) => s.skipped.map((g) => g.reason)).filter((r) => r.startsWith('ts:'));
    expect(reasons).toEqual([]);
    // the oldest line of the corpus is years before its checkout: the window has no "N years before" rule
    const oldest = Math.min(...on.flows.map((f) => f.ts ?? Infinity));
    expect(oldest).toBeLessThan(Date.UTC(2018, 0, 1));
  });
});
