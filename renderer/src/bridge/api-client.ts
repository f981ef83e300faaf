/**
 * HTTP calls to `tapline serve`: same-origin cookies, the CSRF header on state-changing requests,
 * every JSON answer checked against its schema, and every failure turned into a BridgeCallError
 * that says what went wrong and what to do next.
 * Depends on a fetch-like function only, so tests can run it in Node against a fake server.
 */
import type { z } from 'zod';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import { BridgeErrorSchema } from '../../../common/bridge/messages.js';

export interface ResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface RequestInitLike {
  method: string;
  headers?: Record<string, string>;
  body?: string | ArrayBuffer | Blob;
  credentials?: 'same-origin';
  cache?: 'no-store';
}

export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

export type QueryValue = string | number | undefined | readonly (string | number)[];

export const LOGIN_HINT = 'Open /login (the login link that `tapline serve` printed) to sign in again, then retry.';

export class ApiClient {
  constructor(
    private readonly fetchFn: FetchLike,
    /** Origin of the server, e.g. "https://sensor.example:8443". */
    readonly origin: string,
  ) {}

  url(path: string, query: Record<string, QueryValue> = {}): string {
    const u = new URL(path, this.origin);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === '') continue;
      if (Array.isArray(v)) for (const item of v) u.searchParams.append(k, String(item));
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async getJson<S extends z.ZodType>(path: string, schema: S, query?: Record<string, QueryValue>): Promise<z.infer<S>> {
    const res = await this.send(this.url(path, query), { method: 'GET', credentials: 'same-origin', cache: 'no-store' }, path);
    return parseBody(res, schema, path);
  }

  async postJson<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    return this.sendJson('POST', path, body, schema);
  }

  async putJson<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    return this.sendJson('PUT', path, body, schema);
  }

  /** DELETE; the answer (204) has no body. */
  async delete(path: string): Promise<void> {
    const res = await this.send(this.url(path), { method: 'DELETE', credentials: 'same-origin', headers: { 'X-Tapline-Request': '1' } }, path);
    await res.text(); // drain so the connection can be reused
  }

  /** A state-changing JSON request: the CSRF header the server asks of cookie sessions. */
  private async sendJson<S extends z.ZodType>(method: 'POST' | 'PUT', path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const init: RequestInitLike = { method, credentials: 'same-origin', headers: { 'X-Tapline-Request': '1' } };
    if (body !== undefined) {
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await this.send(this.url(path), init, path);
    return parseBody(res, schema, path);
  }

  async putBytes(path: string, query: Record<string, QueryValue>, bytes: ArrayBuffer | Blob): Promise<void> {
    const res = await this.send(
      this.url(path, query),
      {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'X-Tapline-Request': '1', 'Content-Type': 'application/octet-stream' },
        body: bytes,
      },
      path,
    );
    await res.text(); // drain so the connection can be reused
  }

  private async send(url: string, init: RequestInitLike, what: string): Promise<ResponseLike> {
    let res: ResponseLike;
    try {
      res = await this.fetchFn(url, init);
    } catch (e) {
      throw new BridgeCallError(
        `Cannot reach the Tapline server (${init.method} ${what}): ${(e as Error).message}`,
        'Check that `tapline serve` is still running and that this machine can reach it, then retry.',
        null,
      );
    }
    if (!res.ok) throw await errorFrom(res, what);
    return res;
  }
}

/** Turns a 4xx/5xx answer into a BridgeCallError, using the server's {error, hint} when it sent one. */
export async function errorFrom(res: ResponseLike, what: string): Promise<BridgeCallError> {
  let body: unknown = null;
  try {
    body = JSON.parse(await res.text());
  } catch {
    // not JSON: fall through to the generic message
  }
  const parsed = BridgeErrorSchema.safeParse(body);
  if (res.status === 401) {
    return new BridgeCallError(parsed.success ? parsed.data.error : 'You are not logged in (or your session expired).', LOGIN_HINT, 401);
  }
  if (parsed.success) return new BridgeCallError(parsed.data.error, parsed.data.hint ?? null, res.status);
  const generic =
    res.status >= 500
      ? 'The server failed; its log says why. Retry, and report it if it keeps happening.'
      : 'The request was refused; check the values you entered.';
  return new BridgeCallError(`${what}: HTTP ${res.status} ${res.statusText}`.trim(), generic, res.status);
}

async function parseBody<S extends z.ZodType>(res: ResponseLike, schema: S, what: string): Promise<z.infer<S>> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidResponse(what, 'the answer is not JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length ? first.path.join('.') : 'body';
    throw invalidResponse(what, `${where}: ${first?.message ?? 'does not match the schema'}`);
  }
  return r.data;
}

export function invalidResponse(what: string, detail: string): BridgeCallError {
  return new BridgeCallError(
    `The server sent an answer the UI does not understand (${what}; ${detail}).`,
    'The server and this page may be different versions: reload the page. If it persists, update both to the same release.',
    null,
  );
}
