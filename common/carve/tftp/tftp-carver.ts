/**
 * TFTP (RFC 1350, options RFC 2347/2348) transfers: the request (RRQ/WRQ with file name, mode and
 * options) goes to port 69; the transfer runs between two new ports (the transfer ID pair) and
 * is a flow of its own. This carver reads that transfer flow: DATA blocks in block order
 * (retransmissions dropped, skipped blocks reported as gaps, block numbers rolling over), the
 * block size from the server's OACK, the end at the first short block or an ERROR.
 * Environment-free.
 */
import { NO_HTTP, type CarveFileSink, type PacketMark } from '../carve-sink.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { latin1 } from '../text.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

export const TFTP_PORT = 69;
const DEFAULT_BLKSIZE = 512;

export interface TftpRequest {
  op: 'RRQ' | 'WRQ';
  filename: string;
  mode: string;
  /** Lowercase option names → values, as requested. */
  options: Record<string, string>;
}

export interface TftpTransferContext {
  request: TftpRequest;
  /** tftp://server/filename */
  url: string;
  /** The server's address. */
  host: string;
}

/** An RRQ/WRQ datagram (opcode 1/2, name NUL mode NUL [option NUL value NUL]...), or null. */
export function parseTftpRequest(d: Uint8Array): TftpRequest | null {
  if (d.length < 4 || d[0] !== 0 || (d[1] !== 1 && d[1] !== 2)) return null;
  const strings: string[] = [];
  let at = 2;
  while (at < d.length && strings.length < 64) {
    const z = d.indexOf(0, at);
    if (z === -1) break;
    strings.push(latin1(d, at, Math.min(z, at + 1024)));
    at = z + 1;
  }
  if (strings.length < 2 || strings[0] === '') return null;
  const options: Record<string, string> = {};
  for (let i = 2; i + 1 < strings.length; i += 2) options[strings[i].toLowerCase()] = strings[i + 1];
  return { op: d[1] === 1 ? 'RRQ' : 'WRQ', filename: strings[0], mode: strings[1].toLowerCase(), options };
}

export class TftpCarver implements StreamCarver {
  readonly recognized = true;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;
  private blksize = DEFAULT_BLKSIZE;
  private senderDir: Direction | null = null;
  private expected = 1;
  private last: PacketMark = { sec: 0, nsec: 0, packet: 0 };
  private started = false;
  private ended = false;
  private size = 0;
  private missing = 0;
  private readonly notes: string[] = [];
  private retransmitted = 0;

  constructor(
    private readonly sink: CarveFileSink,
    private readonly ctx: TftpTransferContext,
  ) {}

  onData(c: StreamChunk): void {
    if (this.ended) return;
    const d = c.data;
    if (d.length < 4 || d[0] !== 0) return;
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    const op = d[1];
    if (op === 6) {
      // OACK: the options the server accepted
      const opts = parseTftpRequest(new Uint8Array([0, 1, 0x78, 0, 0x78, 0, ...d.subarray(2)]));
      const b = Number(opts?.options.blksize);
      if (Number.isInteger(b) && b >= 8 && b <= 65464) this.blksize = b;
    } else if (op === 5) {
      const code = (d[2] << 8) | d[3];
      const z = d.indexOf(0, 4);
      this.finish(mark, true, `TFTP error ${code}: ${latin1(d, 4, z === -1 ? Math.min(d.length, 516) : Math.min(z, 516))}`);
    } else if (op === 3) {
      this.data(c.dir, (d[2] << 8) | d[3], d.subarray(4), c.gapBefore, mark);
    }
  }

  private data(dir: Direction, block: number, payload: Uint8Array, gapBefore: number, mark: PacketMark): void {
    if (this.senderDir === null) this.senderDir = dir;
    if (dir !== this.senderDir) return;
    if (gapBefore > 0) this.note('a datagram was cut by the capture length');
    let expected = this.expected;
    // rollover: after block 65535 some implementations continue with 0, others with 1
    if (expected === 0 && block === 1) expected = 1;
    if (block !== expected) {
      const ahead = (block - expected) & 0xffff;
      if (ahead === 0 || ahead > 0x8000) {
        this.retransmitted++;
        return;
      }
      // blocks never captured: their bytes are missing (full blocks, as only the last may be short)
      if (!this.started) this.start(mark);
      const missing = ahead * this.blksize;
      this.missing += missing;
      this.sink.onFileGap(0, missing);
      this.note(`blocks ${expected}..${(block - 1) & 0xffff} not captured`);
    }
    if (!this.started) this.start(mark);
    this.last = mark;
    this.size += payload.length;
    if (payload.length > 0) this.sink.onFileData(0, payload);
    this.expected = (block + 1) & 0xffff;
    if (payload.length < this.blksize) this.finish(mark, false);
  }

  onEnd(dir: Direction): void {
    if (this.ended || (this.senderDir !== null && dir !== this.senderDir)) return;
    if (this.senderDir === null && dir === 0) return;
    this.finish(null, true, 'the transfer ended before its last (short) block');
  }

  private note(n: string): void {
    this.issueCount++;
    if (this.notes.length < 16 && !this.notes.includes(n)) this.notes.push(n);
  }

  private finish(mark: PacketMark | null, incomplete: boolean, why?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (why) this.note(why);
    if (!this.started) {
      if (this.issues.length < 32) this.issues.push({ dir: 0, offset: 0, message: why ?? 'no data' });
      return;
    }
    if (mark) this.last = mark;
    if (this.retransmitted > 0) this.notes.push(`${this.retransmitted} retransmitted blocks ignored`);
    this.sink.onFileEnd(0, { size: this.size, missingBytes: this.missing, incomplete: incomplete || this.missing > 0, notes: this.notes, last: this.last });
  }

  private start(mark: PacketMark): void {
    this.started = true;
    this.last = mark;
    const r = this.ctx.request;
    this.sink.onFileStart({
      id: 0,
      kind: 'transfer',
      parentId: null,
      direction: r.op === 'RRQ' ? 'download' : 'upload',
      streamDir: this.senderDir ?? 0,
      name: r.filename,
      declaredType: null,
      codings: [],
      declaredLength: null,
      range: null,
      http: { ...NO_HTTP, method: r.op, url: this.ctx.url, host: this.ctx.host },
      protocol: 'tftp',
      email: null,
      first: mark,
    });
  }
}

/**
 * A request flow (port 69) read whole: its first requester datagram is the RRQ/WRQ; servers that
 * answer from port 69 itself (not RFC 1350's new transfer ID, but some embedded ones do) put the
 * transfer in this same flow, and it is carved from here.
 */
export class TftpRequestFlowCarver implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  private inner: TftpCarver | null = null;

  constructor(
    private readonly sink: CarveFileSink,
    private readonly requesterDir: Direction,
    private readonly server: string,
  ) {}

  get issueCount(): number {
    return this.inner?.issueCount ?? 0;
  }

  onData(c: StreamChunk): void {
    if (this.gaveUp) return;
    if (!this.inner) {
      const req = c.dir === this.requesterDir ? parseTftpRequest(c.data) : null;
      if (!req) {
        this.gaveUp = true;
        return;
      }
      this.recognized = true;
      const host = this.server.includes(':') ? `[${this.server}]` : this.server;
      this.inner = new TftpCarver(this.sink, { request: req, url: `tftp://${host}/${req.filename.replace(/^\/+/, '')}`, host: this.server });
      return;
    }
    this.inner.onData(c);
  }

  onEnd(dir: Direction): void {
    this.inner?.onEnd(dir);
  }
}
