/**
 * HTTP/1.x request/response pairs from a reassembled TCP flow, for rules (http.* buffers) and
 * discovery (User-Agent, Server, Authorization). Heads are parsed with the carver's parser
 * (common/carve/http); bodies are de-chunked and kept up to a cap (the first BODY_CAP bytes are
 * what rules inspect, like Suricata's request/response-body-limit). Content codings (gzip,
 * deflate, br) are undone by an injected BodyDecoder when there is one. A gap or unparseable head stops that direction:
 * nothing after it is guessed. Environment-free.
 */
import { ChunkedDecoder } from '../carve/http/chunked-decoder.js';
import { contentCodings, requestFraming, responseFraming, type Framing } from '../carve/http/body-framing.js';
import { parseHead, type RequestHead, type ResponseHead } from '../carve/http/http-head.js';
import { startsMessage } from '../carve/http/message-start.js';
import type { Direction, StreamChunk } from '../reassembly/stream-types.js';

export interface PacketRef {
  tsSec: number;
  tsNsec: number;
  /** 0-based index within the flow. */
  packet: number;
}

export interface HttpRequest {
  head: RequestHead;
  rawHead: Uint8Array;
  body: Uint8Array;
  /** The packet that completed the request (head, and body when there is one). */
  ref: PacketRef;
}

export interface HttpResponse {
  head: ResponseHead;
  rawHead: Uint8Array;
  body: Uint8Array;
  request: HttpRequest | null;
  ref: PacketRef;
}

export interface HttpHandlers {
  request?(r: HttpRequest): void;
  response?(r: HttpResponse): void;
}

/**
 * Undoes content codings (gzip, deflate, br, in order of application) of a body's first bytes,
 * returning at most `maxBytes`, or null when it cannot (unknown coding, corrupt data). Injected
 * by the environment (node:zlib at the edge); without one, bodies stay coded.
 */
export type BodyDecoder = (codings: readonly string[], coded: Uint8Array, maxBytes: number) => Uint8Array | null;

export const HTTP_BODY_CAP = 64 * 1024;
const HEAD_CAP = 64 * 1024;
const MAX_PENDING = 64;

interface Side {
  state: 'start' | 'head' | 'body' | 'dead';
  buf: Uint8Array;
  head: RequestHead | ResponseHead | null;
  rawHead: Uint8Array;
  framing: Framing | null;
  remaining: number;
  chunked: ChunkedDecoder | null;
  body: Uint8Array[];
  bodyLen: number;
}

export class HttpTransactions {
  private readonly sides: [Side, Side] = [newSide(), newSide()];
  private readonly pending: HttpRequest[] = [];
  private lastRef: PacketRef = { tsSec: 0, tsNsec: 0, packet: 0 };
  sawHttp = false;

  constructor(
    private readonly h: HttpHandlers,
    private readonly decodeBody: BodyDecoder | null = null,
  ) {}

  /** Nothing in either direction is (or can become) HTTP. */
  get dead(): boolean {
    return this.sides[0].state === 'dead' && this.sides[1].state === 'dead';
  }

  onData(c: StreamChunk): void {
    const s = this.sides[c.dir];
    if (s.state === 'dead') return;
    this.lastRef = { tsSec: c.tsSec, tsNsec: c.tsNsec, packet: c.packet };
    if (c.gapBefore > 0) {
      // bytes missing: a body of known length can absorb them; anything else loses its place
      if (s.state === 'body' && s.framing?.kind === 'length' && c.gapBefore <= s.remaining) s.remaining -= c.gapBefore;
      else if (s.state !== 'start' || this.sawHttp) return void (s.state = 'dead');
    }
    this.consume(c.dir, s, c.data);
  }

  /** End of the flow: a close-delimited or cut body is complete as far as it goes. */
  finish(): void {
    for (const dir of [0, 1] as Direction[]) {
      const s = this.sides[dir];
      if (s.state === 'body') this.complete(dir, s);
    }
  }

