/**
 * The Electron main process: a thin shell around the plain-Node back end. It owns the window,
 * the app:// scheme, the menu, settings, deep links and the IPC bridge; everything about packets
 * runs in TaplineServices (electron/services/), in this process, exactly as in `tapline serve`.
 * Started by `tapline app` (electron <repo root>, package.json "main") or by the packaged app.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, nativeTheme, session, shell } from 'electron';
import type { SliceTarget } from '../../common/bridge/messages.js';
import { TaplineServices } from '../services/tapline-services.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { registerIpc, trackSubscriptions } from './ipc.js';
import { APP_ID, DEEP_LINK_SCHEME, PRODUCT_NAME } from './lib/app-identity.js';
import { defaultStoreDir, settingsFile, userDataDir } from './lib/app-paths.js';
import { storeDirFromArgv } from './lib/argv.js';
import { findDeepLink, parseDeepLink } from './lib/deep-link.js';
import type { IpcDispatcher } from './lib/ipc-dispatch.js';
import { PUSH_CHANNELS } from './lib/ipc-contract.js';
import { externalUrlAllowed } from './lib/navigation-policy.js';
import { SettingsStore } from './lib/settings.js';
import { buildAppMenu } from './menu.js';
import { hardenSession, hardenWebContents } from './security.js';
import { createMainWindow } from './window.js';

/** dist/electron/main/main.js → the app root (the repo, or app.asar when packaged). */
const appRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rendererDir = join(appRoot, 'dist', 'renderer');
const preloadPath = join(appRoot, 'dist', 'electron', 'preload', 'preload.cjs');
/** DevTools exist only in unpackaged (development) runs; a packaged build cannot open them. */
const devTools = !app.isPackaged;

function log(line: string): void {
  process.stderr.write(`tapline: ${line}\n`);
}

// ---- before 'ready' ----
app.enableSandbox(); // every renderer sandboxed, whatever a future window's webPreferences say
app.setName(PRODUCT_NAME);
// the CLI computes the same folder without Electron (lib/app-paths.ts)
app.setPath('userData', userDataDir());
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
registerAppScheme();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

let services: TaplineServices | null = null;
let storeDir = '';
let settings: SettingsStore | null = null;
let win: BrowserWindow | null = null;
let dispatcher: IpcDispatcher | null = null;
let rendererReady = false;
let pendingTarget: SliceTarget | null = null;

/** A tapline:// link (argv, second instance, macOS open-url): validated, then sent to the page. */
function handleDeepLink(link: string): void {
  const r = parseDeepLink(link);
  if (!r.ok) {
    log(r.error);
    services?.local.notice('warning', r.error);
    return;
  }
  pendingTarget = r.target;
  deliverPendingTarget();
}

function deliverPendingTarget(): void {
  if (!win || win.isDestroyed() || !rendererReady || pendingTarget === null) return;
  win.webContents.send(PUSH_CHANNELS.openFlow, pendingTarget);
  pendingTarget = null;
}

function focusWindow(): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function registerProtocolClient(): void {
  // A development build registers itself only when asked: it would take the scheme from an
  // installed app. process.defaultApp: launched as `electron <app dir>`, so pass the app dir.
  if (app.isPackaged) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  else if (process.env.TAPLINE_DEV_PROTOCOL === '1' && process.defaultApp && process.argv[1])
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [resolve(process.argv[1])]);
}

/** Opens the services on a store; on failure offers another store or quitting. */
async function openServices(dir: string): Promise<TaplineServices | null> {
  for (;;) {
    try {
      const s = await TaplineServices.open({ storeDir: dir, log });
      storeDir = dir;
      return s;
    } catch (e) {
      const choice = await dialog.showMessageBox({
        type: 'error',
        title: `${PRODUCT_NAME}: cannot open the store`,
        message: `The packet store at ${dir} could not be opened.`,
        detail: (e as Error).message,
        buttons: ['Open another store…', 'Quit'],
        defaultId: 0,
        cancelId: 1,
      });
      if (choice.response !== 0) return null;
      const pick = await dialog.showOpenDialog({ title: 'Open store', properties: ['openDirectory', 'createDirectory'] });
      if (pick.canceled || !pick.filePaths[0]) return null;
      dir = pick.filePaths[0];
    }
  }
}

async function switchStore(dir: string): Promise<void> {
  if (!services || resolve(dir) === resolve(storeDir)) return;
  let next: TaplineServices;
  try {
    next = await TaplineServices.open({ storeDir: dir, log });
  } catch (e) {
    dialog.showErrorBox(`${PRODUCT_NAME}: cannot open the store`, `${dir}\n\n${(e as Error).message}`);
    return;
  }
  const old = services;
  dispatcher?.dropAll();
  services = next;
  storeDir = dir;
  await old.close().catch((e: unknown) => log(`closing the previous store: ${(e as Error).message}`));
  await settings?.update({ storeDir: dir }).catch((e: unknown) => log(`saving settings: ${(e as Error).message}`));
  win?.webContents.reload();
}

