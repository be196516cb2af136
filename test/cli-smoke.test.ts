/**
 * The few things only a real process shows (everything else runs in-process through runCli): the bin
 * entry and its exit status, stdin from a pipe, and a reader that closes the pipe early (`| head -1`),
 * which must end quietly (status 0 or 141), never with "internal error: write EPIPE" or a stack.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CLI, ROOT, runCliProcess } from './helpers/cli.js';
import { missingPath } from './helpers/prereqs.js';

describe('the CLI as a process', () => {
  it('the bin entry runs, prints its version and exits 0', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    const v = runCliProcess(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.split('\n')[0]).toBe(`fwaudit ${pkg.version}`);
  });

  it('parse | head -1 ends quietly (0 or 141), whatever the size of the output', () => {
    // Enough flows that the writer is still busy when head exits.
    const script = `set -o pipefail; for i in $(seq 1 40); do cat fixtures/demo/logs/pa-3220.log; done > "$T/big.log"; `
      + `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} parse "$T/big.log" --tz UTC --year 2026 -q | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, T: tmpdir() } });
    expect(r.stderr).not.toMatch(/EPIPE|internal error|at .*\.js:\d+/);
    expect(r.stdout.trim()).toMatch(/^status=(0|141)$/);
  });

  it.skipIf(missingPath('/dev/full'))('parse > /dev/full: an output error (exit 2) said in one line, no stack', () => {
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} parse fixtures/demo/logs --tz UTC --year 2026 -q > /dev/full; echo "status=$?"`;
    const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('status=2');
    expect(r.stderr.trim()).toBe('fwaudit: cannot write to standard output: ENOSPC');
  });

  it.skipIf(missingPath('/proc/self/maps'))('loads only what the command uses: no DuckDB for analyze (reading + matching) or --version', () => {
    const d = mkdtempSync(join(tmpdir(), 'fwaudit-lazy-'));
    // At exit, the process's own memory map says whether DuckDB's native library was ever loaded.
    writeFileSync(join(d, 'maps.cjs'), 'process.on("exit", () => { if (/duckdb/i.test(require("fs").readFileSync("/proc/self/maps", "utf8"))) process.stderr.write("LOADED duckdb\\n"); });\n');
    const run = (args: string[]) => spawnSync(process.execPath, ['--require', join(d, 'maps.cjs'), CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    for (const args of [['--version'], ['analyze', 'fixtures/demo/logs', '-q', '--inventory', 'fixtures/demo/inventory.yaml']]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).not.toContain('LOADED');
    }
    // the check sees DuckDB when a command does load it
    const q = run(['query', '--db', join(d, 'none.duckdb'), 'SELECT 1']);
    expect(q.stderr).toContain('LOADED');
  });

  it('reads stdin from a pipe', () => {
    const log = readFileSync(`${ROOT}/fixtures/demo/logs/gw01-kern.log`);
    const r = runCliProcess(['parse', '-', '--tz', 'UTC', '--year', '2026'], { input: log });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(19);
  });
});
