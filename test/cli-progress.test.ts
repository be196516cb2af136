/**
 * Progress on stderr: shown when stderr is a terminal (a pseudo-terminal from util-linux `script`),
 * silent when it is not (pipes, files, cron).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, ROOT, runCli } from './helpers/cli.js';
import { missingPath } from './helpers/prereqs.js';

const SCRIPT = '/usr/bin/script';

describe('progress line', () => {
  it('is silent when stderr is not a terminal', () => {
    const r = runCli(['parse', 'fixtures/demo/logs', '-q', '--tz', 'UTC']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.skipIf(missingPath(SCRIPT))('shows files, lines and MB/s on a terminal', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} parse fixtures/demo/logs --tz UTC >/dev/null`;
    const r = spawnSync(SCRIPT, ['-qec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[1\/3 files\] [\d,]+ lines, [\d.]+ MB\/s/);
    expect(r.stdout).toContain('\x1b[K'); // the line is cleared at the end
  });
});
