import { fileURLToPath } from 'node:url';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { minify as swcMinify } from '@swc/core';
import type { Plugin, RollupOptions } from 'rollup';
import dts from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';
import { INTERNAL_PROPERTIES } from './sdk/internal-properties';

/**
 * Builds @pulse/sdk from sdk/src into sdk/dist: ESM and CJS for bundlers (idb-keyval stays a
 * dependency), the IIFE for script tags (everything inlined, minified, global `pulse`), the
 * inline snippet, and one bundled .d.ts. The IIFE's gzip budget is enforced by
 * sdk/test/size-budget.test.ts.
 */
const sdk = (path: string) => fileURLToPath(new URL(`./sdk/${path}`, import.meta.url));

const target = 'es2020';

/**
 * The IIFE's minifier: swc, whose output was 65 B smaller gzip than terser's with the same
 * options and property list (6,320 -> 6,255 B, 2026-12-06; terser with `builtins` reached
 * 6,302). Internal-only property names (never wire, storage or public API ones:
 * sdk/internal-properties.ts) are shortened too, everywhere, also where a name would be a
 * built-in's member, which tests/browser/internal-properties.test.ts rules out.
 */
const minifyIife: Plugin = {
  name: 'swc-minify',
  renderChunk: (code) =>
    swcMinify(code, {
      ecma: 2020,
      compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
      mangle: { props: { regex: INTERNAL_PROPERTIES.source } },
    }),
};

/** The snippet's minifier (its stub's names `_q` and `l` stay as they are). */
const minifySnippet = terser({
  ecma: 2020,
  compress: { passes: 3, inline: 1, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
  format: { comments: false },
});

const config: RollupOptions[] = [
  {
    input: sdk('src/index.ts'),
    external: ['idb-keyval'],
    plugins: [esbuild({ target })],
    output: [
      { file: sdk('dist/pulse.mjs'), format: 'es' },
      { file: sdk('dist/pulse.cjs'), format: 'cjs' },
    ],
  },
  {
    input: sdk('src/iife.ts'),
    plugins: [nodeResolve(), esbuild({ target }), minifyIife],
    // Without "use strict" (10 B gzip): the minified bundle assigns only names it declares and
    // never relies on an unset `this` being undefined, so it runs alike in sloppy mode (where
    // an assignment to a read-only window.pulse would fail silently instead of throwing).
    // Compact: no closing newline (3 B gzip).
    output: { file: sdk('dist/pulse.iife.js'), format: 'iife', strict: false, compact: true },
  },
  {
    input: sdk('src/snippet/snippet.ts'),
    plugins: [esbuild({ target: 'es2020' }), minifySnippet],
    output: { file: sdk('dist/snippet.min.js'), format: 'iife' },
  },
  {
    input: sdk('src/index.ts'),
    external: ['idb-keyval'],
    plugins: [
      // Inline the contract's types: consumers never see the private @pulse/contract package.
      dts({
        respectExternal: true,
        compilerOptions: { paths: { '@pulse/contract': [sdk('../contract/src/index.ts')] } },
      }),
    ],
    output: { file: sdk('dist/index.d.ts'), format: 'es' },
  },
];

export default config;
