/**
 * GET /api/live as a WebSocket: each message is one EventBatch from the services' bus. The
 * upgrade gets the same checks as any request (path, Host, auth) plus Origin: a browser must
 * come from this server's own origin; no Origin is allowed only with the Bearer token (a
 * non-browser client). Keepalive pings find dead peers and re-check that the session still
 * exists; a slow reader is closed rather than buffered without bound.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { EventBatch } from '../../common/bridge/messages.js';
import type { AuthResult } from './auth.js';
import { LOGIN_HINT } from './auth.js';
import { errorResponse, HttpError } from './http-util.js';
import { int, opt, readParams } from './params.js';
import { checkHost, checkOrigin, ownOrigin, parseTarget, type OriginPolicy } from './request-guard.js';
import type { ServerContext } from './router.js';

export const CLOSE_AUTH_LOST = 4401;
export const CLOSE_TOO_SLOW = 4008;
/** Bytes queued for one client before it counts as too slow. */
const MAX_BUFFERED = 32 * 1024 * 1024;

const QUERY = { since: opt(int({ min: 0, max: Number.MAX_SAFE_INTEGER }), 'Replay after this sequence number') };

interface Client {
  ws: WebSocket;
  auth: AuthResult;
  alive: boolean;
  unsubscribe: () => void;
}

export class LiveSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;
  private readonly offSessionEnd: () => void;

  constructor(
    private readonly ctx: ServerContext,
    private readonly policy: OriginPolicy,
    keepaliveMs: number,
  ) {
    this.timer = setInterval(() => this.tick(), keepaliveMs);
    this.timer.unref();
    this.offSessionEnd = ctx.auth.onSessionEnd((sid) => {
      for (const c of this.clients) if (c.auth.kind === 'cookie' && c.auth.session === sid) c.ws.close(CLOSE_AUTH_LOST, 'logged out');
    });
  }

  get size(): number {
    return this.clients.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgrade socket over without its error listener: a reset must not crash us
    socket.on('error', () => socket.destroy());
    let since: number | undefined;
    let auth: AuthResult;
    try {
      const target = parseTarget(req.url);
      const host = checkHost(req, this.policy);
      if (target.segments.join('/') !== 'api/live') throw new HttpError(404, 'no WebSocket here', 'the live stream is /api/live');
      const origin = checkOrigin(req, ownOrigin(host, this.policy.tls));
      const a = this.ctx.auth.authenticate(req);
      if (!a) throw new HttpError(401, 'authentication required', LOGIN_HINT);
      // a cookie without an Origin is not a browser we know: only the Bearer token may omit it
      if (origin === 'absent' && a.kind !== 'bearer') throw new HttpError(403, 'a browser WebSocket must send its Origin', null);
      auth = a;
      since = readParams(QUERY, (n) => target.query.getAll(n), new Set(target.query.keys()), 'query').since;
    } catch (e) {
      const r = errorResponse(e);
      if (r.internal) this.ctx.log(`live: ${(e as Error).stack ?? String(e)}`);
      const body = JSON.stringify({ error: r.error, hint: r.hint });
      socket.end(
        `HTTP/1.1 ${r.status} ${r.status === 401 ? 'Unauthorized' : r.status === 403 ? 'Forbidden' : r.status === 404 ? 'Not Found' : 'Bad Request'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, auth, since));
  }

  private accept(ws: WebSocket, auth: AuthResult, since: number | undefined): void {
    const client: Client = { ws, auth, alive: true, unsubscribe: () => undefined };
    this.clients.add(client);
    const deliver = (batch: EventBatch): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.close(CLOSE_TOO_SLOW, "too slow: reconnect with ?since=<last seq>");
        return;
      }
      ws.send(JSON.stringify(batch));
    };
    client.unsubscribe = this.ctx.services.bus.subscribe(deliver, since);
    ws.on('pong', () => {
      client.alive = true;
    });
    // clients have nothing to say on this stream; a message is ignored
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      client.unsubscribe();
      this.clients.delete(client);
    });
  }

  private tick(): void {
    for (const c of this.clients) {
      if (!this.ctx.auth.stillValid(c.auth)) {
        c.ws.close(CLOSE_AUTH_LOST, 'session ended');
        continue;
      }
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.offSessionEnd();
    for (const c of this.clients) c.ws.close(1001, 'server shutting down');
    // a peer that does not answer the close handshake is cut shortly after
    const t = setTimeout(() => {
      for (const c of this.clients) c.ws.terminate();
    }, 1000);
    t.unref();
    this.wss.close();
  }
}
