import { defineProject } from 'vitest/config';

/** The Flink job (backend/flink, Java) against the processing vectors, and with a real Kafka. */
export default defineProject({
  test: {
    name: 'flink',
    include: ['flink/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    // Maven builds the job, then one MiniCluster per parallelism runs every vector.
    hookTimeout: 600_000,
    // Each file starts JVMs (and a broker): one file at a time on a two-core machine.
    fileParallelism: false,
    pool: 'forks',
  },
});
