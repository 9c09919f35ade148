import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IIFE_GZIP_BUDGET, SNIPPET_BUDGET } from './budgets';

/**
 * Bytes are a design constraint: the whole IIFE bundle (queue, retry, tabs, beacon, sessions,
 * SPA page views, clicks, plugins, idb-keyval) ships to every visitor of our customers' sites.
 * Reads the built output as users load it (`npm run build` runs before the tests).
 */
const read = (file: string) => readFileSync(new URL(`../dist/${file}`, import.meta.url));

describe('SDK size budget', () => {
  it(`keeps the full IIFE bundle within ${IIFE_GZIP_BUDGET} bytes gzip`, () => {
    const gzip = gzipSync(read('pulse.iife.js'), { level: 9 }).length;
    expect(gzip).toBeLessThanOrEqual(IIFE_GZIP_BUDGET);
  });

  it(`keeps the script-tag snippet within ${SNIPPET_BUDGET} bytes`, () => {
    expect(read('snippet.min.js').length).toBeLessThanOrEqual(SNIPPET_BUDGET);
  });

  it('ships none of the contract runtime (zod, schemas) in any build', () => {
    for (const file of ['pulse.iife.js', 'pulse.mjs', 'pulse.cjs']) {
      const code = read(file).toString();
      expect(code).not.toMatch(/zod|ZodError|clientEventSchema|@pulse\/contract/);
    }
  });

  it('keeps idb-keyval a dependency of the ESM and CJS builds rather than inlining it', () => {
    expect(read('pulse.mjs').toString()).toMatch(/from ['"]idb-keyval['"]/);
    expect(read('pulse.cjs').toString()).toMatch(/require\(['"]idb-keyval['"]\)/);
  });
});
