import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // A guard against hangs, not a speed assertion: speed is measured by `npm run bench`.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
