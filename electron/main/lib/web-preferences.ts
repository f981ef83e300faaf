/**
 * The BrowserWindow webPreferences of the app's window, as a plain object (checked field by field
 * by a unit test; window.ts passes it to Electron, whose typings check it structurally).
 * Each flag is the secure value stated explicitly, even where it is Electron's default, so a
 * default changing in a future Electron cannot silently weaken the window.
 */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  /** Chromium's spellchecker downloads dictionaries from a remote server: no remote content. */
  spellcheck: false;
  safeDialogs: true;
  devTools: boolean;
  additionalArguments: string[];
}

export function secureWebPreferences(opts: { preload: string; devTools: boolean; additionalArguments?: string[] }): SecureWebPreferences {
  return {
    preload: opts.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: opts.devTools,
    additionalArguments: opts.additionalArguments ?? [],
  };
}
