import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // Measured on the 2-core machine (whole suite, load ~15): forks 115 s, threads 130 s. CLI tests run
    // in-process (test/helpers/cli.ts), so a test file costs one module load, not one process per case.
    pool: 'forks',
    // A guard against hangs, not a speed assertion: speed is measured by `npm run bench`.
    testTimeout: 180_000,
    // The JSON report lets .ci/run print the plain "N passed, N failed" line CI reads.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    hookTimeout: 180_000,
  },
});
