/**
 * Loads the `tapline carve` command: from its one-file bundle (dist/electron/cli/
 * carve-command.bundle.js, made by build/scripts/bundle-carve.mjs during `npm run build`) when it
 * is there and current, else module by module. The bundle loads in ~0.1 s of CPU instead of
 * ~0.27 s for ~250 separate modules, on the single-threaded start of every carve.
 *
 * Current means: none of the dist files it was built from (listed beside it) is newer than it,
 * so a `tsc -b` that rebuilt a carving module without re-bundling runs the new modules, never a
 * stale bundle. From source (tsx) there is no bundle. TAPLINE_CARVE_BUNDLE=0 forces the modules.
 */
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type CarveCommandModule = typeof import('./carve-command.js');

const BUNDLE = new URL('./carve-command.bundle.js', import.meta.url);
const INPUTS = new URL('./carve-command.bundle.inputs.json', import.meta.url);

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

export async function loadCarveCommand(): Promise<CarveCommandModule> {
  const problem = bundleProblem();
  if (problem === null) return (await import(BUNDLE.href)) as CarveCommandModule;
  if (process.env.TAPLINE_DEBUG) process.stderr.write(`tapline: carve modules loaded one by one (${problem})\n`);
  return import('./carve-command.js');
}

/**
 * Keeps V8's optimizing compiler (TurboFan) off file-type's detectors (`detectConfident`,
 * `detectImprecise`: one async function of ~15 KB of bytecode with every magic-byte check in
 * it), which a carve calls once per file. Compiling them was about a fifth of all TurboFan work of
 * a 500-file carve (~0.1-0.2 s of CPU on V8's compiler threads); unoptimized, the 500 calls cost a
 * few tens of ms. The types found are the same: only how V8 runs the code changes. The filter
 * matches names starting with "detect" (V8 takes one pattern).
 *
 * V8 flags are process-wide and read by every isolate: this runs before the spool workers
 * (other isolates) start, so no thread reads the flag while it changes.
 */
export function tuneCompilerForCarving(): void {
  setFlagsFromString('--turbo-filter=-detect*');
}
