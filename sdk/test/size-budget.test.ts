import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/**
 * Bytes are a design constraint: the whole IIFE bundle (queue, retry, tabs, beacon, sessions,
 * SPA page views, clicks, plugins, idb-keyval) ships to every visitor of our customers' sites.
 * Reads the built output as users load it (`npm run build` runs before the tests).
 */
const read = (file: string) => readFileSync(new URL(`../dist/${file}`, import.meta.url));

describe('SDK size budget', () => {
  it('keeps the full IIFE bundle within 6,288 bytes gzip', () => {
    // 6,144 until identify took a userHash for decide (+49 B, the trust model of
    // contract/src/identity-proof.ts); 6,192 until a newly elected sender asked the edge for
    // receipts of every earlier page's event and again a little later (+93 B: no whole-batch
    // resend after a closed tab). The size issue (5.5 KB) is to take these back and more.
    expect(gzipSync(read('pulse.iife.js'), { level: 9 }).length).toBeLessThanOrEqual(6288);
  });

  it('keeps the script-tag snippet within 500 bytes', () => {
    expect(read('snippet.min.js').length).toBeLessThanOrEqual(500);
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
