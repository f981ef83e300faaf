/**
 * The built renderer (dist/renderer), served read-only. Paths arrive already checked by the
 * request guard (no `..`, encoded separators or NUL); here they are also resolved through
 * symlinks and must stay inside the folder.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY, HttpError, htmlHeaders } from './http-util.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * <repo>/dist/renderer, found from this module's own location: dist/electron/server/ when built,
 * electron/server/ when run from source (tests under tsx).
 */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const parts = here.split(sep);
  const i = parts.lastIndexOf('dist');
  const repo = i >= 0 && parts[i + 1] === 'electron' ? parts.slice(0, i).join(sep) : resolve(here, '../..');
  return join(repo, 'dist', 'renderer');
}

function notBuilt(res: ServerResponse, dir: string): void {
  htmlHeaders(res);
  res.writeHead(503, { 'Cache-Control': 'no-store' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tapline: UI not built</title></head><body><h1>The Tapline web UI is not built</h1><p>This server has no built renderer (${escapeHtml(dir)} is missing). Build it (npm run build of the renderer), then reload. The API under /api works without it.</p></body></html>`,
  );
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, segments: string[]): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here`, 'static files are read with GET', { Allow: 'GET, HEAD' });
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    notBuilt(res, root);
    return;
  }
  const rel = segments.length === 0 || (segments.length === 1 && segments[0] === '') ? ['index.html'] : segments.filter((s, i) => s !== '' || i < segments.length - 1);
  if (rel.some((s) => s.startsWith('.'))) throw new HttpError(404, 'not found', null);
  let file: string;
  try {
    file = await realpath(join(realRoot, ...rel));
  } catch {
    if (rel.length === 1 && rel[0] === 'index.html') {
      notBuilt(res, root);
      return;
    }
    throw new HttpError(404, 'not found', null);
  }
  if (!file.startsWith(realRoot + sep)) throw new HttpError(404, 'not found', null);
  let st = await stat(file);
  if (st.isDirectory()) {
    file = join(file, 'index.html');
    st = await stat(file).catch(() => {
      throw new HttpError(404, 'not found', null);
    });
  }
  if (!st.isFile()) throw new HttpError(404, 'not found', null);
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  if (type.startsWith('text/html')) htmlHeaders(res);
  // every static answer carries the policy: an SVG is a document too
  else res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': st.size,
    // vite names assets by content hash: they never change; the page itself always revalidates
    'Cache-Control': rel[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file), res);
  } catch {
    // client went away
  }
}
