/**
 * Where the desktop app keeps its settings and, by default, its packet store — computed by hand
 * (env-paths style) so that the plain-Node CLI (`tapline app` without Electron) and the Electron
 * main process (which sets app.setPath('userData', …) from the same function) agree.
 *   settings: Linux $XDG_CONFIG_HOME/Tapline (~/.config/Tapline), macOS ~/Library/Application
 *             Support/Tapline, Windows %APPDATA%\Tapline — Electron's own userData default.
 *   store:    Linux $XDG_DATA_HOME/tapline/store (~/.local/share/tapline/store), macOS
 *             ~/Library/Application Support/Tapline/store, Windows %LOCALAPPDATA%\Tapline\store.
 */
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { PRODUCT_NAME } from './app-identity.js';

export interface PathContext {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
}

export function currentPathContext(): PathContext {
  return { platform: process.platform, env: process.env, home: homedir() };
}

function pathFor(ctx: PathContext): typeof posix {
  return ctx.platform === 'win32' ? win32 : posix;
}

/** An environment variable that names an absolute directory (XDG says relative ones are ignored). */
function absEnv(ctx: PathContext, name: string): string | null {
  const v = ctx.env[name];
  return v && pathFor(ctx).isAbsolute(v) ? v : null;
}

/** Electron's app.getPath('appData'). */
export function appDataDir(ctx: PathContext = currentPathContext()): string {
  const p = pathFor(ctx);
  if (ctx.platform === 'win32') return absEnv(ctx, 'APPDATA') ?? p.join(ctx.home, 'AppData', 'Roaming');
  if (ctx.platform === 'darwin') return p.join(ctx.home, 'Library', 'Application Support');
  return absEnv(ctx, 'XDG_CONFIG_HOME') ?? p.join(ctx.home, '.config');
}

/** app.getPath('userData') for Tapline. */
export function userDataDir(ctx: PathContext = currentPathContext()): string {
  return pathFor(ctx).join(appDataDir(ctx), PRODUCT_NAME);
}

export function settingsFile(ctx: PathContext = currentPathContext()): string {
  return pathFor(ctx).join(userDataDir(ctx), 'settings.json');
}

/** The store used when neither --store nor the settings name one. */
export function defaultStoreDir(ctx: PathContext = currentPathContext()): string {
  const p = pathFor(ctx);
  if (ctx.platform === 'win32') return p.join(absEnv(ctx, 'LOCALAPPDATA') ?? p.join(ctx.home, 'AppData', 'Local'), PRODUCT_NAME, 'store');
  if (ctx.platform === 'darwin') return p.join(ctx.home, 'Library', 'Application Support', PRODUCT_NAME, 'store');
  return p.join(absEnv(ctx, 'XDG_DATA_HOME') ?? p.join(ctx.home, '.local', 'share'), 'tapline', 'store');
}
