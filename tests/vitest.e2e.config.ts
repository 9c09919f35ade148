import { defineProject } from 'vitest/config';

/** End to end with real services (Kafka, workerd, Chromium); one file at a time. */
export default defineProject({
  test: {
    name: 'e2e',
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 150_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
