/**
 * Builds dist/ before the suite, so CLI end-to-end tests run the code under test. Like make, it skips the
 * build when dist/ is newer than every source file and tsconfig (tsc is incremental either way).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function newestSource(root: string): number {
  let newest = statSync(join(root, 'tsconfig.json')).mtimeMs;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['src', 'parsers', 'scripts']) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

export default function setup(): void {
  // Every test process (forked after this) starts in UTC, whatever the machine's zone.
  process.env['TZ'] = 'UTC';
  if (process.env['FWAUDIT_SKIP_BUILD'] === '1') return;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const info = join(root, 'dist/.tsbuildinfo');
  if (existsSync(info) && existsSync(join(root, 'dist/src/cli/main.js')) && statSync(info).mtimeMs >= newestSource(root)) return;
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  execFileSync(process.execPath, [join(root, 'scripts/postbuild.mjs')], { stdio: 'inherit', cwd: root });
}
