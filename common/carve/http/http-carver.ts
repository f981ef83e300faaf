/**
 * The HTTP/1.x carver: a StreamSink that parses both directions of one TCP flow incrementally,
 * pairs responses with requests in order (keep-alive, pipelining, 1xx interim responses), frames
 * bodies (Content-Length, chunked with trailers, close-delimited, HEAD/204/304 without body) and
 * streams every body, multipart/form-data file part and multipart/byteranges part to a
 * CarveFileSink. Gaps are reported, never filled; after a gap or an error the parser
 * resynchronizes on the next message start. Memory is bounded (one header section per direction,
 * a bounded request queue); hostile input yields issues, never an exception or a hang.
 * Environment-free.
 */
import type { Direction, StreamChunk, StreamEndReason, StreamSink } from '../../reassembly/stream-types.js';
import type { CarvedKind, CarveFileSink, PacketMark } from '../carve-sink.js';
import { Fifo } from '../fifo.js';
import { contentCodings, requestFraming, responseFraming, type Framing } from './body-framing.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { FileEmitter, FileHandle, SinkFailure } from './file-emitter.js';
import { header, parseHead, type RequestHead, type ResponseHead } from './http-head.js';
import { bodyTemplate, headTemplate, multipartOf, partTemplate, type PendingRequest } from './message-files.js';
import { endsWithVersion, isHttp09RequestLine, looksLikeRequestLine, MAX_LINE, StartScanner, startsMessage, type Role } from './message-start.js';
import { MultipartSplitter } from './multipart-splitter.js';
import { cleanHost, requestUrl } from './names.js';
import { SectionReader } from './section-reader.js';

export interface HttpCarverOptions {
  /** Cap of one header section (start line + fields), and of a trailer section. */
  maxHeaderBytes: number;
  maxHeaderFields: number;
  /** Requests waiting for their response (pipelining depth); older ones are dropped beyond it. */
  maxPendingRequests: number;
  /** Bytes scanned per direction for a first HTTP message start before giving up on the flow. */
  detectBytes: number;
  maxParts: number;
  maxIssues: number;
  /** Used in URLs when a request has no Host (the server's address, e.g. "10.0.0.1:8080"). */
  fallbackHost: string | null;
}

export const DEFAULT_HTTP_CARVER_OPTIONS: HttpCarverOptions = {
  maxHeaderBytes: 64 * 1024,
  maxHeaderFields: 256,
  maxPendingRequests: 1024,
  detectBytes: 64 * 1024,
  maxParts: 4096,
  maxIssues: 100,
  fallbackHost: null,
};

/** A parse error or notable event, with the byte offset in its direction's stream. */
export interface CarveIssue {
  dir: Direction;
  offset: number;
  message: string;
}

const PART_HEADER_CAP = 16 * 1024;

interface Body {
  framing: 'length' | 'chunked' | 'close';
  remaining: number;
  chunked: ChunkedDecoder | null;
  file: FileHandle;
  parts: MultipartSplitter | null;
  part: FileHandle | null;
  partKind: CarvedKind;
  request: PendingRequest | null;
}

type SideState = 'detect' | 'resync' | 'head' | 'body' | 'tunnel' | 'ended';

interface Side {
  dir: Direction;
  role: Role | null;
  state: SideState;
  head: SectionReader;
  scanner: StartScanner;
  /** Bytes looked at while the role is unknown. */
  detectScanned: number;
  /** Bytes skipped while resynchronizing (reported when a start is found). */
  skipped: number;
  body: Body | null;
  /** Stream offset of data[0] of the chunk being processed. */
  base: number;
  mark: PacketMark;
  /** Response side: a gap may have swallowed responses since the last one parsed. */
  afterGap: boolean;
  /** The current header section's start line was checked. */
  startChecked: boolean;
  /**
   * Bytes seen while the role was unknown (bounded by detectBytes), replayed once the other
   * direction reveals the role: captures are not always in time order, so a response can come first.
   */
  held: { data: Uint8Array; mark: PacketMark; base: number }[];
  heldBytes: number;
  replay: boolean;
}

