/**
 * Switches the CLI passes to the Electron main process, and the one the main process passes to
 * the preload (additionalArguments land in the sandboxed renderer's process.argv).
 * Environment-free: the preload bundles apiBaseFromArgv.
 */
import { STORE_SWITCH } from './app-identity.js';

export const API_BASE_SWITCH = '--tapline-api-base';

function value(argv: readonly string[], name: string): string | null {
  for (const a of argv) if (typeof a === 'string' && a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  return null;
}

/** `--tapline-store=DIR` as given by `tapline app --store DIR` (made absolute by the CLI). */
export function storeDirFromArgv(argv: readonly string[]): string | null {
  const v = value(argv, STORE_SWITCH);
  return v && v.length <= 4096 && !v.includes('\0') ? v : null;
}

/** The local API's base URL (loopback http(s) only), or null when the desktop runs none. */
export function apiBaseFromArgv(argv: readonly string[]): string | null {
  return loopbackApiBase(value(argv, API_BASE_SWITCH));
}

/**
 * A loopback http(s) origin, or null for anything else: the preload builds CapMe URLs on it, and
 * a page must not be able to point them elsewhere.
 */
export function loopbackApiBase(v: string | null | undefined): string | null {
  if (typeof v !== 'string' || !v || v.length > 200) return null;
  try {
    const u = new URL(v);
    const loopback = u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === 'localhost';
    return (u.protocol === 'http:' || u.protocol === 'https:') && loopback && !u.username && !u.password ? u.origin : null;
  } catch {
    return null;
  }
}