  private consume(dir: Direction, s: Side, data: Uint8Array): void {
    let pos = 0;
    let guard = 0;
    while (pos < data.length && s.state !== 'dead' && guard++ < 100_000) {
      if (s.state === 'start') {
        const probe = s.buf.length ? concat(s.buf, data.subarray(pos)) : data.subarray(pos);
        const m = startsMessage(probe, 0, dir === 0 ? 'request' : 'response');
        if (m === 'no') return void (s.state = 'dead');
        if (m === 'more') {
          s.buf = probe.slice();
          return;
        }
        s.state = 'head';
      }
      if (s.state === 'head') {
        const start = s.buf.length;
        const all = start ? concat(s.buf, data.subarray(pos)) : data.subarray(pos);
        const end = headEnd(all, Math.max(0, start - 3));
        if (end < 0) {
          if (all.length > HEAD_CAP) return void (s.state = 'dead');
          s.buf = all.slice();
          return;
        }
        const used = end - start;
        pos += used;
        s.buf = new Uint8Array(0);
        s.rawHead = all.slice(0, end);
        this.head(dir, s);
        continue;
      }
      if (s.state === 'body') pos = this.bodyBytes(dir, s, data, pos);
    }
  }

  private head(dir: Direction, s: Side): void {
    const parsed = parseHead(s.rawHead, dir === 0 ? 'request' : 'response', { maxFields: 256 });
    if (parsed.kind === 'error') return void (s.state = 'dead');
    this.sawHttp = true;
    s.head = parsed;
    s.body = [];
    s.bodyLen = 0;
    const framing = parsed.kind === 'request' ? requestFraming(parsed).framing : responseFraming(parsed, this.pending[0]?.head.method ?? null).framing;
    s.framing = framing;
    s.chunked = null;
    if (framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)) return this.complete(dir, s);
    if (framing.kind === 'tunnel' || framing.kind === 'error') {
      this.complete(dir, s);
      s.state = 'dead';
      return;
    }
    s.state = 'body';
    if (framing.kind === 'length') s.remaining = framing.length;
    if (framing.kind === 'chunked') s.chunked = new ChunkedDecoder({ data: (v) => this.keep(s, v) }, 16 * 1024, 64);
  }

  private bodyBytes(dir: Direction, s: Side, data: Uint8Array, pos: number): number {
    const f = s.framing;
    if (f?.kind === 'length') {
      const n = Math.min(s.remaining, data.length - pos);
      this.keep(s, data.subarray(pos, pos + n));
      s.remaining -= n;
      if (s.remaining === 0) this.complete(dir, s);
      return pos + n;
    }
    if (f?.kind === 'chunked' && s.chunked) {
      const used = s.chunked.push(data, pos);
      if (s.chunked.done) this.complete(dir, s);
      else if (s.chunked.failed) {
        this.complete(dir, s);
        s.state = 'dead';
      }
      return used > 0 || s.chunked.done || s.chunked.failed ? pos + used : data.length;
    }
    // close-delimited: everything until the end of the direction
    this.keep(s, data.subarray(pos));
    return data.length;
  }

  private keep(s: Side, v: Uint8Array): void {
    const room = HTTP_BODY_CAP - s.bodyLen;
    if (room <= 0 || !v.length) return;
    const part = v.length > room ? v.slice(0, room) : v.slice();
    s.body.push(part);
    s.bodyLen += part.length;
  }

  private complete(dir: Direction, s: Side): void {
    const head = s.head;
    s.state = 'start';
    s.buf = new Uint8Array(0);
    if (!head) return;
    let body = joinAll(s.body, s.bodyLen);
    const codings = contentCodings(head);
    if (codings.length && this.decodeBody && body.length) body = this.decodeBody(codings, body, HTTP_BODY_CAP) ?? body;
    s.body = [];
    s.bodyLen = 0;
    s.head = null;
    const ref = this.lastRef;
    if (dir === 0 && head.kind === 'request') {
      const r: HttpRequest = { head, rawHead: s.rawHead, body, ref };
      this.pending.push(r);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      this.h.request?.(r);
    } else if (dir === 1 && head.kind === 'response') {
      // 1xx interim responses do not answer the request
      const req = head.status >= 200 || head.status < 100 ? (this.pending.shift() ?? null) : (this.pending[0] ?? null);
      this.h.response?.({ head, rawHead: s.rawHead, body, request: req, ref });
    }
  }
}

function newSide(): Side {
  return { state: 'start', buf: new Uint8Array(0), head: null, rawHead: new Uint8Array(0), framing: null, remaining: 0, chunked: null, body: [], bodyLen: 0 };
}

/** Index just past the blank line ending a head (CRLFCRLF or LFLF), searching from `from`. */
function headEnd(b: Uint8Array, from: number): number {
  for (let i = from; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

function joinAll(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const o = new Uint8Array(n);
  let p = 0;
  for (const x of parts) {
    o.set(x, p);
    p += x.length;
  }
  return o;
}
