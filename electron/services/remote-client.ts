/**
 * HTTP(S) to another `tapline serve`: the certificate is pinned by its SHA-256 fingerprint (the
 * sensor's certificate is self-signed, so no CA can vouch for it). The TLS connection is opened
 * here and handed to the HTTP request only after the peer certificate's fingerprint matched, so
 * not one byte of a request (nor the Bearer token) reaches a server with another certificate.
 * Plain HTTP is allowed only to a loopback address.
 */
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import type { z } from 'zod';
import { BridgeErrorSchema } from '../../common/bridge/messages.js';
import { ServiceError } from './sensor-backend.js';

/** The peer presented another certificate than the pinned one. */
export class PinMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the sensor's TLS certificate fingerprint ${actual} does not match the pinned ${expected}; refusing to connect`);
    this.name = 'PinMismatchError';
  }
}

/** The sensor refused the token (401/403). */
export class RemoteAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteAuthError';
  }
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** An https Agent whose connections are TLS sockets whose certificate matched the pin. */
class PinnedAgent extends HttpsAgent {
  constructor(private readonly pin: string) {
    super({ keepAlive: true, maxSockets: 8 });
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    let done = false;
    const finish = (err: Error | null, s: Duplex): void => {
      if (done) return;
      done = true;
      callback?.(err, s);
    };
    const socket = tlsConnect({
      host,
      port: Number(options.port ?? 443),
      servername: isIP(host) ? undefined : host,
      // The CA chain cannot vouch for a self-signed certificate; the pin check below replaces it.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    socket.once('secureConnect', () => {
      const actual = socket.getPeerX509Certificate()?.fingerprint256 ?? '(none)';
      if (actual !== this.pin) {
        const e = new PinMismatchError(this.pin, actual);
        socket.destroy(e);
        finish(e, socket);
        return;
      }
      finish(null, socket);
    });
    socket.on('error', (e) => finish(e, socket));
    // the request gets the socket through the callback, after the pin check
    return undefined;
  }
}

export interface RemoteEndpoint {
  /** Base URL of the sensor, e.g. https://10.0.0.7:7880 */
  url: string;
  token: string;
  /** Required for https; null for plain http on loopback. */
  fingerprint: string | null;
}

/** Normalizes a user-given fingerprint (any case, with or without colons) to openssl's form. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.trim().replace(/^sha256[:=]\s*/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** What a URL/fingerprint pair may be, or a message saying why not. */
export function checkEndpoint(url: string, fingerprint: string | null): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `url "${url}" is not a URL`;
  }
  if (u.username || u.password) return 'url must not carry a user name or password (the token is sent as a Bearer header)';
  if (u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) return 'url must be the sensor\'s base URL, e.g. https://host:7880';
  if (u.protocol === 'https:') return fingerprint ? null : 'an https sensor needs the SHA-256 fingerprint that its tapline serve printed';
  if (u.protocol === 'http:') return isLoopback(u.hostname) ? null : 'plain http is only allowed to a loopback address; use https with the pinned fingerprint';
  return `url must be http(s), not ${u.protocol}`;
}

export interface Download {
  filename: string | null;
  packets: number | null;
  contentType: string | null;
}

const MAX_JSON_BYTES = 512 * 1024 * 1024;

