/**
 * The Electron main process: a thin shell around the plain-Node back end. It owns the window,
 * the app:// scheme, the menu, settings, deep links and the IPC bridge; everything about packets
 * runs in TaplineServices (electron/services/), in this process, exactly as in `tapline serve`,
 * and the same HTTP API listens on 127.0.0.1 (lib/desktop-backend.ts) for CapMe URLs and scripts.
 * Started by `tapline app` (electron <repo root>, package.json "main") or by the packaged app.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, nativeTheme, session, shell } from 'electron';
import type { SliceTarget } from '../../common/bridge/messages.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { registerIpc, trackSubscriptions } from './ipc.js';
import { APP_ID, DEEP_LINK_SCHEME, PRODUCT_NAME } from './lib/app-identity.js';
import { defaultStoreDir, settingsFile, userDataDir } from './lib/app-paths.js';
import { API_BASE_SWITCH, storeDirFromArgv } from './lib/argv.js';
import { DesktopBackend } from './lib/desktop-backend.js';
import { findDeepLink, parseDeepLink } from './lib/deep-link.js';
import type { IpcDispatcher } from './lib/ipc-dispatch.js';
import { PUSH_CHANNELS } from './lib/ipc-contract.js';
import { externalUrlAllowed } from './lib/navigation-policy.js';
import { DEFAULT_API_PORT, SettingsStore } from './lib/settings.js';
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

let backend: DesktopBackend | null = null;
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
    backend?.services.local.notice('warning', r.error);
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

/** Opens the services (and the loopback API) on a store; on failure offers another store or quitting. */
async function openBackend(dir: string): Promise<DesktopBackend | null> {
  for (;;) {
    try {
      return await DesktopBackend.open({ storeDir: dir, apiPort: settings?.get().apiPort ?? DEFAULT_API_PORT, log });
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
  if (!backend || resolve(dir) === resolve(backend.storeDir)) return;
  // every subscription belongs to the old event bus
  dispatcher?.dropAll();
  try {
    await backend.switchStore(dir);
  } catch (e) {
    dialog.showErrorBox(`${PRODUCT_NAME}: cannot open the store`, `${dir}\n\n${(e as Error).message}`);
    return;
  }
  await settings?.update({ storeDir: dir }).catch((e: unknown) => log(`saving settings: ${(e as Error).message}`));
  // the page asks info() again on load, which tells the preload where the API is now
  win?.webContents.reload();
}

async function importFromMenu(): Promise<void> {
  const services = backend?.services;
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
  const options: Electron.OpenDialogOptions = { title: 'Open store', defaultPath: backend?.storeDir, properties: ['openDirectory', 'createDirectory'] };
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
    detail: `Network-forensics workstation.\n\nStore: ${backend?.storeDir ?? '(none)'}\nLocal API: ${backend?.apiBase ?? 'not running'}\nElectron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
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
  const apiBase = backend?.apiBase ?? null;
  win = createMainWindow({ preload: preloadPath, devTools, settings, additionalArguments: apiBase ? [`${API_BASE_SWITCH}=${apiBase}`] : [], log });
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
  serveRenderer(rendererDir, () => backend?.services ?? null);

  const dir = storeDirFromArgv(process.argv) ?? settings.get().storeDir ?? defaultStoreDir();
  backend = await openBackend(resolve(dir));
  if (!backend) {
    app.quit();
    return;
  }
  log(`store ${backend.storeDir}`);

  dispatcher = registerIpc({
    services: () => {
      if (!backend) throw new Error('the back end is closing');
      return backend.services;
    },
    // the loopback API's URL (null when it did not start: Bridge.pcapUrl then gives tapline:// links)
    apiBase: () => backend?.apiBase ?? null,
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
        await backend?.close();
      } catch (e) {
        log(`while quitting: ${(e as Error).message}`);
      } finally {
        backend = null;
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
