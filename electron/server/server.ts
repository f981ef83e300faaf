/**
 * The `serve` HTTP(S) server: request guards, auth, the route table, static files and the live
 * WebSocket, over one TaplineServices. Started in-process by `tapline serve` and by the tests.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TaplineServices } from '../services/tapline-services.js';
import { Authenticator, LOGIN_HINT } from './auth.js';
import { baseHeaders, errorResponse, HttpError, readSmallBody, refuseBody, sendError } from './http-util.js';
import { hostPort } from './listen-address.js';
import { LiveSockets } from './live-socket.js';
import { check, readParams } from './params.js';
import { checkHost, checkOrigin, ownOrigin, parseTarget, type OriginPolicy } from './request-guard.js';
import { matchRoute, type Route, type ServerContext } from './router.js';
import { ROUTES } from './routes/all-routes.js';
import { defaultStaticDir, serveStatic } from './static-files.js';
import { DEFAULT_UPLOAD_LIMIT, UploadManager } from './uploads.js';
import type { GrowingFile } from '../../node/store/growing-file.js';
import { ServerImports } from './server-imports.js';
import { Mutex } from '../services/mutex.js';

export const JSON_BODY_LIMIT = 1024 * 1024;
const FORM_BODY_LIMIT = 16 * 1024;

export interface ServeOptions {
  services: TaplineServices;
  storeDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  tls: { cert: string; key: string; fingerprint: string } | null;
  /** The built renderer (default <repo>/dist/renderer). */
  staticDir?: string;
  /** Largest upload, and the most unfinished uploads may add up to (default 64 GiB). */
  uploadLimitBytes?: number;
  /** A streaming upload import stops after this long without a chunk (default 120 s; the upload stays resumable). */
  uploadStallMs?: number;
  /** Captures in this directory can be imported in place (no upload); none when absent. */
  importDir?: string;
  /** WebSocket keepalive ping interval (default 30 s). */
  keepaliveMs?: number;
  /** Restore the remote sensors saved in STORE/sensors.json (default true). */
  restoreSensors?: boolean;
  log?: (line: string) => void;
}

/** Paths the API owns; everything else is a static file of the UI. */
function isApiPath(segments: string[]): boolean {
  return segments[0] === 'api' || (segments.length === 1 && (segments[0] === 'pcap' || segments[0] === 'login' || segments[0] === 'logout'));
}

export class TaplineServer {
  private constructor(
    private readonly server: Server,
    private readonly live: LiveSockets,
    readonly ctx: ServerContext,
    readonly host: string,
    readonly port: number,
    private readonly token: string,
  ) {}

  /** http(s)://host:port */
  get url(): string {
    return `${this.ctx.tls ? 'https' : 'http'}://${hostPort(this.host, this.port)}`;
  }

  /** The Jupyter-style login URL that carries the token. */
  get loginUrl(): string {
    return `${this.url}/login?token=${encodeURIComponent(this.token)}`;
  }

  get liveClients(): number {
    return this.live.size;
  }

  static async start(opts: ServeOptions): Promise<TaplineServer> {
    const log = opts.log ?? (() => undefined);
    const tls = opts.tls !== null;
    const auth = new Authenticator({ token: opts.token });
    // uploads and server files import one at a time, in arrival order
    const importLock = new Mutex();
    const importFile = (path: string) =>
      importLock.run(async () => {
        const [r] = await opts.services.importPaths([path]);
        return r;
      });
    // an upload sent with its fingerprint is imported while it arrives (same lock: one import at a time)
    const importGrowing = (file: GrowingFile, fingerprint: string) => importLock.run(() => opts.services.importGrowing(file, fingerprint));
    const uploads = new UploadManager(join(opts.storeDir, 'uploads'), opts.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT, importFile, importGrowing, opts.uploadStallMs);
    const serverImports = new ServerImports(opts.importDir ?? null, importFile);
    const ctx: ServerContext = { services: opts.services, auth, uploads, serverImports, tls, fingerprint: opts.tls?.fingerprint ?? null, log, routes: () => ROUTES };
    const policy: OriginPolicy = { tls, listenHost: opts.host };
    const staticDir = opts.staticDir ?? defaultStaticDir();
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void dispatch(req, res, ctx, policy, staticDir);
    };
    const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
    const live = new LiveSockets(ctx, policy, opts.keepaliveMs ?? 30_000);
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => live.handleUpgrade(req, socket, head));
    server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    if (opts.restoreSensors ?? true) {
      try {
        // once per services: the desktop's IPC and loopback API share one registry
        await opts.services.restoreSensors();
      } catch (e) {
        log(`remote sensors not restored: ${(e as Error).message}`);
      }
    }
    return new TaplineServer(server, live, ctx, opts.host, port, opts.token);
  }

  /** Stops accepting, closes live streams, and waits for requests in flight (cut after graceMs). */
  async close(graceMs = 5000): Promise<void> {
    this.live.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // not unref'd: a paused connection (a refused body) does not keep the loop alive by itself,
    // and the process must not exit before close() (and the services' close after it) finished
    const t = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(t);
  }
}

