import { defineProject } from 'vitest/config';

/** The edge app in Node: contract tests through `app.request()`, the Node adapter over HTTP. */
export default defineProject({
  test: {
    name: 'edge',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/workers/**'],
  },
});
