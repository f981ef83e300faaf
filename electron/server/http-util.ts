/** Small response and request-body helpers shared by every route: one error shape, fixed headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ServiceError } from '../services/sensor-backend.js';

/** An HTTP error with what went wrong and what to do next; never carries a stack to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers on every response (HTML responses add the CSP). */
export function baseHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

export function htmlHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: string, hint: string | null, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    // too late for a status: cut the response so the client sees it incomplete
    res.destroy();
    return;
  }
  sendJson(res, status, { error, hint }, headers);
}

/** Maps any thrown value to a status and {error, hint}; unknown errors become a bare 500. */
export function errorResponse(e: unknown): { status: number; error: string; hint: string | null; headers: Record<string, string>; internal: boolean } {
  if (e instanceof HttpError) return { status: e.status, error: e.message, hint: e.hint, headers: e.headers, internal: false };
  if (e instanceof ServiceError) return { status: e.status, error: e.message, hint: e.hint, headers: {}, internal: false };
  return { status: 500, error: 'internal error', hint: 'the serve log says what failed; retry, and report it if it keeps happening', headers: {}, internal: true };
}

/**
 * Answers 413 and stops reading: the request is paused, so its body is never pulled off the wire
 * (the client stalls once the socket buffers are full), the answer says Connection: close, and
 * the socket is half-closed after the answer and destroyed a moment later. Closing at once would
 * make the kernel reset the connection (unread data), and a reset can wipe the 413 from the
 * client's receive buffer before it reads it.
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse, error: string, hint: string | null): void {
  // a data listener marks the body as consumed, so Node does not drain ("dump") it; then pause
  req.removeAllListeners('data');
  req.on('data', () => undefined);
  req.pause();
  const socket = req.socket as Socket & { destroySoon?: () => void };
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // Node ends a Connection: close response with destroySoon(); for this socket, end only (FIN)
  // and leave the destroy to the timer above
  socket.destroySoon = () => socket.end();
  sendError(res, 413, error, hint, { Connection: 'close' });
}

const LINGER_MS = 2000;

export interface BodyLimit {
  maxBytes: number;
  /** For messages: "JSON bodies", "form bodies". */
  what: string;
}

/**
 * Reads a whole (small) request body, refusing with 413 as soon as it passes the limit, whether
 * the client declared a Content-Length or streams chunks. Resolves null when it has answered.
 */
export function readSmallBody(req: IncomingMessage, res: ServerResponse, limit: BodyLimit): Promise<Buffer | null> {
  const tooBig = `${limit.what} are limited to ${limit.maxBytes} bytes`;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit.maxBytes) {
    refuseBody(req, res, tooBig, 'send less data per request');
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      if (done) return;
      size += c.length;
      if (size > limit.maxBytes) {
        done = true;
        cleanup();
        refuseBody(req, res, tooBig, 'send less data per request');
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      if (done) return;
      done = true;
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (e: Error): void => {
      if (done) return;
      done = true;
      cleanup();
      reject(e);
    };
    const onAborted = (): void => onError(new HttpError(400, 'the request body was cut off'));
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
