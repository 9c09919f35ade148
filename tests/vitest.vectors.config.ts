import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/** The processing vectors (tests/vectors/README.md): the loader's checks and the engine runs. */
export default defineProject({
  test: {
    name: 'vectors',
    // The repository root, so `include` reads as the path from there.
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['tests/vectors/**/*.test.ts'],
    environment: 'node',
  },
});