export class RemoteClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly secure: boolean;

  constructor(
    readonly endpoint: RemoteEndpoint,
    private readonly label: string,
  ) {
    const problem = checkEndpoint(endpoint.url, endpoint.fingerprint);
    if (problem) throw new ServiceError(problem, 400);
    this.base = new URL(endpoint.url);
    this.secure = this.base.protocol === 'https:';
    this.agent = this.secure ? new PinnedAgent(endpoint.fingerprint as string) : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  }

  url(path: string, query: Record<string, string | string[] | undefined> = {}): URL {
    const u = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, item);
    }
    return u;
  }

  private send(method: string, u: URL, body?: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = (this.secure ? httpsRequest : httpRequest)(u, {
        method,
        agent: this.agent,
        headers: {
          Authorization: `Bearer ${this.endpoint.token}`,
          Accept: 'application/json, application/vnd.tcpdump.pcap, application/x-pcapng',
          ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
        },
        timeout: 60_000,
      });
      req.once('response', resolve);
      req.once('timeout', () => req.destroy(new Error('no answer within 60 s')));
      req.once('error', reject);
      req.end(body);
    });
  }

  /** Turns a failed exchange into a ServiceError that names the sensor. */
  private async failure(res: IncomingMessage): Promise<never> {
    const text = await readText(res, 64 * 1024).catch(() => '');
    let detail = `HTTP ${res.statusCode}`;
    let hint: string | null = null;
    let explained = false;
    try {
      const p = BridgeErrorSchema.safeParse(JSON.parse(text));
      if (p.success) {
        detail = p.data.error;
        hint = p.data.hint ?? null;
        explained = p.data.hint !== undefined && p.data.hint !== null;
      }
    } catch {
      // not JSON: keep the status
    }
    const status = res.statusCode ?? 502;
    // a 403 that says what to do is the sensor lacking a privilege (capture), not a refused token
    if (status === 401 || (status === 403 && !explained)) throw new RemoteAuthError(`sensor ${this.label} refused the request: ${detail}`);
    const pass = status === 400 || status === 403 || status === 404 || status === 409 || status === 413 || status === 501 || status === 503;
    throw new ServiceError(`sensor ${this.label}: ${detail}`, pass ? status : 502, hint);
  }

  async getJson<S extends z.ZodType>(path: string, query: Record<string, string | string[] | undefined>, schema: S): Promise<z.output<S>> {
    return this.json('GET', path, query, undefined, schema);
  }

  async json<S extends z.ZodType>(method: string, path: string, query: Record<string, string | string[] | undefined>, body: unknown, schema: S): Promise<z.output<S>> {
    const res = await this.send(method, this.url(path, query), body === undefined ? undefined : JSON.stringify(body));
    if ((res.statusCode ?? 0) >= 300) return this.failure(res);
    const text = await readText(res, MAX_JSON_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServiceError(`sensor ${this.label} sent an answer that is not JSON (${path})`, 502);
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new ServiceError(`sensor ${this.label} sent an answer that does not match the API (${path}: ${i?.path.join('.') || 'body'}: ${i?.message})`, 502, 'the sensor may run another Tapline version');
    }
    return r.data;
  }

  /** Streams a GET answer into a file; removes the file on failure. */
  async download(path: string, query: Record<string, string | string[] | undefined>, dest: string): Promise<Download> {
    const res = await this.send('GET', this.url(path, query));
    if ((res.statusCode ?? 0) !== 200) return this.failure(res);
    try {
      await pipeline(res, createWriteStream(dest, { mode: 0o600 }));
    } catch (e) {
      await rm(dest, { force: true });
      throw new ServiceError(`sensor ${this.label}: the download was cut off (${(e as Error).message})`, 502);
    }
    const declared = res.headers['content-length'];
    if (declared !== undefined && (await stat(dest)).size !== Number(declared)) {
      await rm(dest, { force: true });
      throw new ServiceError(`sensor ${this.label}: the download was cut off`, 502);
    }
    const disposition = res.headers['content-disposition'] ?? '';
    const m = /filename="([^"]{1,200})"/.exec(disposition);
    const packets = Number(res.headers['x-tapline-packets']);
    return {
      filename: m ? m[1].replace(/[^0-9A-Za-z._-]+/g, '-') : null,
      packets: Number.isSafeInteger(packets) && packets >= 0 ? packets : null,
      contentType: res.headers['content-type'] ?? null,
    };
  }

  /** The live event stream (no Origin header: a non-browser client with the token). */
  openLive(since: number | undefined): WebSocket {
    const u = this.url('/api/live', since === undefined ? {} : { since: String(since) });
    u.protocol = this.secure ? 'wss:' : 'ws:';
    return new WebSocket(u, {
      agent: this.agent,
      headers: { Authorization: `Bearer ${this.endpoint.token}` },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
      maxPayload: 256 * 1024 * 1024,
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readText(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        res.destroy(new Error(`answer larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('the answer was cut off')));
  });
}