export class HttpCarver implements StreamSink {
  private readonly opts: HttpCarverOptions;
  private readonly emitter: FileEmitter;
  private readonly sides: [Side, Side];
  private readonly pending = new Fifo<PendingRequest>();
  private transactions = 0;
  private dead = false;
  /** True once any message head parsed: the flow is HTTP. */
  sawHttp = false;
  requests = 0;
  responses = 0;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;

  constructor(sink: CarveFileSink, options: Partial<HttpCarverOptions> = {}) {
    const o = { ...DEFAULT_HTTP_CARVER_OPTIONS, ...options };
    // one literal in one property order: spreading gave each carver's options object the
    // defaults' map and then a store into fallbackHost (null → string) that moved it to another,
    // and the optimized byte loop met both (a deopt and a recompile mid-carve)
    this.opts = {
      maxHeaderBytes: o.maxHeaderBytes,
      maxHeaderFields: o.maxHeaderFields,
      maxPendingRequests: o.maxPendingRequests,
      detectBytes: o.detectBytes,
      maxParts: o.maxParts,
      maxIssues: o.maxIssues,
      fallbackHost: o.fallbackHost,
    };
    this.emitter = new FileEmitter(sink);
    this.sides = [this.newSide(0), this.newSide(1)];
  }

  /** Files announced to the sink so far. */
  get files(): number {
    return this.emitter.files;
  }

  /** Nothing here looks like HTTP: a caller may stop feeding the flow. */
  get gaveUp(): boolean {
    if (this.dead) return true;
    if (this.sawHttp) return false;
    return this.sides.some((s) => s.state === 'ended' && s.role === null) && this.sides.every((s) => s.role === null);
  }

  onData(chunk: StreamChunk): void {
    if (this.dead) return;
    // guard() inlined: a closure per chunk (one per TCP segment) is garbage the carver can do without
    try {
      this.data(chunk);
    } catch (e) {
      this.contain(chunk.dir, e);
    }
  }

  onEnd(dir: Direction, reason: StreamEndReason, gapAtEnd: number): void {
    if (this.dead) return;
    this.guard(dir, () => this.end(this.sides[dir], reason, gapAtEnd));
  }

