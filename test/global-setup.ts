/** Builds dist/ once before the suite, so CLI end-to-end tests run the code under test. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // Every test process (forked after this) starts in UTC, whatever the machine's zone.
  process.env['TZ'] = 'UTC';
  if (process.env['FWAUDIT_SKIP_BUILD'] === '1') return;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  execFileSync(process.execPath, [join(root, 'scripts/postbuild.mjs')], { stdio: 'inherit', cwd: root });
}
