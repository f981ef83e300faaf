/**
 * app://tapline/ — the privileged custom scheme the renderer is loaded from, instead of file://
 * (security checklist point 18): the page gets one origin of its own (so CSP 'self', navigation
 * and IPC sender checks mean exactly "our bundle"), cannot read arbitrary files the way file://
 * pages can, and every response carries our security headers, CSP first.
 */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { protocol } from 'electron';
import { APP_SCHEME } from './lib/app-identity.js';
import { SECURITY_HEADERS } from './lib/csp.js';
import { APP_FILES_PREFIX, appFileResponse, type FileSource } from './lib/app-file-route.js';
import { appAssetPath, contentTypeFor } from './lib/navigation-policy.js';

/**
 * Must run before app 'ready'. standard: relative URLs and an origin; secure: a secure context
 * (like https); supportFetchAPI: module scripts load with fetch semantics. Deliberately NOT
 * bypassCSP, corsEnabled or allowServiceWorkers.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

function respond(status: number, body: Uint8Array | string | null, contentType = 'text/plain; charset=utf-8'): Response {
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  // copy into a plain ArrayBuffer-backed view: BodyInit wants ArrayBuffer, not a pooled Buffer's ArrayBufferLike
  return new Response(data === null ? null : new Uint8Array(data), { status, headers: { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Cache-Control': 'no-cache' } });
}

/**
 * Serves the built renderer (dist/renderer) from app://tapline/, read-only, GET/HEAD only, and
 * carved files under app://tapline/api/files/ from the current back end (null while none is open).
 */
export function serveRenderer(rendererDir: string, files: () => FileSource | null): void {
  const root = resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, 'method not allowed');
    let rel = appAssetPath(request.url);
    if (rel === null) return respond(404, 'not found');
    if (rel.startsWith(APP_FILES_PREFIX)) {
      const source = files();
      if (source === null) return respond(503, 'no store is open');
      const r = await appFileResponse(source, request.url, request.method);
      return r.body === null && r.error !== undefined ? respond(r.status, r.error) : new Response(r.body, { status: r.status, headers: r.headers });
    }
    // a client-side route (no file extension) gets the page itself
    if (!/\.[A-Za-z0-9]+$/.test(rel)) rel = 'index.html';
    const file = resolve(root, rel);
    if (!file.startsWith(root + sep)) return respond(404, 'not found');
    try {
      const body = await readFile(file);
      return respond(200, request.method === 'HEAD' ? null : body, contentTypeFor(rel));
    } catch {
      return respond(404, rel === 'index.html' ? 'the renderer is not built: run `npm run build` (dist/renderer/index.html is missing)' : 'not found');
    }
  });
}
