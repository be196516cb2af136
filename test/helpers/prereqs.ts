/**
 * Prerequisites outside the repository (the shared corpus, vendor documents, Chromium, util-linux `script`).
 * A test that needs one is skipped when it is missing (`it.skipIf(missing(...))`), never passed by an early
 * return. With FWAUDIT_REQUIRE_PREREQS=1 (set by .ci/run) nothing is skipped: a missing prerequisite fails.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './cli.js';

export const REQUIRE_PREREQS = process.env['FWAUDIT_REQUIRE_PREREQS'] === '1';

/** True when tests needing this prerequisite should be skipped: absent, and not required. */
export function missing(present: boolean): boolean {
  return !present && !REQUIRE_PREREQS;
}

/** True when `path` is absent and tests needing it should be skipped. */
export function missingPath(path: string): boolean {
  return missing(existsSync(path));
}

export const SHARED = resolve(ROOT, '../shared');
