/**
 * An FTP data connection carved as one file: the bytes of the sending direction (the server's
 * for RETR, the client's for STOR/STOU/APPE) from the first to the last, gaps reported, never
 * invented. What the file is called and where it goes comes from the control channel
 * (ftp-control.ts); this only streams. Environment-free.
 */
import { NO_HTTP, type CarveFileSink, type PacketMark } from '../carve-sink.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';
import type { FtpTransfer } from './ftp-control.js';

export interface FtpDataContext {
  transfer: FtpTransfer;
  /** Direction of the data flow that carries the file. */
  senderDir: Direction;
  /** ftp://host/path */
  url: string | null;
  /** The FTP server's address. */
  host: string;
}

export class FtpDataCarver implements StreamCarver {
  readonly recognized = true;
  readonly gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;
  private started = false;
  private ended = false;
  private size = 0;
  private missing = 0;
  private last: PacketMark = { sec: 0, nsec: 0, packet: 0 };
  private otherBytes = 0;

  constructor(
    private readonly sink: CarveFileSink,
    private readonly ctx: FtpDataContext,
  ) {}

  onData(c: StreamChunk): void {
    if (this.ended) return;
    if (c.dir !== this.ctx.senderDir) {
      this.otherBytes += c.data.length;
      return;
    }
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    if (!this.started) this.start(mark);
    if (c.gapBefore > 0) {
      this.missing += c.gapBefore;
      this.sink.onFileGap(0, c.gapBefore);
    }
    this.last = mark;
    this.size += c.data.length;
    this.sink.onFileData(0, c.data);
  }

  onEnd(dir: Direction, reason: string, gapAtEnd: number): void {
    if (dir !== this.ctx.senderDir || this.ended) return;
    this.ended = true;
    const t = this.ctx.transfer;
    const notes: string[] = [];
    if (!this.started) {
      // nothing was sent (an empty file, or a refused transfer): no file to carve
      this.issueCount++;
      this.issues.push({ dir, offset: 0, message: `${t.command} ${t.path ?? ''}: no data in the data connection` });
      return;
    }
    if (gapAtEnd > 0) this.missing += gapAtEnd;
    if (t.reply !== null && t.reply >= 400) notes.push(`the server answered ${t.command} with ${t.reply}`);
    if (reason === 'end-of-capture' || reason === 'memory-limit') notes.push(`data connection ${reason}`);
    if (this.otherBytes > 0) notes.push(`${this.otherBytes} bytes in the other direction ignored`);
    if (t.restart !== null) notes.push(`restarted transfer (REST ${t.restart}): these bytes start at offset ${t.restart} of the file`);
    const incomplete = this.missing > 0 || t.restart !== null || reason === 'memory-limit' || (t.reply !== null && t.reply >= 400) || (reason === 'end-of-capture' && !(t.reply !== null && t.reply < 300));
    this.sink.onFileEnd(0, { size: this.size, missingBytes: this.missing, incomplete, notes, last: this.last });
  }

  private start(mark: PacketMark): void {
    this.started = true;
    this.last = mark;
    const t = this.ctx.transfer;
    const path = t.path ?? '';
    this.sink.onFileStart({
      id: 0,
      kind: 'transfer',
      parentId: null,
      direction: t.direction,
      streamDir: this.ctx.senderDir,
      name: path === '' ? null : path,
      declaredType: null,
      codings: [],
      declaredLength: null,
      range: null,
      http: { ...NO_HTTP, method: t.command, url: this.ctx.url, host: this.ctx.host, status: t.reply },
      protocol: 'ftp-data',
      email: null,
      first: mark,
    });
  }
}
