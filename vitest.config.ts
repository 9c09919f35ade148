import { defineConfig } from 'vitest/config';

/**
 * One `vitest run` for every suite. Each package owns its project config; this file only
 * lists them, so a package's tests can change without touching the others.
 */
export default defineConfig({
  test: {
    projects: ['*/vitest.config.ts', '*/vitest.*.config.ts'],
    reporters: ['default', './tests/reporters/summary-line.ts'],
  },
});
