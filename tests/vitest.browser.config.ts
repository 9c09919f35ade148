import { defineProject } from 'vitest/config';

/** Real Chromium through Playwright; one browser at a time on a 2-core machine. */
export default defineProject({
  test: {
    name: 'browser',
    include: ['browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
