/**
 * Session- and webContents-wide hardening (docs/ELECTRON-SECURITY.md maps each part to the
 * Electron security checklist). The decisions themselves are pure functions in lib/.
 */
import { app, shell, type Session, type WebContents } from 'electron';
import { withSecurityHeaders } from './lib/csp.js';
import { externalUrlAllowed, isAllowedRequestUrl, navigationDecision, UserActivation, windowOpenDecision } from './lib/navigation-policy.js';
import { permissionDecision } from './lib/permission-policy.js';

function openExternally(url: string, log: (line: string) => void): void {
  // re-checked right before the call: only http(s), only after a user's click (callers check)
  if (!externalUrlAllowed(url)) return;
  shell.openExternal(url).catch((e: unknown) => log(`could not open ${url}: ${(e as Error).message}`));
}

/** Permissions, network filter, headers and downloads for the session the app's page uses. */
export function hardenSession(ses: Session, log: (line: string) => void): void {
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = permissionDecision(permission, details.requestingUrl);
    if (!granted) log(`permission ${permission} refused`);
    callback(granted);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => permissionDecision(permission, details.requestingUrl ?? requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // no remote content: anything but app:// (and devtools: for the development DevTools) is cancelled
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequestUrl(details.url);
    if (!allowed) log(`blocked request to ${details.url.slice(0, 200)}`);
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) }));
  // slices are saved through the save dialog of downloadPcap, never as browser downloads
  ses.on('will-download', (event) => event.preventDefault());
}

/** Applied to every webContents the app creates (app 'web-contents-created'). */
export function hardenWebContents(contents: WebContents, log: (line: string) => void): void {
  const activation = new UserActivation();
  contents.on('input-event', (_event, input) => activation.note(input.type, Date.now()));
  contents.on('will-navigate', (event) => {
    if (navigationDecision(event.url) === 'allow') return;
    event.preventDefault();
    // a plain <a href="https://…"> clicked by the analyst opens in the system browser
    if (externalUrlAllowed(event.url) && activation.consume(Date.now())) openExternally(event.url, log);
    else log(`navigation to ${event.url.slice(0, 200)} blocked`);
  });
  contents.on('will-frame-navigate', (event) => {
    if (navigationDecision(event.url) === 'deny') event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (navigationDecision(event.url) === 'deny') event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternally !== null && activation.consume(Date.now())) openExternally(d.openExternally, log);
    else log(`window.open(${url.slice(0, 200)}) refused`);
    return { action: d.action };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  if (app.isPackaged) contents.on('devtools-opened', () => contents.closeDevTools());
}
