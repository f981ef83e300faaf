/**
 * Loads the `tapline carve` command: from its one-file bundle (dist/electron/cli/
 * carve-command.bundle.cjs, made by build/scripts/bundle-carve.mjs during `npm run build`) when it
 * is there and current, else module by module. The bundle compiled from its V8 code cache loads in
 * ~0.04 s of CPU (~0.1 s without the cache) instead of ~0.27 s for ~250 separate modules, on the
 * single-threaded start of every carve.
 *
 * Current means: none of the dist files it was built from (listed beside it) is newer than it,
 * so a `tsc -b` that rebuilt a carving module without re-bundling runs the new modules, never a
 * stale bundle. From source (tsx) there is no bundle. TAPLINE_CARVE_BUNDLE=0 forces the modules.
 *
 * The bundle is CommonJS run through vm.Script because Node 20 takes a code cache only for
 * scripts. It imports two modules by path instead of holding copies (cli-args: main.js tells a
 * usage error by `instanceof UsageError`; hash-worker: the spool ring is one per process); they
 * are handed to it by `require` below. The cache is used only when it names the bundle's sha256
 * (V8 checks just the source length) and V8 accepts it (same version and flags); otherwise the
 * bundle is compiled as any script.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

export type CarveCommandModule = typeof import('./carve-command.js');

const BUNDLE = new URL('./carve-command.bundle.cjs', import.meta.url);
const INPUTS = new URL('./carve-command.bundle.inputs.json', import.meta.url);
const CACHE = new URL('./carve-command.bundle.cache', import.meta.url);

/** Why the bundle is not used, or null when it is current. */
export function bundleProblem(bundle: URL = BUNDLE, inputs: URL = INPUTS): string | null {
  if (process.env.TAPLINE_CARVE_BUNDLE === '0') return 'TAPLINE_CARVE_BUNDLE=0';
  let built: number;
  let list: unknown;
  try {
    built = statSync(fileURLToPath(bundle)).mtimeMs;
    list = (JSON.parse(readFileSync(fileURLToPath(inputs), 'utf8')) as { inputs?: unknown }).inputs;
  } catch {
    return 'no bundle';
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string')) return 'bundle input list unreadable';
  // paths joined as strings: a URL per input made fileURLToPath hot enough for TurboFan
  const dir = dirname(fileURLToPath(bundle));
  for (const p of list as string[]) {
    let m: number;
    try {
      m = statSync(join(dir, p)).mtimeMs;
    } catch {
      return `bundle input missing: ${p}`;
    }
    if (m > built) return `bundle older than ${p}`;
  }
  return null;
}

/** The modules the bundle imports by path (relative to the bundle, as esbuild left them). */
async function sharedModules(): Promise<Record<string, unknown>> {
  const [cliArgs, spool] = await Promise.all([import('./cli-args.js'), import('../../node/carve/hash-worker.js')]);
  return { './cli-args.js': cliArgs, '../../node/carve/hash-worker.js': spool };
}

const SHA_BYTES = 32;

/** The bundle compiled (from `cache` when it was made for this source and V8 takes it). */
export function compileBundle(path: string, source: string, cache: Buffer | null): { script: Script; cached: boolean } {
  const sha = createHash('sha256').update(source).digest();
  const usable = cache !== null && cache.length > SHA_BYTES && cache.subarray(0, SHA_BYTES).equals(sha);
  // the wrapper is a CommonJS module's, on one line: positions in stack traces stay the bundle's
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: path, cachedData: usable ? cache.subarray(SHA_BYTES) : undefined });
  return { script, cached: usable && !script.cachedDataRejected };
}

/** Runs the compiled bundle as a CommonJS module; its exports. */
function runBundle(script: Script, path: string, shared: Record<string, unknown>): unknown {
  const nodeRequire = createRequire(path);
  const module = { exports: {} as unknown };
  const require = (id: string): unknown => (Object.hasOwn(shared, id) ? shared[id] : nodeRequire(id));
  (script.runInThisContext() as (e: unknown, r: (id: string) => unknown, m: { exports: unknown }, f: string, d: string) => void)(module.exports, require, module, path, dirname(path));
  return module.exports;
}

