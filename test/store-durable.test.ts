/**
 * Durable ingest through the CLI as a user runs it: a run is all or nothing (kill -9 at several points, a full
 * disk), checkpoints (an appended log read from where the last run stopped, a gzip-rotated or renamed copy
 * recognised, a replaced file read anew, equal-size files never taken for one), and two writers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fwaudit-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `n` iptables lines on day 9 of March, one denied flow each, sources numbered from `from`. */
function logLines(n: number, from = 0, port = 2225): string {
  const out: string[] = [];
  for (let j = from; j < from + n; j++) {
    const h = String(Math.floor(j / 3600) % 24).padStart(2, '0'), m = String(Math.floor(j / 60) % 60).padStart(2, '0'), s = String(j % 60).padStart(2, '0');
    out.push(`Mar  9 ${h}:${m}:${s} gw01 kernel: [UFW BLOCK] IN=eth1 OUT=eth2 SRC=10.60.${(j >> 8) & 255}.${j & 255} DST=10.10.0.6 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=${j} DF PROTO=TCP SPT=${1024 + (j % 60000)} DPT=${port} WINDOW=64240 RES=0x00 SYN URGP=0`);
  }
  return out.join('\n') + '\n';
}

const READ = ['--tz', 'UTC', '--year', '2026', '--keep', 'all', '--no-progress'];
function ingest(db: string, inputs: string[], extra: string[] = []) {
  return runCli(['ingest', ...inputs, '--db', db, ...READ, ...extra]);
}
function q(db: string, sql: string): Array<Record<string, unknown>> {
  const r = runCli(['query', '--db', db, '--json', sql]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}
function counts(db: string) {
  return q(db, `SELECT (SELECT count(*) FROM flows) AS flows, (SELECT count(*) FROM runs) AS runs,
    (SELECT count(*) FROM runs WHERE finished_at IS NULL) AS unfinished, (SELECT count(*) FROM checkpoints) AS checkpoints`)[0]!;
}

/** True once process `pid` has `file` open (DuckDB holds the store file while the run is in progress). */
function hasOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === file; } catch { return false; } });
  } catch { return false; }
}
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const small = join(dir, 'in', 'a-small.log');
const big = join(dir, 'in', 'b-big.log');
mkdirSync(join(dir, 'in'));
writeFileSync(small, logLines(500, 100_000));
writeFileSync(big, logLines(30_000));

