/**
 * Checks made before any routing: the request target is a clean path (no `..`, encoded dots,
 * encoded slashes, NUL or absolute-form tricks), the Host header names this server when it
 * listens on loopback (a DNS-rebinding page cannot talk to it), and the Origin of a
 * state-changing request or WebSocket is this server's own.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-util.js';
import { isLoopbackHost } from './listen-address.js';

export interface RequestTarget {
  /** Decoded path segments ('/' → []). */
  segments: string[];
  /** The raw path as sent (still percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
}

const PATH_HINT = 'request a plain path below the server root';

export function parseTarget(raw: string | undefined): RequestTarget {
  if (!raw || !raw.startsWith('/')) throw new HttpError(400, 'the request target must be a path starting with /', PATH_HINT);
  if (raw.length > 8192) throw new HttpError(414, 'the request target is too long', null);
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const rawQuery = q < 0 ? '' : raw.slice(q + 1);
  if (rawPath.startsWith('//')) throw new HttpError(400, 'absolute paths are not allowed', PATH_HINT);
  const parts = rawPath.slice(1).split('/');
  if (parts.length === 1 && parts[0] === '') return { segments: [], rawPath, query: new URLSearchParams(rawQuery) };
  const segments: string[] = [];
  parts.forEach((p, i) => {
    let s: string;
    try {
      s = decodeURIComponent(p);
    } catch {
      throw new HttpError(400, 'the path has a malformed percent-encoding', PATH_HINT);
    }
    if (s.includes('\0')) throw new HttpError(400, 'the path contains a NUL byte', PATH_HINT);
    if (s === '.' || s === '..') throw new HttpError(400, 'the path must not contain . or .. segments', PATH_HINT);
    if (s.includes('/') || s.includes('\\')) throw new HttpError(400, 'the path must not contain encoded slashes or backslashes', PATH_HINT);
    if (/^[A-Za-z]:/.test(s) && i === 0) throw new HttpError(400, 'absolute paths are not allowed', PATH_HINT);
    // an empty segment in the middle ("a//b") would address something else than it reads
    if (s === '' && i !== parts.length - 1) throw new HttpError(400, 'the path must not contain empty segments', PATH_HINT);
    segments.push(s);
  });
  if (rawQuery.includes('%00') || rawQuery.includes('\0')) throw new HttpError(400, 'the query contains a NUL byte', null);
  return { segments, rawPath, query: new URLSearchParams(rawQuery) };
}

export interface OriginPolicy {
  tls: boolean;
  /** The address the server listens on: a loopback listener only answers loopback Host names. */
  listenHost: string;
}

/** The Host header, checked; throws 400/403. */
export function checkHost(req: IncomingMessage, policy: OriginPolicy): string {
  const host = req.headers.host;
  if (!host || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) throw new HttpError(400, 'the Host header is missing or malformed', null);
  if (isLoopbackHost(policy.listenHost)) {
    const name = host.replace(/:\d{1,5}$/, '');
    if (!isLoopbackHost(name)) {
      throw new HttpError(403, `this server listens on loopback and only answers requests for localhost, 127.0.0.1 or [::1] (Host was ${name})`, 'open the URL printed by tapline serve');
    }
  }
  return host;
}

/** scheme://host:port of this server as the client addressed it. */
export function ownOrigin(host: string, tls: boolean): string {
  const scheme = tls ? 'https' : 'http';
  const defaultPort = tls ? ':443' : ':80';
  return `${scheme}://${host.toLowerCase().endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host}`.toLowerCase();
}

/** The Origin header if present; "null" and anything not equal to our origin is refused. */
export function checkOrigin(req: IncomingMessage, origin: string): 'absent' | 'same' {
  const o = req.headers.origin;
  if (o === undefined) return 'absent';
  if (o.toLowerCase() !== origin) throw new HttpError(403, `cross-origin request refused (Origin ${o} is not ${origin})`, 'call the API from the Tapline UI served by this server, or without an Origin header using the Bearer token');
  return 'same';
}