/**
 * Build step (build/scripts/bundle-carve.mjs): the code cache of a bundle, with the compiler flags
 * a carve runs with, made after a small training carve (carve-cache-training.ts) so that it holds
 * the functions a carve runs; without `train`, or when the training fails (reported), after
 * loading only.
 */
export async function writeBundleCache(bundlePath: string, cachePath: string, train = true): Promise<void> {
  tuneV8ForCarving();
  const source = readFileSync(bundlePath, 'utf8');
  const { script } = compileBundle(bundlePath, source, null);
  // run once: the functions compiled while the modules initialize go into the cache too
  const mod = runBundle(script, bundlePath, await sharedModules()) as CarveCommandModule;
  if (train) {
    try {
      const { trainCarve } = await import('./carve-cache-training.js');
      const files = await trainCarve(mod.carveCommand);
      if (files === 0) process.stderr.write('carve bundle: the training carve found no file (code cache made anyway)\n');
    } catch (e) {
      process.stderr.write(`carve bundle: training carve failed, code cache made after loading only: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  const sha = createHash('sha256').update(source).digest();
  const tmp = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([sha, script.createCachedData()]));
  renameSync(tmp, cachePath);
}

/**
 * The bundle's text. The build writes it in ASCII only (bundle-carve.mjs, asciiOnly), which reads
 * as Latin-1 in ~0.2 ms where decoding 1.4 MB as UTF-8 took ~3.5-5 ms (~9.5 ms while it held
 * non-ASCII characters); anything else is decoded as UTF-8.
 */
function readSource(path: string): string {
  const bytes = readFileSync(path);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

export async function loadCarveCommand(): Promise<CarveCommandModule> {
  const problem = bundleProblem();
  if (problem === null) {
    const path = fileURLToPath(BUNDLE);
    let cache: Buffer | null = null;
    try {
      cache = readFileSync(fileURLToPath(CACHE));
    } catch {
      // no cache: compiled from source
    }
    const { script, cached } = compileBundle(path, readSource(path), cache);
    if (process.env.TAPLINE_DEBUG) process.stderr.write(`tapline: carve bundle ${cached ? 'compiled from its code cache' : 'compiled from source (no usable code cache)'}\n`);
    return runBundle(script, path, await sharedModules()) as CarveCommandModule;
  }
  if (process.env.TAPLINE_DEBUG) process.stderr.write(`tapline: carve modules loaded one by one (${problem})\n`);
  return import('./carve-command.js');
}

/**
 * V8 flags for a carve. Keeps V8's optimizing compiler (TurboFan) off file-type's detectors (`detectConfident`,
 * `detectImprecise`: one async function of ~15 KB of bytecode with every magic-byte check in
 * it), which a carve calls once per file. Compiling them was about a fifth of all TurboFan work of
 * a 500-file carve (~0.1-0.2 s of CPU on V8's compiler threads); unoptimized, the 500 calls cost a
 * few tens of ms. The types found are the same: only how V8 runs the code changes. The filter
 * matches names starting with "detect" (V8 takes one pattern).
 *
 * V8 flags are process-wide and read by every isolate: this runs before the spool workers
 * (other isolates) start, so no thread reads the flag while it changes.
 */
export function tuneV8ForCarving(): void {
  setFlagsFromString('--turbo-filter=-detect*');
  // The young generation starts at 1 MiB and doubles when most of it survives: a carve's per-packet
  // garbage (~144 MB of views and chunks) then went through 25 scavenges that copied 3-6 MB of
  // survivors each, and 3 mark-compacts. Growing 16x lets it reach its usual maximum (16 MiB a
  // semi-space; the maximum is unchanged) at the first growth: 12 scavenges, 2 mark-compacts,
  // pauses 112 -> 60 ms per 256 MB carved, V8's helper threads ~0.06 s less (8 pairs).
  // (--min-semi-space-size would do it too, but only before the heap exists.)
  setFlagsFromString('--semi-space-growth-factor=16');
}
