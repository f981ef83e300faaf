/**
 * Where the app's page may go and what may reach it: pure decisions the Electron shell applies in
 * will-navigate, setWindowOpenHandler, webRequest and the app:// protocol handler.
 * Environment-free so it is unit-tested without the Electron binary.
 */
import { APP_HOST, APP_SCHEME } from './app-identity.js';

function parse(url: string): URL | null {
  if (typeof url !== 'string' || url.length > 8192) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True for URLs of our own page (app://tapline/…): exactly our host (u.host includes any port, so
 * app://tapline:1/ is refused), no credentials. URL.origin is not used: WHATWG URL gives "null"
 * for non-special schemes outside Chromium, where app: is registered as standard.
 */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/** In-page navigation: only within the app origin (a hash or route change); anything else is refused. */
export function navigationDecision(url: string): 'allow' | 'deny' {
  return isAppUrl(url) ? 'allow' : 'deny';
}

/**
 * Links the analyst may open in the system browser: http and https only, with a host and no
 * embedded credentials (which would otherwise leak to the browser history or be a phishing aid).
 */
export function externalUrlAllowed(url: string): boolean {
  if (typeof url !== 'string' || url.length > 2048) return false;
  const u = parse(url);
  return u !== null && (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === '';
}

/** Window-open requests: never a new Electron window; an http(s) link may go to the system browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: string | null } {
  return { action: 'deny', openExternally: externalUrlAllowed(url) ? new URL(url).href : null };
}

/** IPC senders we answer: the main frame of our page, nothing else (not an iframe, not a remote page). */
export function isTrustedSenderUrl(frameUrl: string | null | undefined): boolean {
  return typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

/**
 * Requests the app's session lets through (session.webRequest.onBeforeRequest): our scheme and,
 * for the development DevTools, devtools:. No http(s), ws(s), file:, ftp: — no remote content,
 * ever, whatever a compromised page asks for. data: and blob: never reach webRequest.
 */
export function isAllowedRequestUrl(url: string): boolean {
  const u = parse(url);
  if (u === null) return false;
  if (u.protocol === 'devtools:') return true;
  return isAppUrl(url);
}

/**
 * Maps an app:// URL to a file path relative to the renderer's build folder, or null when the
 * URL is not ours or tries to leave the folder. "/" is index.html. Percent-escapes are decoded
 * once, then ".." segments, backslashes, NUL and drive letters are refused (the caller still
 * checks the joined path stays inside the folder).
 */
export function appAssetPath(url: string): string | null {
  if (!isAppUrl(url)) return null;
  const u = new URL(url);
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path === '' || path === '/') return 'index.html';
  if (!path.startsWith('/') || path.startsWith('//')) return null;
  const rel = path.slice(1);
  if (rel.length > 1024 || /[\\\0]/.test(rel) || /^[A-Za-z]:/.test(rel)) return null;
  const segments = rel.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) return null;
  return segments.join('/');
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  txt: 'text/plain; charset=utf-8',
  wasm: 'application/wasm',
};

/** Content-Type by extension; unknown files are served as opaque bytes (nosniff keeps them inert). */
export function contentTypeFor(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : '';
  return TYPES[ext] ?? 'application/octet-stream';
}

/**
 * "After the user clicks": an external link opens only within a short window after a real input
 * event (mouse up, key press, tap) reached the page. Script-driven window.open() calls without a
 * recent user input are refused. Synthetic DOM events (el.click()) are not native input events.
 */
export class UserActivation {
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs = 2000) {}

  static isActivatingInput(type: string): boolean {
    return type === 'mouseUp' || type === 'keyDown' || type === 'rawKeyDown' || type === 'gestureTap';
  }

  note(type: string, now: number): void {
    if (UserActivation.isActivatingInput(type)) this.last = now;
  }

  /** Consumes the activation: one click opens at most one link. */
  consume(now: number): boolean {
    const ok = now - this.last <= this.windowMs && now >= this.last;
    if (ok) this.last = Number.NEGATIVE_INFINITY;
    return ok;
  }
}
