#!/usr/bin/env node
// Bundles the `tapline carve` command (dist/electron/cli/carve-command.js, as tsc emitted it, and
// every module it reaches, zod and file-type included) into ONE CommonJS file,
// dist/electron/cli/carve-command.bundle.cjs, which the CLI loads for `carve`
// (electron/cli/carve-loader.ts), with a V8 code cache made here (carve-command.bundle.cache).
// Why: loading ~250 modules one by one (95 of them zod's) was 0.27 s of the carving thread's CPU
// before the first packet; one ES module took ~0.1 s, the CommonJS bundle compiled from its code
// cache ~0.04 s (Node 20 has no code cache for ES modules).
//
// Two modules stay outside the bundle, imported by their dist path, so the bundle shares them
// with the CLI entry instead of holding copies: cli-args.js (main.js tells a usage error by
// `instanceof UsageError`) and node/carve/hash-worker.js (the spool ring is a per-process
// singleton that main.js starts before loading the command).
//
// Next to the bundle, carve-command.bundle.inputs.json lists the dist files it was built from; the
// loader uses the bundle only when none of them is newer (a `tsc -b` without this step leaves a
// stale bundle, which must not run). The cache starts with the sha256 of the bundle it was made
// for: V8 itself only checks a cache against the source's length.
import { build } from 'esbuild';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliDir = join(root, 'dist/electron/cli');

/** dist modules imported by path rather than bundled (see above). */
const SHARED = [join(root, 'dist/electron/cli/cli-args.js'), join(root, 'dist/node/carve/hash-worker.js')];

export async function bundleCarve(outfile = join(cliDir, 'carve-command.bundle.cjs')) {
  const outDir = dirname(outfile);
  const shared = {
    name: 'shared-modules',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        if (!args.importer || !args.path.startsWith('.')) return undefined;
        const target = resolve(dirname(args.importer), args.path);
        if (!SHARED.includes(target)) return undefined;
        let spec = relative(outDir, target).split('\\').join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        return { path: spec, external: true };
      });
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(cliDir, 'carve-command.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // names kept (stack traces, error messages); minifying saved no measurable load time
    minify: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [shared],
    // written below under a temporary name and renamed: a CLI starting meanwhile loads the old
    // bundle or the new one, never half of one
    write: false,
  });
  const code = result.outputFiles.find((f) => f.path === outfile);
  if (!code) throw new Error(`esbuild produced no ${outfile}`);
  // our own dist files the bundle holds (node_modules are installed once, not rebuilt)
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => p.startsWith('dist/'))
    .map((p) => relative(outDir, join(root, p)).split('\\').join('/'))
    .sort();
  // the list first: a bundle is used only when its list names no newer file
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(tmp, asciiOnly(code.text));
  const stem = outfile.replace(/\.cjs$/, '');
  const list = `${stem}.inputs.json`;
  writeFileSync(`${list}.${process.pid}.tmp`, `${JSON.stringify({ inputs }, null, 1)}\n`);
  renameSync(`${list}.${process.pid}.tmp`, list);
  renameSync(tmp, outfile);
  // the code cache, made by the loader's own code in a fresh process (V8 accepts a cache only
  // under the same V8 version and flags: the carve's compiler filter is set there too), after a
  // small training carve so that it holds the functions a carve runs (carve-cache-training.ts)
  const cache = `${stem}.cache`;
  rmSync(cache, { force: true });
  const loader = join(cliDir, 'carve-loader.js');
  // (a CommonJS -e with import(), not --input-type=module: worker threads inherit the flag, and
  // the training carve's spool workers are CommonJS source)
  execFileSync(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(loader).href)}).then((l) => l.writeBundleCache(${JSON.stringify(outfile)}, ${JSON.stringify(cache)})).catch((e) => { console.error(e); process.exitCode = 1; });`], { stdio: 'inherit' });
  return outfile;
}

/**
 * The bundle with every non-ASCII character written as \u escapes (UTF-16 units). esbuild escapes
 * them in strings but leaves comments and regular expression literals as they are, and one
 * non-ASCII character makes the whole 1.4 MB source a two-byte string when the loader reads it:
 * reading it as UTF-8 took ~9.5 ms of the carving thread's start instead of ~1 ms, and hashing it
 * (the code cache check) ~3.5 ms instead of ~1.5 ms. An escape means the same character in a
 * comment, a string or a regular expression, but not in a template read raw (String.raw) nor
 * right after a backslash: such a character on a line of code (not a comment line) that holds a
 * backtick, or after a backslash, stops the build instead.
 */
export function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/gu, (ch, at) => {
    if (text[at - 1] === '\\') throw new Error(`bundle: a non-ASCII character after a backslash at ${at}: cannot escape it`);
    const line = text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at) >>> 0).trimStart();
    const comment = line.startsWith('*') || line.startsWith('//') || line.startsWith('/*');
    if (!comment && line.includes('`')) throw new Error(`bundle: a non-ASCII character in a line with a template literal at ${at}: not escaped blindly`);
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await bundleCarve(process.argv[2]);
  process.stdout.write(`carve command bundled: ${out}\n`);
}
