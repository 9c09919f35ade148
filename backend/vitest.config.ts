import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'backend',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // A real Kafka broker starts in a few seconds here, longer on a loaded machine.
    hookTimeout: 180_000,
  },
});
