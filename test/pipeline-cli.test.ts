/**
 * The reading pipeline through the CLI in process: an unrecognised file's content is shown only as an
 * escaped preview, only with --verbose on a terminal; stdin given to main() is read as `-`.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { ROOT } from './helpers/cli.js';

async function run(args: string[], o: { tty?: boolean; stdin?: Buffer } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
  const stderr = Object.assign(new Writable({ write(c, _e, cb) { err += String(c); cb(); } }), o.tty ? { isTTY: true, columns: 120 } : {});
  const code = await main(['node', 'fwaudit', ...args], { stdout, stderr, stdin: Readable.from(o.stdin ? [o.stdin] : []), env: { TZ: 'UTC' } });
  return { code, out, err };
}

describe('unrecognised input through the CLI', () => {
  const d = mkdtempSync(join(tmpdir(), 'fwaudit-pcli-'));
  const secret = join(d, 'shadow');
  writeFileSync(secret, 'root:$6$SECRETHASH\u001b[2J:19000:0:99999:7:::\n');

  it('says "format not recognised" with the size, never the content', async () => {
    const r = await run(['parse', secret, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${secret}: ERROR format not recognised (${readFileSync(secret).length} bytes)`);
    expect(r.err).not.toContain('SECRET');
    const tty = await run(['parse', secret, '--no-progress'], { tty: true });
    expect(tty.err).not.toContain('SECRET');
  });

  it('shows an escaped first line with --verbose on a terminal only', async () => {
    const v = await run(['parse', secret, '--no-progress', '--verbose'], { tty: true });
    expect(v.err).toContain('    first line (escaped): root:$6$SECRETHASH\\x1b[2J:19000:0:99999:7:::');
    expect(v.err).not.toContain('\u001b[2J');
    const pipe = await run(['parse', secret, '--no-progress', '--verbose']);
    expect(pipe.err).not.toContain('SECRET');
  });

  it('reads stdin given to main() as `-`', async () => {
    const r = await run(['parse', '-', '--tz', 'UTC', '--year', '2026', '--no-progress'], { stdin: readFileSync(join(ROOT, 'fixtures/demo/logs/gw01-kern.log')) });
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n').length).toBe(19);
  });
});
