import { readFileSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import type { RollupOptions } from 'rollup';
import dts from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';

/**
 * Builds @pulse/sdk (run from sdk/ by `npm run build -w @pulse/sdk`): ESM and CJS for bundlers
 * (idb-keyval stays a dependency), the self-contained IIFE for script tags, the snippet, and one
 * .d.ts with the contract's types inlined (the SDK imports them as types only: zero bytes).
 */
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const ts = () => esbuild({ target: 'es2020', define: { __VERSION__: JSON.stringify(version) } });
const min = () =>
  terser({
    ecma: 2020,
    toplevel: true,
    compress: { passes: 3, unsafe_arrows: true },
    format: { comments: false },
  });

const config: RollupOptions[] = [
  {
    input: 'src/index.ts',
    external: ['idb-keyval'],
    plugins: [ts()],
    output: [
      { file: 'dist/pulse.mjs', format: 'es' },
      { file: 'dist/pulse.cjs', format: 'cjs' },
    ],
  },
  {
    input: 'src/iife.ts',
    plugins: [nodeResolve({ browser: true }), ts(), min()],
    output: { file: 'dist/pulse.iife.js', format: 'iife' },
  },
  {
    input: 'src/snippet/snippet.js',
    plugins: [min()],
    output: { file: 'dist/snippet.min.js', format: 'es' },
  },
  {
    input: 'src/index.ts',
    external: ['idb-keyval'],
    plugins: [dts({ respectExternal: true, tsconfig: 'tsconfig.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];

export default config;
