import { defineConfig } from 'vitest/config';

// The browser suite: the bundled web client driven by Debian's Chromium through playwright-core.
// It starts its own server in-process (embedded mode) and builds dist/web when needed.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
