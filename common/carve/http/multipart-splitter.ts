/**
 * Splits a multipart body (RFC 2046: multipart/form-data uploads, multipart/byteranges 206
 * responses) into parts as the bytes stream by. Holds at most one delimiter's worth of bytes and
 * one part-header section; a line that starts like the delimiter but is not one stays part data.
 * Environment-free.
 */
import { asciiBytes, indexOfBytes } from '../text.js';
import { parseFieldSection, type HeaderField } from './http-head.js';
import { SectionReader } from './section-reader.js';

export interface MultipartHandler {
  partStart(headers: HeaderField[], index: number): void;
  partData(view: Uint8Array): void;
  partGap(missing: number): void;
  /** complete = the part ended at a delimiter. */
  partEnd(complete: boolean): void;
}

export interface MultipartLimits {
  maxPartHeaderBytes: number;
  maxPartHeaderFields: number;
  maxParts: number;
}

type State = 'seek' | 'after-delim' | 'headers' | 'body' | 'epilogue';

export class MultipartSplitter {
  private readonly delim: Uint8Array;
  private state: State = 'seek';
  /** Bytes withheld because a delimiter might start in them. */
  private pending: Uint8Array;
  private inPart = false;
  /** after-delim: bytes consumed since the delimiter, and what the delimiter interrupted. */
  private afterDelim: number[] = [];
  private afterFrom: 'seek' | 'body' = 'seek';
  private readonly headers: SectionReader;
  private parts = 0;
  closed = false;
  notes: string[] = [];

  constructor(
    boundary: string,
    private readonly handler: MultipartHandler,
    private readonly limits: MultipartLimits,
  ) {
    this.delim = asciiBytes(`\r\n--${boundary}`);
    // the first delimiter may sit at the very start of the body, without its CRLF
    this.pending = asciiBytes('\r\n');
    this.headers = new SectionReader(limits.maxPartHeaderBytes);
  }

  push(data: Uint8Array): void {
    let buf = data;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + data.length);
      buf.set(this.pending);
      buf.set(data, this.pending.length);
      this.pending = new Uint8Array(0);
    }
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'epilogue':
          return;
        case 'seek':
        case 'body': {
          const at = indexOfBytes(buf, this.delim, i);
          if (at === -1) {
            const keep = Math.max(i, buf.length - (this.delim.length - 1));
            if (this.state === 'body' && keep > i) this.handler.partData(buf.subarray(i, keep));
            this.pending = buf.slice(keep);
            return;
          }
          if (this.state === 'body' && at > i) this.handler.partData(buf.subarray(i, at));
          this.afterFrom = this.state;
          this.afterDelim = [];
          this.state = 'after-delim';
          i = at + this.delim.length;
          break;
        }
        case 'after-delim':
          i = this.afterDelimByte(buf, i);
          break;
        case 'headers': {
          i += this.headers.push(buf, i);
          if (this.headers.status === 'overflow') {
            this.note('part header section too large; part skipped');
            this.headers.reset();
            this.state = 'seek';
          } else if (this.headers.status === 'done') {
            const notes: string[] = [];
            const fields = parseFieldSection(this.headers.section(), this.limits.maxPartHeaderFields, notes);
            this.headers.reset();
            if (fields === null) {
              this.note('too many part header fields; part skipped');
              this.state = 'seek';
            } else {
              this.inPart = true;
              this.handler.partStart(fields, this.parts - 1);
              this.state = 'body';
            }
          }
          break;
        }
      }
    }
  }

  /** One byte after a delimiter: "--" closes, optional whitespace then CRLF opens a part. */
  private afterDelimByte(buf: Uint8Array, i: number): number {
    const b = buf[i];
    const seen = this.afterDelim;
    seen.push(b);
    if (seen.length === 1 && b === 0x2d) return i + 1;
    if (seen.length === 2 && seen[0] === 0x2d) {
      if (b !== 0x2d) return this.notADelimiter(i + 1);
      this.endPart(true);
      this.closed = true;
      this.state = 'epilogue';
      return i + 1;
    }
    if (b === 0x20 || b === 0x09) {
      // transport padding; bounded so a long run cannot grow the list
      if (seen.length > 64) return this.notADelimiter(i + 1);
      return i + 1;
    }
    if (b === 0x0d && seen[seen.length - 2] !== 0x0d) return i + 1;
    if (b === 0x0a) {
      this.endPart(true);
      if (this.parts >= this.limits.maxParts) {
        this.note(`more than ${this.limits.maxParts} parts; the rest is ignored`);
        this.state = 'epilogue';
        return i + 1;
      }
      this.parts++;
      this.state = 'headers';
      return i + 1;
    }
    return this.notADelimiter(i + 1);
  }

  /** The delimiter was only a look-alike: its bytes go back to the part. */
  private notADelimiter(next: number): number {
    if (this.afterFrom === 'body') {
      this.handler.partData(this.delim);
      this.handler.partData(Uint8Array.from(this.afterDelim));
    }
    this.state = this.afterFrom;
    return next;
  }

  private endPart(complete: boolean): void {
    if (!this.inPart) return;
    this.inPart = false;
    this.handler.partEnd(complete);
  }

  gap(missing: number): void {
    if (this.state === 'body') {
      if (this.pending.length > 0) this.handler.partData(this.pending);
      this.pending = new Uint8Array(0);
      this.handler.partGap(missing);
      return;
    }
    if (this.state === 'epilogue') return;
    if (this.state === 'after-delim' && this.afterFrom === 'body') this.endPart(false);
    else if (this.state === 'headers') this.headers.reset();
    this.pending = new Uint8Array(0);
    this.note('a gap hit a part boundary; skipping to the next delimiter');
    this.state = 'seek';
  }

  /** The body ended (complete or not): flush and close the open part. */
  end(): void {
    if (this.state === 'body' && this.pending.length > 0) this.handler.partData(this.pending);
    this.pending = new Uint8Array(0);
    // a delimiter right at the end still ended the part
    this.endPart(this.state === 'after-delim' && this.afterFrom === 'body');
    if (!this.closed) this.note('multipart body ended without its closing delimiter');
    this.state = 'epilogue';
  }

  private note(s: string): void {
    if (this.notes.length < 8) this.notes.push(s);
  }
}