  /** Contains the carver's own failures (recorded, flow abandoned); storage failures propagate. */
  private guard(dir: Direction, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.contain(dir, e);
    }
  }

  private contain(dir: Direction, e: unknown): void {
    if (e instanceof SinkFailure) throw e.original;
    this.dead = true;
    this.issue(this.sides[dir], 0, `internal carver error, flow abandoned: ${e instanceof Error ? e.message : String(e)}`);
  }

  private newSide(dir: Direction): Side {
    return {
      dir,
      role: null,
      state: 'detect',
      head: new SectionReader(this.opts.maxHeaderBytes),
      scanner: new StartScanner(['request', 'response']),
      detectScanned: 0,
      skipped: 0,
      body: null,
      base: 0,
      mark: { sec: 0, nsec: 0, packet: 0 },
      afterGap: false,
      startChecked: false,
      held: [],
      heldBytes: 0,
      replay: false,
    };
  }

  private issue(side: Side, pos: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < this.opts.maxIssues) this.issues.push({ dir: side.dir, offset: side.base + pos, message });
  }

  // ---- the byte loop ----

  private data(c: StreamChunk): void {
    const side = this.sides[c.dir];
    if (c.gapBefore > 0) {
      side.mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
      this.gap(side, c.gapBefore);
    }
    this.bytes(side, c.data, { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet }, c.offset);
    const other = this.sides[c.dir === 0 ? 1 : 0];
    if (other.replay) {
      other.replay = false;
      const held = other.held;
      other.held = [];
      other.heldBytes = 0;
      for (const h of held) this.bytes(other, h.data, h.mark, h.base);
    }
  }

  private bytes(side: Side, d: Uint8Array, mark: PacketMark, base: number): void {
    side.mark = mark;
    side.base = base;
    if (side.state === 'detect' && side.role === null && side.heldBytes + d.length <= this.opts.detectBytes) {
      side.held.push({ data: d.slice(), mark, base });
      side.heldBytes += d.length;
    }
    let pos = 0;
    while (pos < d.length && !this.dead) {
      const before = pos;
      const state = side.state;
      switch (state) {
        case 'detect':
          pos = this.detect(side, d, pos);
          break;
        case 'resync':
          pos = this.resync(side, d, pos);
          break;
        case 'head':
          pos = this.head(side, d, pos);
          break;
        case 'body':
          pos = this.body(side, d, pos);
          break;
        case 'tunnel':
        case 'ended':
          return;
      }
      // every step consumes bytes or changes state; anything else would loop forever
      if (pos === before && side.state === state) throw new Error(`no progress in state ${state}`);
    }
  }

  /** Role unknown: find the first message start of either kind (the flow may start mid-message). */
  private detect(side: Side, d: Uint8Array, pos: number): number {
    if (this.http09Response(side, d, pos)) return pos;
    const found = side.scanner.scan(d, pos);
    if (!found) {
      side.detectScanned += d.length - pos;
      if (side.detectScanned > this.opts.detectBytes) {
        side.state = 'ended';
        this.issue(side, d.length, `no HTTP message start in the first ${this.opts.detectBytes} bytes`);
      }
      return d.length;
    }
    side.held = [];
    side.heldBytes = 0;
    this.assignRole(side, found.role);
    if (found.index > pos || side.detectScanned > 0) this.issue(side, found.index, `stream starts mid-message: skipped ${side.detectScanned + found.index - pos} bytes`);
    return this.startHead(side, found.prefix, found.index);
  }

  private assignRole(side: Side, role: Role): void {
    side.role = role;
    const other = this.sides[side.dir === 0 ? 1 : 0];
    if (other.role === null) {
      other.role = role === 'request' ? 'response' : 'request';
      // the other side keeps detecting, now only for its complementary role, from its first byte again
      if (other.state === 'detect') {
        other.scanner = new StartScanner([other.role]);
        other.detectScanned = 0;
        other.replay = other.held.length > 0;
      }
    } else if (other.role === role) {
      // both sides sent the same kind of start: the later side is out of step
      this.issue(side, 0, `both directions start with a ${role}`);
    }
    side.scanner = new StartScanner([role]);
  }

  private startHead(side: Side, prefix: Uint8Array, index: number): number {
    side.state = 'head';
    side.head.reset();
    side.startChecked = false;
    side.detectScanned = 0;
    if (prefix.length > 0) side.head.push(prefix, 0);
    return index;
  }

  private resync(side: Side, d: Uint8Array, pos: number): number {
    const found = side.scanner.scan(d, pos);
    if (!found) {
      side.skipped += d.length - pos;
      return d.length;
    }
    const skipped = side.skipped + found.index - pos;
    side.skipped = 0;
    if (skipped > 0) this.issue(side, found.index, `resynchronized after skipping ${skipped} bytes`);
    return this.startHead(side, found.prefix, found.index);
  }

  private toResync(side: Side): void {
    side.state = 'resync';
    side.head.reset();
    side.body = null;
    side.skipped = 0;
    side.scanner = new StartScanner(side.role ? [side.role] : ['request', 'response']);
  }

  private head(side: Side, d: Uint8Array, pos: number): number {
    if (this.http09Response(side, d, pos)) return pos;
    let i = pos;
    if (side.head.length === 0) {
      // empty lines between messages are tolerated (RFC 9112 §2.2)
      while (i < d.length && (d[i] === 13 || d[i] === 10)) i++;
      if (i === d.length) return i;
    }
    i += side.head.push(d, i);
    const r = side.head;
    const role = side.role ?? 'request';
    if (!side.startChecked && (r.firstLineEnd !== -1 || r.length > MAX_LINE)) {
      // reject junk at its first line instead of buffering a whole header section of it
      side.startChecked = true;
      const first = r.firstLine();
      if (role === 'request' && r.firstLineEnd !== -1 && !endsWithVersion(first) && isHttp09RequestLine(first)) {
        this.onHttp09Request(side, first, i);
        r.reset();
        side.startChecked = false;
        return i;
      }
      const ok = r.firstLineEnd !== -1 && (startsMessage(first, 0, role) === 'yes' || (role === 'request' && looksLikeRequestLine(first)));
      if (!ok) {
        this.issue(side, i, r.firstLineEnd === -1 ? 'start line too long' : `expected a ${role} line`);
        this.lostMessage(side);
        this.toResync(side);
        return i;
      }
    }
    if (r.status === 'overflow') {
      this.issue(side, i, `header section larger than ${this.opts.maxHeaderBytes} bytes`);
      this.lostMessage(side);
      this.toResync(side);
      return i;
    }
    if (r.status === 'done') {
      const parsed = parseHead(r.section(), role, { maxFields: this.opts.maxHeaderFields });
      r.reset();
      side.startChecked = false;
      if (parsed.kind === 'error') {
        this.issue(side, i, parsed.message);
        this.lostMessage(side);
        this.toResync(side);
        return i;
      }
      this.sawHttp = true;
      if (parsed.kind === 'request') this.onRequest(side, parsed, i);
      else this.onResponse(side, parsed, i);
    }
    return i;
  }

  /** "GET /path" without a version: an HTTP/0.9 request (no headers, no body). */
  private onHttp09Request(side: Side, line: Uint8Array, pos: number): void {
    this.sawHttp = true;
    this.requests++;
    let text = '';
    for (const b of line) text += String.fromCharCode(b);
    const target = text.trim().slice(4).trim();
    const { url, host } = requestUrl(target, null, this.opts.fallbackHost);
    this.issue(side, pos, 'HTTP/0.9 request');
    this.pushRequest({ transaction: this.transactions++, method: 'GET', target, url, host, userAgent: null, uploads: [], http09: true });
  }

  /** At a message boundary after an HTTP/0.9 request, bytes that are not a status line are its response body. */
  private http09Response(side: Side, d: Uint8Array, pos: number): boolean {
    if (side.role !== 'response' || side.head.length > 0 || !this.pending.peek()?.http09) return false;
    if (startsMessage(d, pos, 'response') !== 'no') return false;
    const req = this.pending.shift() as PendingRequest;
    side.afterGap = false;
    this.sawHttp = true;
    this.responses++;
    const file = new FileHandle(bodyTemplate(this.where(side), req, null));
    file.note('HTTP/0.9 response: no status line or headers, delimited by the close');
    side.body = { framing: 'close', remaining: 0, chunked: null, file, parts: null, part: null, partKind: 'form-part', request: req };
    side.state = 'body';
    return true;
  }

  /** A message was lost or unreadable: keep the request queue in step with what the server answers. */
  private lostMessage(side: Side): void {
    if (side.role === 'request') this.pushRequest({ transaction: this.transactions++, method: null, target: null, url: null, host: null, userAgent: null, uploads: [], http09: false });
    else if (side.role === 'response') side.afterGap = true;
  }

  private pushRequest(r: PendingRequest): void {
    this.pending.push(r);
    if (this.pending.length > this.opts.maxPendingRequests) {
      this.pending.shift();
      this.issue(this.sides[0], 0, `more than ${this.opts.maxPendingRequests} requests without a response; dropped the oldest`);
    }
  }

  // ---- messages ----

  private onRequest(side: Side, h: RequestHead, pos: number): void {
    this.requests++;
    const host = cleanHost(header(h.headers, 'host'));
    const { url, host: urlHost } = requestUrl(h.target, host, this.opts.fallbackHost);
    const req: PendingRequest = {
      transaction: this.transactions++,
      method: h.method,
      target: h.target,
      url,
      host: urlHost,
      userAgent: header(h.headers, 'user-agent'),
      uploads: [],
      http09: false,
    };
    this.pushRequest(req);
    const f = requestFraming(h);
    for (const n of h.notes) this.issue(side, pos, n);
    this.startBody(side, h, f.framing, [...contentCodings(h), ...f.transferCodings], f.notes, req, null, pos);
  }

  private onResponse(side: Side, h: ResponseHead, pos: number): void {
    this.responses++;
    for (const n of h.notes) this.issue(side, pos, n);
    if (h.status >= 100 && h.status < 200 && h.status !== 101) return; // interim: the final response follows
    const req = this.popRequest(side, pos);
    if (req) for (const u of req.uploads) this.emitter.status(u, h.status);
    const f = responseFraming(h, req?.method ?? null);
    this.startBody(side, h, f.framing, [...contentCodings(h), ...f.transferCodings], f.notes, req, h, pos);
  }

  private popRequest(side: Side, pos: number): PendingRequest | null {
    if (side.afterGap && this.pending.length > 1) {
      // responses were lost in a gap; a client waits for each answer, so this one answers the latest request
      const dropped = this.pending.keepLast(1);
      this.issue(side, pos, `paired after a gap: ${dropped} earlier request(s) lost their response`);
    }
    side.afterGap = false;
    return this.pending.shift() ?? null;
  }

  private startBody(side: Side, h: RequestHead | ResponseHead, framing: Framing, codings: string[], notes: string[], req: PendingRequest | null, resp: ResponseHead | null, pos: number): void {
    if (framing.kind === 'tunnel') {
      for (const s of this.sides) if (s.state !== 'ended') s.state = 'tunnel';
      this.issue(side, pos, `${framing.why}: the rest of the connection is not HTTP`);
      return;
    }
    if (framing.kind === 'error') {
      this.issue(side, pos, framing.message);
      if (side.role === 'response') side.afterGap = true;
      this.toResync(side);
      return;
    }
    if (framing.kind === 'none') {
      side.state = 'head';
      return;
    }
    const file = new FileHandle(headTemplate(this.where(side), h, codings, req, resp, framing.kind === 'length' ? framing.length : null));
    for (const n of notes) file.note(n);
    const body: Body = {
      framing: framing.kind,
      remaining: framing.kind === 'length' ? framing.length : 0,
      chunked: null,
      file,
      parts: null,
      part: null,
      partKind: 'form-part',
      request: req,
    };
    if (framing.kind === 'chunked') {
      body.chunked = new ChunkedDecoder({ data: (v) => this.bodyData(side, body, v) }, this.opts.maxHeaderBytes, this.opts.maxHeaderFields);
    }
    this.setupMultipart(side, body, h, codings, resp);
    if (side.role === 'request' && req && body.file) req.uploads.push(body.file);
    side.body = body;
    side.state = 'body';
  }

  /** multipart/form-data uploads and multipart/byteranges 206 responses are split into parts. */
  private setupMultipart(side: Side, body: Body, h: RequestHead | ResponseHead, codings: string[], resp: ResponseHead | null): void {
    const m = multipartOf(h, codings, resp);
    if (m === null) return;
    if ('note' in m) {
      body.file.note(m.note);
      return;
    }
    body.partKind = m.kind;
    body.parts = new MultipartSplitter(
      m.boundary,
      {
        partStart: (fields) => {
          const t = partTemplate(body.file, body.partKind, fields);
          body.part = t ? new FileHandle(t) : null;
          if (body.part && body.request && side.role === 'request') body.request.uploads.push(body.part);
        },
        partData: (v) => {
          if (body.part) this.emitter.data(body.part, v, side.mark);
        },
        partGap: (n) => {
          if (body.part) this.emitter.gap(body.part, n, side.mark);
        },
        partEnd: (complete) => {
          if (body.part) this.emitter.end(body.part, !complete, side.mark);
          body.part = null;
        },
      },
      { maxPartHeaderBytes: PART_HEADER_CAP, maxPartHeaderFields: 64, maxParts: this.opts.maxParts },
    );
  }

  private where(side: Side): { direction: 'upload' | 'download'; streamDir: Direction } {
    return { direction: side.role === 'request' ? 'upload' : 'download', streamDir: side.dir };
  }

  private bodyData(side: Side, body: Body, v: Uint8Array): void {
    this.emitter.data(body.file, v, side.mark);
    body.parts?.push(v);
  }

  private body(side: Side, d: Uint8Array, pos: number): number {
    const body = side.body;
    if (!body) {
      side.state = 'head';
      return pos;
    }
    switch (body.framing) {
      case 'length': {
        const n = Math.min(body.remaining, d.length - pos);
        // a whole segment of body (the common case) needs no view of its own
        this.bodyData(side, body, pos === 0 && n === d.length ? d : d.subarray(pos, pos + n));
        body.remaining -= n;
        if (body.remaining === 0) this.finishBody(side, false);
        return pos + n;
      }
      case 'close':
        this.bodyData(side, body, pos === 0 ? d : d.subarray(pos));
        return d.length;
      case 'chunked': {
        const dec = body.chunked as ChunkedDecoder;
        const used = dec.push(d, pos);
        if (dec.done) {
          for (const n of dec.notes) body.file.note(n);
          if (dec.trailers.length > 0) body.file.note(`trailer fields: ${dec.trailers.map((t) => t.name).join(', ').slice(0, 200)}`);
          this.finishBody(side, false);
        } else if (dec.failed) {
          body.file.note(dec.error ?? 'chunked framing error');
          this.issue(side, pos + used, dec.error ?? 'chunked framing error');
          this.finishBody(side, true);
          if (side.role === 'response') side.afterGap = true;
          this.toResync(side);
        }
        return pos + used;
      }
    }
  }

  private finishBody(side: Side, incomplete: boolean): void {
    const body = side.body;
    if (!body) return;
    if (body.parts) {
      body.parts.end();
      for (const n of body.parts.notes) body.file.note(n);
    }
    this.emitter.end(body.file, incomplete, side.mark);
    side.body = null;
    side.state = 'head';
  }

  // ---- gaps and ends ----

  private gap(side: Side, n: number): void {
    switch (side.state) {
      case 'detect':
        side.scanner.gap();
        side.detectScanned += n;
        return;
      case 'resync':
        side.scanner.gap();
        side.skipped += n;
        return;
      case 'head':
        this.issue(side, 0, `gap of ${n} bytes ${side.head.length > 0 ? 'inside a header section' : 'between messages'}`);
        this.lostMessage(side);
        this.toResync(side);
        side.scanner.gap();
        return;
      case 'body':
        this.bodyGap(side, n);
        return;
      case 'tunnel':
      case 'ended':
        return;
    }
  }

  private bodyGap(side: Side, n: number): void {
    const body = side.body as Body;
    let rest = 0;
    if (body.framing === 'length') {
      const m = Math.min(n, body.remaining);
      this.emitter.gap(body.file, m, side.mark);
      body.parts?.gap(m);
      body.remaining -= m;
      rest = n - m;
      if (body.remaining === 0) this.finishBody(side, true);
    } else if (body.framing === 'close') {
      this.emitter.gap(body.file, n, side.mark);
      body.parts?.gap(n);
      return;
    } else {
      const r = (body.chunked as ChunkedDecoder).gap(n);
      this.emitter.gap(body.file, r.bodyMissing, side.mark);
      if (r.bodyMissing > 0) body.parts?.gap(r.bodyMissing);
      if (r.resumable) return;
      body.file.note('a gap broke the chunked framing: the body length is unknown');
      this.issue(side, 0, `gap of ${n} bytes broke the chunked framing`);
      this.finishBody(side, true);
      if (side.role === 'response') side.afterGap = true;
      this.toResync(side);
      side.scanner.gap();
      return;
    }
    if (rest > 0) {
      // the gap runs past this body into whatever followed it
      this.issue(side, 0, `gap of ${rest} bytes after a body`);
      this.lostMessage(side);
      this.toResync(side);
      side.scanner.gap();
    }
  }

  private end(side: Side, reason: StreamEndReason, gapAtEnd: number): void {
    if (side.state === 'body' && side.body) {
      const body = side.body;
      if (body.framing === 'close') {
        if (gapAtEnd > 0) this.emitter.gap(body.file, gapAtEnd, side.mark);
        // only a FIN proves a close-delimited body is whole
        if (reason !== 'fin') body.file.note(`body delimited by ${reason === 'rst' ? 'a reset' : reason === 'end-of-capture' ? 'the end of the capture' : 'a reassembly memory limit'}, not a FIN: it may be truncated`);
        this.finishBody(side, reason !== 'fin' || gapAtEnd > 0);
      } else {
        const missing = body.framing === 'length' ? body.remaining : (body.chunked as ChunkedDecoder).chunkRemaining;
        this.emitter.gap(body.file, missing, side.mark);
        body.file.note(`stream ended (${reason}) before the end of the body${body.framing === 'chunked' ? ' (chunked: more may be missing)' : ''}`);
        this.finishBody(side, true);
      }
    } else if (side.state === 'head' && side.head.length > 0) {
      this.issue(side, 0, `stream ended (${reason}) inside a header section of ${side.head.length} bytes`);
    }
    if (side.role === 'response' && this.pending.length > 0 && side.state !== 'tunnel') {
      this.issue(side, 0, `${this.pending.length} request(s) without a response`);
      this.pending.clear();
    }
    side.state = 'ended';
  }
}
