/** The application menu: File (import, open store, quit), Edit, View (reload, zoom, theme), Help. */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import { PRODUCT_NAME } from './lib/app-identity.js';

export interface MenuActions {
  importCaptures(): void;
  openStore(): void;
  toggleTheme(): void;
  about(): void;
  documentation(): void;
  /** Offer DevTools (development builds only). */
  devTools: boolean;
}

export function buildAppMenu(a: MenuActions, platform: NodeJS.Platform = process.platform): Menu {
  const mac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ label: PRODUCT_NAME, submenu: [{ label: `About ${PRODUCT_NAME}`, click: a.about }, { type: 'separator' as const }, { role: 'hide' as const }, { role: 'hideOthers' as const }, { role: 'unhide' as const }, { type: 'separator' as const }, { role: 'quit' as const }] }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Import captures…', accelerator: 'CmdOrCtrl+I', click: a.importCaptures },
        { label: 'Open store…', accelerator: 'CmdOrCtrl+O', click: a.openStore },
        ...(mac ? [] : [{ type: 'separator' as const }, { role: 'quit' as const, label: 'Quit' }]),
      ],
    },
    // the standard edit roles make copy/paste work in the page's text fields (required on macOS)
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { label: 'Toggle theme', accelerator: 'CmdOrCtrl+Shift+T', click: a.toggleTheme },
        { role: 'togglefullscreen' },
        ...(a.devTools ? [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    ...(mac ? [{ role: 'windowMenu' as const }] : []),
    {
      label: '&Help',
      role: 'help',
      submenu: [{ label: 'Documentation', click: a.documentation }, ...(mac ? [] : [{ type: 'separator' as const }, { label: `About ${PRODUCT_NAME}`, click: a.about }])],
    },
  ];
  return Menu.buildFromTemplate(template);
}
