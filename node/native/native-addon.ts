/**
 * Loads Tapline's own Node-API addons (native/<name>/, built by build/scripts/build-native.mjs).
 * They are an optional fast path: every caller keeps a portable JavaScript path and uses it, with
 * the reason, when the addon is missing, unbuilt, or switched off with TAPLINE_NATIVE=0.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeAddonLoad<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

/** Folder holding packaged addons (the packaged capture worker sets it to its own folder). */
let packagedDir: string | null = null;

export function setPackagedNativeDir(dir: string): void {
  packagedDir = dir;
}

/**
 * The addon file `<target>.node`: in the packaged folder, beside this module's file, else in
 * native/<name>/build/Release searched upward from this module (source or dist).
 */
export function nativeAddonPath(name: string, target: string): string | null {
  if (packagedDir) {
    const p = join(packagedDir, `${target}.node`);
    return existsSync(p) ? p : null;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  // beside this module's file: a bundle's folder (the packaged capture worker's writer thread,
  // a bundle of its own for which setPackagedNativeDir was never called)
  const beside = join(dir, `${target}.node`);
  if (existsSync(beside)) return beside;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'native', name, 'build', 'Release', `${target}.node`);
    if (existsSync(p)) return p;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** What loading each addon gave, once per process: its exports, or why there are none. */
const cache = new Map<string, NativeAddonLoad<unknown>>();

function loadOnce(name: string, target: string): NativeAddonLoad<unknown> {
  const key = `${name}/${target}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let result: NativeAddonLoad<unknown>;
  if (process.env.TAPLINE_NATIVE === '0') {
    result = { ok: false, reason: 'native addons switched off (TAPLINE_NATIVE=0)' };
  } else {
    const path = nativeAddonPath(name, target);
    if (!path) {
      result = { ok: false, reason: `native addon ${key} not built (run npm run build:native)` };
    } else {
      try {
        const mod: { exports: unknown } = { exports: {} };
        // dlopen by absolute path: no search path is consulted.
        process.dlopen(mod, path);
        result = { ok: true, addon: mod.exports, path };
      } catch (e) {
        result = { ok: false, reason: `native addon ${path} failed to load: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
  }
  cache.set(key, result);
  return result;
}

/**
 * Loads the addon once per process. `validate` checks the exports' shape on every call (callers
 * of one addon may need different parts of it), so a stale build with another interface is
 * refused with a reason instead of failing later.
 */
export function loadNativeAddon<T>(name: string, target: string, validate: (m: unknown) => m is T): NativeAddonLoad<T> {
  const load = loadOnce(name, target);
  if (!load.ok) return load;
  return validate(load.addon) ? { ok: true, addon: load.addon, path: load.path } : { ok: false, reason: `native addon ${load.path} has an unexpected interface (stale build?)` };
}
