/**
 * `tapline app [--store DIR] [tapline://flow?…]`: the desktop app. With the Electron binary
 * installed (a normal `npm install`), it starts Electron on this package (package.json "main" is
 * the shell, dist/electron/main/main.js). Without it (installs with ELECTRON_SKIP_BINARY_DOWNLOAD,
 * headless boxes), it says so in one line and runs `tapline serve` on loopback instead, opening the
 * login URL in the default browser when there is a desktop to show it on.
 * Plain Node: nothing here imports electron.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STORE_SWITCH } from '../main/lib/app-identity.js';
import { currentPathContext, defaultStoreDir, settingsFile } from '../main/lib/app-paths.js';
import { findDeepLink } from '../main/lib/deep-link.js';
import { loadSettings } from '../main/lib/settings.js';
import { UsageError } from './cli-args.js';

/** dist/electron/cli/app-command.js → the package root. */
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    if (process.platform !== 'win32') accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Electron executable the `electron` npm package installed, or null. This mirrors the
 * package's index.js (path.txt names the executable under dist/, ELECTRON_OVERRIDE_DIST_PATH
 * replaces dist/) but only looks: requiring index.js itself would try to DOWNLOAD the binary
 * when it is missing (electron ≥ 38 does so on first use), which must never happen here.
 */
export function findElectronBinary(env: NodeJS.ProcessEnv = process.env, from: string = import.meta.url): string | null {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(from).resolve('electron/package.json'));
  } catch {
    return null;
  }
  let rel = '';
  try {
    rel = readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim();
  } catch {
    rel = '';
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, rel || 'electron') : rel ? join(pkgDir, 'dist', rel) : null;
  return candidate !== null && isExecutableFile(candidate) ? candidate : null;
}

/** Can a window be shown? macOS and Windows always; elsewhere an X11 or Wayland session. */
export function hasDesktopSession(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The command that opens a URL in the default browser. The URL is one argument: no shell. */
export function browserCommand(url: string, platform: NodeJS.Platform = process.platform): { cmd: string; args: string[] } {
  if (platform === 'darwin') return { cmd: 'open', args: [url] };
  // not `cmd /c start`: cmd.exe would interpret & and ^ in the URL
  if (platform === 'win32') return { cmd: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { cmd: 'xdg-open', args: [url] };
}

function openInBrowser(url: string, err: (line: string) => void): void {
  const { cmd, args } = browserCommand(url);
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e) => err(`could not start ${cmd} (${e.message}); open ${url} yourself`));
    child.unref();
  } catch (e) {
    err(`could not start ${cmd} (${(e as Error).message}); open ${url} yourself`);
  }
}

/** The login URL (http://127.0.0.1:PORT/login?token=…) in what `serve` prints. */
export function findLoginUrl(text: string): string | null {
  const m = /\bhttps?:\/\/(?:127\.0\.0\.1|\[::1\]|localhost):\d{1,5}\/login\?token=[A-Za-z0-9._~%-]+/.exec(text);
  return m ? m[0] : null;
}

/** --store, else the store the desktop app's settings name, else the platform default. */
async function chooseStore(given: string | undefined): Promise<string> {
  if (given !== undefined) return resolve(given);
  const { settings } = await loadSettings(settingsFile(), { readOnly: true });
  return settings.storeDir ?? defaultStoreDir(currentPathContext());
}

async function runElectron(electron: string, store: string | undefined, link: string | null, err: (line: string) => void): Promise<number> {
  for (const built of ['dist/electron/main/main.js', 'dist/electron/preload/preload.cjs']) {
    if (!existsSync(join(packageRoot, built))) {
      err(`the desktop app is not built (${built} is missing): run npm run build`);
      return 1;
    }
  }
  if (!existsSync(join(packageRoot, 'dist/renderer/index.html'))) err('the renderer is not built (dist/renderer/index.html is missing): the window will say so');
  const args = [packageRoot];
  if (store !== undefined) args.push(`${STORE_SWITCH}=${store}`);
  if (link !== null) args.push(link);
  const env = { ...process.env };
  // would turn Electron into plain Node and ignore our app
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electron, args, { stdio: 'inherit', env, windowsHide: false });
  const forwarded = new Set<NodeJS.Signals>();
  const forward = (signal: NodeJS.Signals): void => {
    forwarded.add(signal);
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolveExit) => {
    child.on('error', (e) => {
      err(`could not start Electron (${electron}): ${e.message}`);
      resolveExit(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (code !== null) resolveExit(code);
      else resolveExit(signal !== null && forwarded.has(signal) ? 0 : 1);
    });
  });
}

/**
 * `tapline serve` on loopback instead of the window. The login URL serve prints is watched for
 * (on stderr lines and stdout) and opened in the default browser when a desktop can show it.
 */
async function runServeFallback(store: string, err: (line: string) => void): Promise<number> {
  const desktop = hasDesktopSession();
  // TAPLINE_NO_BROWSER=1: print only (tests, kiosk setups)
  const openBrowser = desktop && process.env.TAPLINE_NO_BROWSER !== '1';
  let seen = false;
  const watch = (text: string): void => {
    if (seen) return;
    const url = findLoginUrl(text);
    if (!url) return;
    seen = true;
    if (openBrowser) {
      openInBrowser(url, err);
      err('opened the login URL in the default browser');
    } else if (!desktop) err(`no desktop session here: open ${url} in a browser (ssh -L forwards the port from another machine)`);
  };
  const origWrite = process.stdout.write;
  // observe only: every write still goes out unchanged
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string') watch(chunk);
    else if (chunk instanceof Uint8Array) watch(Buffer.from(chunk).toString('utf8'));
    return (origWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  try {
    const { serveCommand } = await import('./serve-command.js');
    return await serveCommand(['--store', store, '--listen', '127.0.0.1:0'], (line) => {
      err(line);
      watch(line);
    });
  } finally {
    process.stdout.write = origWrite;
  }
}

export async function appCommand(args: string[], err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { store: { type: 'string' } }, allowPositionals: true, strict: true });
  if (values.store === '') throw new UsageError('--store needs a directory');
  const link = findDeepLink(positionals);
  if (positionals.length > (link ? 1 : 0)) throw new UsageError(`app takes --store DIR and at most one tapline:// link, not ${JSON.stringify(positionals.find((p) => p !== link))}`);

  const electron = findElectronBinary();
  if (electron !== null && hasDesktopSession()) return runElectron(electron, values.store !== undefined ? resolve(values.store) : undefined, link, err);

  const store = await chooseStore(values.store);
  err(
    electron === null
      ? `Electron is not installed here (no binary in node_modules/electron): falling back to \`tapline serve\` on 127.0.0.1 (store ${store})`
      : `no desktop session (DISPLAY and WAYLAND_DISPLAY are unset): falling back to \`tapline serve\` on 127.0.0.1 (store ${store})`,
  );
  if (link) err(`${link.slice(0, 80)} is ignored: deep links need the desktop app`);
  return runServeFallback(store, err);
}
