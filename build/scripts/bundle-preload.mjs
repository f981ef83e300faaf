#!/usr/bin/env node
// Bundles the preload (electron/preload/preload.ts) into ONE CommonJS file,
// dist/electron/preload/preload.cjs. Why a bundle: a sandboxed preload runs as CommonJS and its
// require() reaches only `electron` and a few polyfills (events, timers, url) — not zod, not our
// other modules, not Node's fs. esbuild inlines everything except `electron`; platform "browser"
// makes any Node built-in import a build error, so Node code cannot creep into the renderer side.
// tsc type-checks the same source (electron/preload/tsconfig.json); esbuild only strips types.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function bundlePreload(outfile = join(root, 'dist/electron/preload/preload.cjs')) {
  await build({
    absWorkingDir: root,
    entryPoints: ['electron/preload/preload.ts'],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    // Electron 45 = Chromium 140
    target: 'chrome140',
    external: ['electron'],
    sourcemap: 'linked',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: 'electron/preload/tsconfig.json',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await bundlePreload(process.argv[2]);
  process.stdout.write(`preload bundled: ${out}\n`);
}
