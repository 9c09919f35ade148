import { defineProject } from 'vitest/config';

/** The processor and warehouse against the vectors, with real Kafka, Redis and chdb. */
export default defineProject({
  test: {
    name: 'processing',
    include: ['processing/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // chdb runs one engine per process, and Kafka suites load the machine: one file at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
