/**
 * The few things only a real process shows (everything else runs in-process through runCli): the bin
 * entry and its exit status, stdin from a pipe, and a reader that closes the pipe early (`| head -1`),
 * which must end quietly (status 0 or 141), never with "internal error: write EPIPE" or a stack.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CLI, ROOT, runCliProcess } from './helpers/cli.js';

describe('the CLI as a process', () => {
  it('the bin entry runs, prints its version and exits 0; no arguments exits 2', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    const v = runCliProcess(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.split('\n')[0]).toBe(`fwaudit ${pkg.version}`);
    const none = runCliProcess([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: fwaudit');
  });

  it('parse | head -1 ends quietly (0 or 141), whatever the size of the output', () => {
    // Enough flows that the writer is still busy when head exits.
    const script = `set -o pipefail; for i in $(seq 1 40); do cat fixtures/demo/logs/pa-3220.log; done > "$T/big.log"; `
      + `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} parse "$T/big.log" --tz UTC --year 2026 -q | head -1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, T: tmpdir() } });
    expect(r.stderr).not.toMatch(/EPIPE|internal error|at .*\.js:\d+/);
    expect(r.stdout.trim()).toMatch(/^status=(0|141)$/);
  });

  it('reads stdin from a pipe; an unwritable --out is exit 2 naming the path', () => {
    const log = readFileSync(`${ROOT}/fixtures/demo/logs/gw01-kern.log`);
    const r = runCliProcess(['parse', '-', '--tz', 'UTC', '--year', '2026'], { input: log });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(19);
    const bad = runCliProcess(['parse', 'fixtures/demo/logs', '--out', '/nonexistent/x.jsonl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('fwaudit: cannot write /nonexistent/x.jsonl: ENOENT\n');
  });
});