async function importFromMenu(): Promise<void> {
  if (!services) return;
  const options: Electron.OpenDialogOptions = {
    title: 'Import captures',
    properties: ['openFile', 'multiSelections'],
    filters: [
      { name: 'Captures', extensions: ['pcap', 'pcapng', 'cap', 'gz'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const pick = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  if (pick.canceled || pick.filePaths.length === 0) return;
  try {
    // progress and results reach the page as import events
    await services.importPaths(pick.filePaths);
  } catch (e) {
    dialog.showErrorBox(`${PRODUCT_NAME}: import failed`, (e as Error).message);
  }
}

async function openStoreFromMenu(): Promise<void> {
  const options: Electron.OpenDialogOptions = { title: 'Open store', defaultPath: storeDir, properties: ['openDirectory', 'createDirectory'] };
  const pick = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  if (!pick.canceled && pick.filePaths[0]) await switchStore(pick.filePaths[0]);
}

function toggleTheme(): void {
  const theme = nativeTheme.shouldUseDarkColors ? 'light' : 'dark';
  nativeTheme.themeSource = theme;
  settings?.update({ theme }).catch((e: unknown) => log(`saving settings: ${(e as Error).message}`));
}

function about(): void {
  const options: Electron.MessageBoxOptions = {
    type: 'info',
    title: `About ${PRODUCT_NAME}`,
    message: `${PRODUCT_NAME} ${app.getVersion()}`,
    detail: `Network-forensics workstation.\n\nStore: ${storeDir}\nElectron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
    buttons: ['OK'],
  };
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

/** The project's homepage when package.json names one, else the documentation shipped with the app. */
function documentation(): void {
  let homepage: unknown = null;
  try {
    homepage = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { homepage?: unknown }).homepage;
  } catch {
    homepage = null;
  }
  if (typeof homepage === 'string' && externalUrlAllowed(homepage)) {
    shell.openExternal(homepage).catch((e: unknown) => log(`could not open ${homepage}: ${(e as Error).message}`));
    return;
  }
  const docs = app.isPackaged ? join(process.resourcesPath, 'docs') : join(appRoot, 'docs');
  void shell.openPath(docs).then((error) => {
    if (error) log(`could not open ${docs}: ${error}`);
  });
}

function createWindow(): void {
  if (!settings) return;
  rendererReady = false;
  win = createMainWindow({ preload: preloadPath, devTools, settings, additionalArguments: [], log });
  const w = win;
  w.webContents.on('did-start-loading', () => {
    rendererReady = false;
  });
  w.webContents.on('did-finish-load', () => {
    rendererReady = true;
    deliverPendingTarget();
  });
  if (dispatcher) trackSubscriptions(w, dispatcher);
  w.on('closed', () => {
    if (win === w) win = null;
  });
}

async function start(): Promise<void> {
  settings = await SettingsStore.open(settingsFile(), log);
  nativeTheme.themeSource = settings.get().theme;
  hardenSession(session.defaultSession, log);
  serveRenderer(rendererDir);

  const dir = storeDirFromArgv(process.argv) ?? settings.get().storeDir ?? defaultStoreDir();
  services = await openServices(resolve(dir));
  if (!services) {
    app.quit();
    return;
  }
  log(`store ${storeDir}`);

  dispatcher = registerIpc({
    services: () => {
      if (!services) throw new Error('the back end is closing');
      return services;
    },
    // The desktop runs no loopback HTTP API yet: Bridge.pcapUrl gives tapline:// links.
    apiBase: () => null,
    appWindow: () => win,
    log,
  });
  Menu.setApplicationMenu(
    buildAppMenu({
      importCaptures: () => void importFromMenu(),
      openStore: () => void openStoreFromMenu(),
      toggleTheme,
      about,
      documentation,
      devTools,
    }),
  );
  createWindow();
  app.on('activate', () => {
    if (!win) createWindow();
  });
}

if (!app.requestSingleInstanceLock()) {
  // another instance runs: it receives our argv (and any tapline:// link) in 'second-instance'
  app.quit();
} else {
  const first = findDeepLink(process.argv);
  if (first) handleDeepLink(first);
  app.on('second-instance', (_event, argv) => {
    const link = findDeepLink(argv);
    if (link) handleDeepLink(link);
    focusWindow();
  });
  // macOS delivers links as events, possibly before 'ready'
  app.on('open-url', (event, url) => {
    event.preventDefault();
    handleDeepLink(url);
    focusWindow();
  });
  registerProtocolClient();

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let shutdown: 'running' | 'closing' | 'closed' = 'running';
  app.on('will-quit', (event) => {
    if (shutdown === 'closed') return;
    event.preventDefault();
    if (shutdown === 'closing') return;
    shutdown = 'closing';
    void (async () => {
      try {
        await settings?.flush();
        await services?.close();
      } catch (e) {
        log(`while quitting: ${(e as Error).message}`);
      } finally {
        services = null;
        shutdown = 'closed';
        app.quit();
      }
    })();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app.whenReady().then(start).catch((e: unknown) => {
    log(`could not start: ${(e as Error).stack ?? String(e)}`);
    dialog.showErrorBox(`${PRODUCT_NAME} could not start`, (e as Error).message);
    app.exit(1);
  });
}
