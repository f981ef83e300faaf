/**
 * Wires the IPC dispatcher (lib/ipc-dispatch.ts: sender check, zod validation, services, replies)
 * to ipcMain, and the save dialog of downloadPcap to Electron.
 */
import { join, basename } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, webContents, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS } from './lib/ipc-contract.js';
import { IpcDispatcher, type ServicesFacade, type SenderInfo } from './lib/ipc-dispatch.js';

export interface IpcWiring {
  services(): ServicesFacade;
  apiBase(): string | null;
  appWindow(): BrowserWindow | null;
  log(line: string): void;
}

function senderInfo(event: IpcMainInvokeEvent, appWindow: BrowserWindow | null): SenderInfo {
  const frame = event.senderFrame;
  return {
    contentsId: event.sender.id,
    frameUrl: frame ? frame.url : null,
    isMainFrame: frame !== null && frame.parent === null,
    isAppWindow: appWindow !== null && !appWindow.isDestroyed() && appWindow.webContents.id === event.sender.id,
  };
}

export function registerIpc(w: IpcWiring): IpcDispatcher {
  const dispatcher = new IpcDispatcher({
    services: w.services,
    apiBase: w.apiBase,
    log: w.log,
    push: (contentsId, channel, ...args) => {
      const wc = webContents.fromId(contentsId);
      if (!wc || wc.isDestroyed()) return false;
      wc.send(channel, ...args);
      return true;
    },
    chooseSavePath: async (suggestedName, format) => {
      const win = w.appWindow();
      const options: Electron.SaveDialogOptions = {
        title: 'Save packets',
        defaultPath: join(app.getPath('downloads'), basename(suggestedName)),
        filters: format === 'pcapng' ? [{ name: 'pcapng capture', extensions: ['pcapng'] }] : [{ name: 'pcap capture', extensions: ['pcap'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
  });
  for (const channel of Object.values(IPC_CHANNELS)) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => dispatcher.handle(channel, senderInfo(event, w.appWindow()), args));
  }
  return dispatcher;
}

/** A renderer that reloads, navigates away or dies loses its event subscriptions. */
export function trackSubscriptions(win: BrowserWindow, dispatcher: IpcDispatcher): void {
  const id = win.webContents.id;
  win.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) dispatcher.dropSubscriptions(id);
  });
  win.webContents.on('render-process-gone', () => dispatcher.dropSubscriptions(id));
  win.webContents.once('destroyed', () => dispatcher.dropSubscriptions(id));
}