async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, policy: OriginPolicy, staticDir: string): Promise<void> {
  baseHeaders(res);
  try {
    const target = parseTarget(req.url);
    const host = checkHost(req, policy);
    const origin = ownOrigin(host, policy.tls);
    if (!isApiPath(target.segments)) {
      await serveStatic(req, res, staticDir, target.segments);
      return;
    }
    const m = matchRoute(ROUTES, req.method ?? '', target.segments);
    if (m.kind === 'none') throw new HttpError(404, `no API route ${req.method} ${target.rawPath}`, 'GET /api/openapi.json lists the routes');
    if (m.kind === 'method') throw new HttpError(405, `${req.method} is not allowed on ${target.rawPath}`, `allowed: ${m.allow.join(', ')}`, { Allow: m.allow.join(', ') });
    await run(m.route, m.path, req, res, ctx, origin, target.query);
  } catch (e) {
    const r = errorResponse(e);
    if (r.internal) ctx.log(`error: ${req.method} ${req.url?.split('?')[0]}: ${(e as Error).stack ?? String(e)}`);
    if (r.status === 413 && !req.complete) {
      refuseBody(req, res, r.error, r.hint);
      return;
    }
    // an unread body is not drained for an error answer: the connection closes instead
    const headers = req.complete || req.readableEnded ? r.headers : { ...r.headers, Connection: 'close' };
    sendError(res, r.status, r.error, r.hint, headers);
  }
}

async function run(route: Route, pathValues: Record<string, string>, req: IncomingMessage, res: ServerResponse, ctx: ServerContext, origin: string, query: URLSearchParams): Promise<void> {
  const stateChanging = route.method !== 'GET';
  // Origin first: a cross-site page must not even learn whether a login works
  if (stateChanging) checkOrigin(req, origin);
  let auth = null;
  if (route.auth) {
    auth = ctx.auth.authenticate(req);
    if (!auth) {
      const bad = req.headers.authorization !== undefined ? 'invalid token' : 'authentication required';
      throw new HttpError(401, bad, LOGIN_HINT, { 'WWW-Authenticate': 'Bearer realm="tapline"' });
    }
    if (stateChanging && auth.kind === 'cookie' && req.headers['x-tapline-request'] !== '1') {
      throw new HttpError(403, 'a cookie-authenticated request that changes something needs the header X-Tapline-Request: 1', 'the Tapline UI sends it; scripts should use the Bearer token');
    }
  }
  const path = readParams(route.pathParams, (n) => (pathValues[n] === undefined ? [] : [pathValues[n]]), Object.keys(pathValues), 'path');
  const q = readParams(route.query, (n) => query.getAll(n), new Set(query.keys()), 'query');
  let body: unknown = undefined;
  const b = route.body;
  if (b?.kind === 'json' || b?.kind === 'form') {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const want = b.kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    if (type !== want) throw new HttpError(415, `the body must be ${want}`, null);
    const raw = await readSmallBody(req, res, { maxBytes: b.kind === 'json' ? JSON_BODY_LIMIT : FORM_BODY_LIMIT, what: b.kind === 'json' ? 'JSON bodies' : 'form bodies' });
    if (raw === null) return; // answered 413
    let value: unknown;
    if (b.kind === 'json') {
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError(400, 'body: not valid JSON', null);
      }
    } else {
      const form = new URLSearchParams(raw.toString('utf8'));
      value = Object.fromEntries(form.entries());
    }
    body = check(b.schema, value);
  } else if (b?.kind === 'stream') {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== b.contentType) throw new HttpError(415, `the body must be ${b.contentType}`, null);
  } else if (stateChanging) {
    // no body expected: a small one is ignored, a large one refused
    const raw = await readSmallBody(req, res, { maxBytes: JSON_BODY_LIMIT, what: 'bodies of this request' });
    if (raw === null) return;
  }
  await route.handle({ req, res, query: q, path, body, auth, origin, server: ctx });
}
