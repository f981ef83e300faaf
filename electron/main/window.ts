/** The one app window: secure webPreferences, restored bounds (saved as they change), no remote content. */
import { BrowserWindow, nativeTheme, screen } from 'electron';
import { APP_ENTRY_URL, PRODUCT_NAME } from './lib/app-identity.js';
import type { SettingsStore } from './lib/settings.js';
import { secureWebPreferences } from './lib/web-preferences.js';
import { DEFAULT_WINDOW_SIZE, restorableBounds } from './lib/window-bounds.js';

export interface WindowOptions {
  preload: string;
  devTools: boolean;
  settings: SettingsStore;
  additionalArguments: string[];
  log: (line: string) => void;
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const saved = restorableBounds(
    opts.settings.get().windowBounds,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    ...(saved ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height } : { ...DEFAULT_WINDOW_SIZE, center: true }),
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: PRODUCT_NAME,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#111318' : '#ffffff',
    webPreferences: secureWebPreferences({ preload: opts.preload, devTools: opts.devTools, additionalArguments: opts.additionalArguments }),
  });
  if (saved?.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  let timer: NodeJS.Timeout | null = null;
  const saveBounds = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed() || win.isMinimized() || win.isFullScreen()) return;
    const b = win.getNormalBounds();
    opts.settings
      .update({ windowBounds: { x: b.x, y: b.y, width: Math.max(b.width, 320), height: Math.max(b.height, 240), maximized: win.isMaximized() } })
      .catch((e: unknown) => opts.log(`could not save the window position: ${(e as Error).message}`));
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(saveBounds, 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', saveBounds);

  win.loadURL(APP_ENTRY_URL).catch((e: unknown) => opts.log(`could not load the app page: ${(e as Error).message}`));
  return win;
}
