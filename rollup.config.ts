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

const minify = terser({
  ecma: 2020,
  compress: { passes: 3, inline: 1, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
  format: { comments: false },
  // Internal-only property names (never wire, storage or public API ones) are shortened too;
  // `builtins` lets terser shorten names of its DOM list too (hide, session), which is safe as
  // none of them is a built-in's member in a browser (tests/browser/internal-properties.test.ts).
  mangle: { properties: { regex: INTERNAL_PROPERTIES, builtins: true } },
});

/**
 * The IIFE is minified by swc rather than terser: with the same options (terser's names) it is
 * 50 B smaller gzip (6,302 -> 6,252 B on 2026-12-06). Internal-only property names are
 * shortened as with terser, by the same list.
 */
const swc: Plugin = {
  name: 'swc-minify',
  renderChunk: (code) =>
    swcMinify(code, {
      ecma: 2020,
      compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
      mangle: { props: { regex: INTERNAL_PROPERTIES.source } },
    }),
};

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
    plugins: [nodeResolve(), esbuild({ target }), swc],
    output: { file: sdk('dist/pulse.iife.js'), format: 'iife' },
  },
  {
    input: sdk('src/snippet/snippet.ts'),
    plugins: [esbuild({ target: 'es2020' }), minify],
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