describe('a run is all or nothing', () => {
  it('kill -9 during ingest at several points, then the same ingest again: the counts of a clean run, no unfinished run', async () => {
    const clean = join(dir, 'clean.duckdb');
    const t0 = Date.now();
    const r = ingest(clean, [small, big]);
    const took = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(counts(clean)).toEqual({ flows: 30_500, runs: 1, unfinished: 0, checkpoints: 2 });

    let killedMidRun = 0;
    for (const frac of [0, 0.1, 0.25]) {
      const db = join(dir, `kill-${frac}.duckdb`);
      expect(ingest(db, ['fixtures/history/week/day1']).code).toBe(0); // a store with one earlier run
      const before = counts(db);
      const whole = { flows: Number(before.flows) + 30_500, runs: Number(before.runs) + 1, unfinished: 0, checkpoints: Number(before.checkpoints) + 2 };
      const p = start(['ingest', small, big, '--db', db, ...READ]);
      // Once the process holds the store, wait a share of a clean run's time, then kill -9.
      const opened = await until(() => hasOpen(p.child.pid!, db), 60_000);
      await new Promise((res) => setTimeout(res, frac * took));
      p.child.kill('SIGKILL');
      const end = await p.done;
      // All or nothing: the store holds the earlier run only, or (killed after its commit) the whole run.
      const after = counts(db);
      const landed = after.flows !== before.flows;
      expect(after, `killed at ${frac}`).toEqual(landed ? whole : before);
      if (opened && end.signal === 'SIGKILL' && !landed) killedMidRun++;
      const again = ingest(db, [small, big]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(landed ? 'nothing new (2 input(s) already ingested)' : '2 new input(s), 0 resumed, 0 already ingested; 30500 lines, 30500 flows, 30500 stored');
      expect(counts(db)).toEqual({ ...whole, runs: whole.runs + (landed ? 1 : 0) });
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(1);
  }, 600_000);

  it.skipIf(process.getuid?.() !== 0)('a full disk (a 4 MiB tmpfs) is exit 2 with a message, and the store is as it was', () => {
    const mnt = join(dir, 'tmpfs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    expect(m.status, String(m.stderr)).toBe(0);
    try {
      const db = join(mnt, 'full.duckdb');
      expect(ingest(db, ['fixtures/history/week/day1']).code).toBe(0);
      const before = counts(db);
      const r = ingest(db, [big, small]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^fwaudit: .*full\.duckdb: .*No space left on device/m);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      expect(counts(db)).toEqual(before);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }, 300_000);
});

describe('checkpoints', () => {
  it('an appended log is read from where the last run stopped; a gzip-rotated copy and a renamed copy are recognised', () => {
    const db = join(dir, 'cp.duckdb');
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const log = join(logs, 'kern.log');
    writeFileSync(log, logLines(1000));
    let r = ingest(db, [logs]);
    expect(r.stderr).toContain('1 new input(s), 0 resumed, 0 already ingested; 1000 lines, 1000 flows, 1000 stored');
    appendFileSync(log, logLines(250, 1000));
    r = ingest(db, [logs]);
    expect(r.stderr).toContain('0 new input(s), 1 resumed, 0 already ingested; 250 lines, 250 flows, 250 stored');
    expect(counts(db)).toMatchObject({ flows: 1250, unfinished: 0 });
    // The same content again (no change): nothing new.
    r = ingest(db, [logs]);
    expect(r.stderr).toMatch(/nothing new \(1 input\(s\) already ingested\)/);
    // Rotation: kern.log → kern.log.1.gz (compressed), a new kern.log begins.
    writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(log)));
    rmSync(log);
    writeFileSync(log, logLines(40, 5000));
    r = ingest(db, [logs]);
    expect(r.stderr).toContain(`${log}.1.gz: already ingested, skipped`);
    expect(r.stderr).toContain('1 new input(s), 0 resumed, 1 already ingested; 40 lines, 40 flows, 40 stored');
    // A renamed copy elsewhere: skipped too.
    copyFileSync(log, join(dir, 'renamed.log'));
    r = ingest(db, [join(dir, 'renamed.log')]);
    expect(r.stderr).toMatch(/already ingested, skipped/);
    expect(counts(db)).toMatchObject({ flows: 1290 });
    // Flows per source address: each line stored exactly once.
    expect(q(db, `SELECT count(*) AS n FROM (SELECT src_ip, ts FROM flows GROUP BY ALL HAVING count(*) > 1)`)).toEqual([{ n: 0 }]);
  }, 300_000);

  it('a log that grew before it was rotated and compressed: only the new part is read', () => {
    const db = join(dir, 'cp2.duckdb');
    const log = join(dir, 'grow.log');
    writeFileSync(log, logLines(300));
    expect(ingest(db, [log]).code).toBe(0);
    appendFileSync(log, logLines(120, 300));
    writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(log)));
    rmSync(log);
    const r = ingest(db, [`${log}.1.gz`]);
    expect(r.stderr).toContain('0 new input(s), 1 resumed, 0 already ingested; 120 lines, 120 flows, 120 stored');
    expect(counts(db)).toMatchObject({ flows: 420 });
  }, 300_000);

  it('a truncated or replaced file is read anew; two different files of equal size are both read', () => {
    const db = join(dir, 'cp3.duckdb');
    const log = join(dir, 'replace.log');
    writeFileSync(log, logLines(200));
    expect(ingest(db, [log]).code).toBe(0);
    // Same size, same first 4 KiB and same last MiB region would fool a head+tail identity: change one middle line.
    const text = readFileSync(log, 'utf8').split('\n');
    text[150] = text[150]!.replace('DPT=2225', 'DPT=2226');
    writeFileSync(log, text.join('\n'));
    expect(statSync(log).size).toBe(Buffer.byteLength(logLines(200)));
    let r = ingest(db, [log]);
    expect(r.stderr).toContain('1 new input(s), 0 resumed, 0 already ingested; 200 lines, 200 flows, 200 stored');
    // Truncated to fewer lines with other content: read anew.
    writeFileSync(log, logLines(50, 9000));
    r = ingest(db, [log]);
    expect(r.stderr).toContain('1 new input(s), 0 resumed, 0 already ingested; 50 lines, 50 flows, 50 stored');
    expect(counts(db)).toMatchObject({ flows: 450, runs: 3 });
  }, 300_000);

  it('a last line still being written waits for its newline', () => {
    const db = join(dir, 'cp4.duckdb');
    const log = join(dir, 'partial.log');
    const lines = logLines(10).split('\n');
    writeFileSync(log, lines.slice(0, 9).join('\n') + '\n' + lines[9]!.slice(0, 60));
    let r = ingest(db, [log]);
    expect(r.stderr).toContain('9 lines, 9 flows, 9 stored');
    appendFileSync(log, lines[9]!.slice(60) + '\n');
    r = ingest(db, [log]);
    expect(r.stderr).toContain('0 new input(s), 1 resumed, 0 already ingested; 1 lines, 1 flows, 1 stored');
    expect(q(db, `SELECT count(*) AS n, count(DISTINCT src_ip) AS d FROM flows`)).toEqual([{ n: 10, d: 10 }]);
  }, 300_000);
});

describe('two writers', () => {
  it('the second fails at once with "store busy", or waits with --wait and then lands its run', async () => {
    const db = join(dir, 'busy.duckdb');
    expect(ingest(db, ['fixtures/history/week/day1']).code).toBe(0);
    const first = start(['ingest', big, '--db', db, ...READ]);
    expect(await until(() => hasOpen(first.child.pid!, db), 60_000)).toBe(true);
    const busy = ingest(db, ['fixtures/history/week/day2']);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/^fwaudit: .*busy\.duckdb: store busy: another fwaudit process \(pid \d+\) is using it; try again later or pass --wait SECONDS\n$/);
    const waiter = start(['ingest', 'fixtures/history/week/day2', '--db', db, ...READ, '--wait', '300']);
    const [a, b] = await Promise.all([first.done, waiter.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(counts(db)).toMatchObject({ runs: 3, unfinished: 0 });
    expect(existsSync(db)).toBe(true);
  }, 600_000);
});
