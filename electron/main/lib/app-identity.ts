/**
 * Names and origins of the desktop app, shared by the Electron shell, the preload and the CLI.
 * Environment-free (no Node, DOM or Electron import): the preload bundles it.
 */

/** productName in package.json's "build" section; Electron's userData folder is named after it. */
export const PRODUCT_NAME = 'Tapline';

/** electron-builder appId; also the Windows AppUserModelID. */
export const APP_ID = 'org.tapline.workstation';

/**
 * The renderer is served from this privileged custom scheme (not file://): one well-defined
 * origin for the CSP ('self'), navigation and IPC sender checks, and no ambient file access.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'tapline';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The OS-level deep-link scheme a SIEM link uses: tapline://flow?sip=…&spt=…&dip=…&dpt=…&stime=…&etime=… */
export const DEEP_LINK_SCHEME = 'tapline';

/** The one global the preload adds to the page. */
export const BRIDGE_GLOBAL = 'taplineBridge';

/** Command-line switches the CLI passes to the Electron main process. */
export const STORE_SWITCH = '--tapline-store';
