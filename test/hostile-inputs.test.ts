/**
 * Hostile inputs (issue 10, "Hangs" and "Leaks"): each case bounded in time and memory, the other
 * inputs of the same run still read, a clear message. Inputs are generated here, in a tmp dir.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeZip } from './helpers/zip.js';
import { readFlows, type InputSummary, type ReadOptions } from '../src/pipeline/run.js';
import { expandInputs } from '../src/pipeline/inputs.js';
import { ROOT, CLI, jsonLines } from './helpers/cli.js';

const GOOD = readFileSync(join(ROOT, 'fixtures/demo/logs/gw01-kern.log'));
const GOOD_FLOWS = 19;
const OPTS: ReadOptions = { tz: 'UTC', year: 2026 };
const tmp = () => mkdtempSync(join(tmpdir(), 'fwaudit-hostile-'));
const HAVE_MKFIFO = spawnSync('sh', ['-c', 'command -v mkfifo'], { encoding: 'utf8' }).status === 0;
const HAVE_BASH = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).status === 0;

async function timed(inputs: string[], opts: ReadOptions = OPTS): Promise<{ out: InputSummary[]; ms: number; flows: number }> {
  const t0 = Date.now();
  let flows = 0;
  const out = await readFlows(inputs, opts, () => { flows++; });
  return { out, ms: Date.now() - t0, flows };
}

describe('symbolic links and globs', () => {
  it('a directory with two symlink loops and a self-link is walked once, bounded, with or without following', async () => {
    const d = tmp();
    mkdirSync(join(d, 'a')); mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'a', 'kern.log'), GOOD);
    symlinkSync('..', join(d, 'a', 'up'));
    symlinkSync('../b', join(d, 'b', 'loop'));
    symlinkSync('.', join(d, 'self'));
    for (const followSymlinks of [false, true]) {
      const { out, ms, flows } = await timed([d], { ...OPTS, followSymlinks });
      expect(ms).toBeLessThan(5000);
      expect(out.map((s) => s.file)).toEqual([join(d, 'a', 'kern.log')]);
      expect(flows).toBe(GOOD_FLOWS);
    }
  });

  it('a link to a file outside the directory is not read by default, and says so', async () => {
    const outside = tmp();
    writeFileSync(join(outside, 'shadow'), 'root:$6$SECRETHASH$abc:19000:0:99999:7:::\n');
    const d = tmp();
    writeFileSync(join(d, 'kern.log'), GOOD);
    symlinkSync(join(outside, 'shadow'), join(d, 'shadow.log'));
    const { out, flows } = await timed([d]);
    expect(flows).toBe(GOOD_FLOWS);
    const refused = out.find((s) => s.file === join(d, 'shadow.log'))!;
    expect(refused.error).toBe('not read: symbolic link to a path outside the directory (--follow-symlinks reads it)');
    expect(JSON.stringify(out)).not.toContain('SECRETHASH');
    const followed = await timed([d], { ...OPTS, followSymlinks: true });
    expect(followed.out.find((s) => s.file === join(d, 'shadow.log'))!.error).toBe('format not recognised (42 bytes)');
  });

  it("a glob expands from its literal prefix: '/*.x' reads the root directory only", () => {
    const t0 = Date.now();
    expect(expandInputs(['/*.fwaudit-no-such-ext'])).toEqual(['/*.fwaudit-no-such-ext']);
    expect(Date.now() - t0).toBeLessThan(1000);
    const d = tmp();
    mkdirSync(join(d, 'x', 'y'), { recursive: true });
    writeFileSync(join(d, 'top.log'), GOOD);
    writeFileSync(join(d, 'x', 'y', 'deep.log'), GOOD);
    writeFileSync(join(d, 'x', 'other.txt'), GOOD);
    symlinkSync('..', join(d, 'x', 'y', 'loop'));
    expect(expandInputs([`${d}/*.log`])).toEqual([`${d}/top.log`]);
    expect(expandInputs([`${d}/**/*.log`])).toEqual([`${d}/top.log`, `${d}/x/y/deep.log`]);
    expect(expandInputs([`${d}/**/*.log`], { followSymlinks: true })).toEqual([`${d}/top.log`, `${d}/x/y/deep.log`]);
    expect(expandInputs([`${d}/x/*/deep.log`])).toEqual([`${d}/x/y/deep.log`]);
  });
});

describe('inputs that are not regular files', () => {
  it.skipIf(!HAVE_MKFIFO)('a FIFO without a writer is reported after a short wait; the next input is read', async () => {
    const d = tmp();
    const fifo = join(d, 'pipe');
    spawnSync('mkfifo', [fifo]);
    writeFileSync(join(d, 'kern.log'), GOOD);
    process.env['FWAUDIT_FIFO_WAIT_MS'] = '300';
    try {
      const { out, ms, flows } = await timed([fifo, join(d, 'kern.log')]);
      expect(out[0]!.error).toBe('cannot read: no writer on the named pipe (nothing within 0 s)');
      expect(flows).toBe(GOOD_FLOWS);
      expect(ms).toBeLessThan(5000);
    } finally { delete process.env['FWAUDIT_FIFO_WAIT_MS']; }
  });

  it.skipIf(!HAVE_MKFIFO)('a FIFO with a writer is read as a stream', async () => {
    const d = tmp();
    const fifo = join(d, 'pipe');
    spawnSync('mkfifo', [fifo]);
    writeFileSync(join(d, 'kern.log'), GOOD);
    const writer = spawn('sh', ['-c', `cat '${join(d, 'kern.log')}' > '${fifo}'`]);
    const { out, flows } = await timed([fifo]);
    writer.kill();
    expect(out[0]!.error).toBeNull();
    expect(out[0]!.size).toBeNull();
    expect(flows).toBe(GOOD_FLOWS);
  });

  it.skipIf(!HAVE_BASH || !existsSync(CLI))('process substitution <(cat f) is read (no seek, no ESPIPE)', () => {
    const d = tmp();
    writeFileSync(join(d, 'kern.log'), GOOD);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" parse <(cat '${join(d, 'kern.log')}') <(gzip -c '${join(d, 'kern.log')}') --tz UTC --year 2026`], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(r.stderr).not.toContain('ESPIPE');
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).length).toBe(2 * GOOD_FLOWS);
  });

  it('character devices are streams: /dev/null is empty, /dev/zero is rejected after its head', async () => {
    const { out, ms } = await timed(['/dev/null', '/dev/zero']);
    expect(out[0]!.error).toBeNull();
    expect(out[0]!.notes['empty']).toBe(1);
    expect(out[1]!.error).toMatch(/^format not recognised \(\d+ bytes read\)$/);
    expect(out[1]!.bytes).toBeLessThan(4 << 20);
    expect(ms).toBeLessThan(5000);
  });
});

describe('decompression and record bounds', () => {
  it('a gzip bomb whose content is not a log stops right after detection fails', async () => {
    const d = tmp();
    writeFileSync(join(d, 'zeros.log.gz'), gzipSync(Buffer.alloc(100 << 20)));
    writeFileSync(join(d, 'aaaa.log.gz'), gzipSync(Buffer.alloc(100 << 20, 'A')));
    writeFileSync(join(d, 'kern.log'), GOOD);
    const { out, ms, flows } = await timed([join(d, 'zeros.log.gz'), join(d, 'aaaa.log.gz'), join(d, 'kern.log')]);
    for (const s of out.slice(0, 2)) {
      expect(s.error).toMatch(/^format not recognised \(\d+ bytes read\)$/);
      expect(s.bytes).toBeLessThan(4 << 20); // not 100 MB
      expect(s.compressed).toBe(true);
    }
    expect(flows).toBe(GOOD_FLOWS);
    expect(ms).toBeLessThan(5000);
  });

  it('JSON nested 100,000 deep is one malformed record; the records around it are read', async () => {
    const d = tmp();
    const deep = '{"#text":'.repeat(100000) + '1' + '}'.repeat(100000);
    const rec = (n: number) => `{"Id":5157,"n":${n}}`;
    writeFileSync(join(d, 'deep.json'), `[${rec(1)},${deep},${rec(2)}]`);
    writeFileSync(join(d, 'deep.jsonl'), `${rec(1)}\n${deep}\n${rec(2)}\n`);
    const { out } = await timed([join(d, 'deep.json'), join(d, 'deep.jsonl')], { ...OPTS, format: 'wfp-json' });
    for (const s of out) {
      expect(s.error).toBeNull();
      expect(s.skipped.find((g) => g.reason === 'JSON record nested deeper than 64 levels')?.first.line).toBe(2);
      expect(s.lines).toBe(3);
    }
  });

  it('a JSON record over the size limit is dropped without being built (bounded memory)', async () => {
    const d = tmp();
    const big = `{"Id":5157,"a":[${'0,'.repeat(20 << 20)}0]}`; // 40 MB, 20 M elements
    writeFileSync(join(d, 'big.json'), `[{"Id":5157},${big},{"Id":5157}]`);
    writeFileSync(join(d, 'kern.log'), GOOD);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
    const { out } = await timed([join(d, 'big.json')], { ...OPTS, format: 'wfp-json', maxRecordBytes: 1 << 20 });
    clearInterval(timer);
    expect(out[0]!.skipped.find((g) => g.reason === 'JSON record larger than 1048576 bytes (dropped)')?.count).toBe(1);
    expect(out[0]!.lines).toBe(3);
    expect(out[0]!.error).toBeNull();
    expect(peak - before).toBeLessThan(150 << 20); // the 20 M-element array was never built
  });
});

describe('nothing leaked', () => {
  it('an unrecognised file shows its size, never its content; the preview is escaped and separate', async () => {
    const d = tmp();
    const p = join(d, 'shadow');
    writeFileSync(p, 'root:$6$SECRETHASH\u001b]0;pwned\u0007:19000:0:99999:7:::\n');
    const { out } = await timed([p]);
    expect(out[0]!.error).toBe(`format not recognised (${readFileSync(p).length} bytes)`);
    const { preview, ...rest } = out[0]!;
    expect(JSON.stringify(rest)).not.toContain('SECRET');
    expect(preview).toBe('root:$6$SECRETHASH\\x1b]0;pwned\\x07:19000:0:99999:7:::');
  });

  it('a ZIP is read member by member as unzip reads it: comment, trailing bytes, unsafe names skipped and escaped', async () => {
    const d = tmp();
    const members: Array<[string, Buffer]> = [
      ['good.log', GOOD], ['../evil.log', GOOD], ['/abs.log', GOOD], ['esc\u001b[31mred.log', GOOD], ['later.log', GOOD],
    ];
    const zip = Buffer.concat([makeZip(members, 'archive comment'), Buffer.from('TRAILING GARBAGE\n')]);
    writeFileSync(join(d, 'a.zip'), zip);
    const { out, flows } = await timed([join(d, 'a.zip')]);
    expect(out.map((s) => [s.file, s.error])).toEqual([
      [`${d}/a.zip!good.log`, null],
      [`${d}/a.zip!#2`, "ZIP member #2 skipped: unsafe name ('..' in the path): ../evil.log"],
      [`${d}/a.zip!#3`, 'ZIP member #3 skipped: unsafe name (absolute path): /abs.log'],
      [`${d}/a.zip!#4`, 'ZIP member #4 skipped: unsafe name (control characters in the name): esc\\x1b[31mred.log'],
      [`${d}/a.zip!later.log`, null],
    ]);
    expect(flows).toBe(2 * GOOD_FLOWS);
    expect(JSON.stringify(out)).not.toContain('\u001b');
  });
});

describe('archives', () => {
  it('a ZIP member rejected early (not a log, a gzip bomb) does not stop the next members', async () => {
    const d = tmp();
    const zip = makeZip([
      ['notes.txt', Buffer.alloc(8 << 20, 'A')], ['bomb.log.gz', gzipSync(Buffer.alloc(50 << 20))], ['kern.log', GOOD],
    ], '');
    writeFileSync(join(d, 'b.zip'), zip);
    const { out, flows, ms } = await timed([join(d, 'b.zip')]);
    expect(out.map((s) => s.error)).toEqual([expect.stringMatching(/^format not recognised/), expect.stringMatching(/^format not recognised/), null]);
    expect(out[1]!.bytes).toBeLessThan(4 << 20);
    expect(flows).toBe(GOOD_FLOWS);
    expect(ms).toBeLessThan(5000);
  });
});
