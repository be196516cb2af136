/** Runs the built CLI (dist/) as a user would, from the repository root. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
/** The shared corpus beside the clone; absent in a bare clone (tests then check nothing corpus-specific). */
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const HAVE_CORPUS = existsSync(CORPUS);

export interface CliResult { code: number; stdout: string; stderr: string }

export function runCli(args: string[], o: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? ROOT, input: o.input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, TZ: 'UTC', ...o.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function jsonLines(s: string): Record<string, unknown>[] {
  return s.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}
