/**
 * The prerequisites outside the repository. Each test that needs one is skipped when it is absent; under
 * FWAUDIT_REQUIRE_PREREQS=1 (CI) this file fails instead, naming what is missing.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './helpers/cli.js';
import { CHROMIUM } from './helpers/chromium.js';
import { REQUIRE_PREREQS, SHARED } from './helpers/prereqs.js';

describe.runIf(REQUIRE_PREREQS)('prerequisites (FWAUDIT_REQUIRE_PREREQS=1)', () => {
  it.each([
    ['the shared corpus', CORPUS],
    ['the vendor documents', join(SHARED, 'vendor-docs')],
    ['Chromium', CHROMIUM],
    ['util-linux script', '/usr/bin/script'],
  ])('%s is present', (_name, path) => {
    expect(existsSync(path), path).toBe(true);
  });
});
