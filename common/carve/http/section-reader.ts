/**
 * Collects a header section (lines up to the first empty line) from a byte stream delivered in
 * pieces of any size, holding at most `cap` bytes. Scans each byte once, so feeding one byte at
 * a time stays linear. Environment-free.
 */

export type SectionStatus = 'more' | 'done' | 'overflow';

export class SectionReader {
  private buf: Uint8Array;
  private len = 0;
  /** Start of the line being read, within buf. */
  private lineStart = 0;
  /** End of the first line (index of its LF), or -1 while it is still incomplete. */
  firstLineEnd = -1;
  status: SectionStatus = 'more';

  constructor(private readonly cap: number) {
    this.buf = new Uint8Array(Math.min(cap, 1024));
  }

  get length(): number {
    return this.len;
  }

  reset(): void {
    this.len = 0;
    this.lineStart = 0;
    this.firstLineEnd = -1;
    this.status = 'more';
    // drop a buffer grown by one large header so idle parsers stay small
    if (this.buf.length > 16384) this.buf = new Uint8Array(1024);
  }

  /**
   * Consumes bytes of data from pos on; returns how many. Stops right after the terminating empty
   * line ('done') or when the cap is reached ('overflow').
   */
  push(data: Uint8Array, pos: number): number {
    let i = pos;
    while (i < data.length && this.status === 'more') {
      const lf = data.indexOf(10, i);
      const end = lf === -1 ? data.length : lf + 1;
      const room = this.cap - this.len;
      if (end - i > room) {
        this.append(data, i, i + room);
        i += room;
        this.status = 'overflow';
        break;
      }
      this.append(data, i, end);
      i = end;
      if (lf === -1) break;
      const lineEnd = this.len - 1;
      if (this.firstLineEnd === -1) this.firstLineEnd = lineEnd;
      // an empty line ("\n" or "\r\n") ends the section
      const lineBytes = lineEnd - this.lineStart;
      if (lineBytes === 0 || (lineBytes === 1 && this.buf[this.lineStart] === 13)) this.status = 'done';
      this.lineStart = this.len;
    }
    return i - pos;
  }

  /** The section without its terminating empty line. */
  section(): Uint8Array {
    return this.buf.subarray(0, this.status === 'done' ? this.lineStart - (this.lineEndLength()) : this.len);
  }

  /** Bytes of the first line so far (complete or not). */
  firstLine(): Uint8Array {
    return this.buf.subarray(0, this.firstLineEnd === -1 ? this.len : this.firstLineEnd);
  }

  private lineEndLength(): number {
    // the terminating empty line: "\r\n" or "\n" just before lineStart
    const s = this.lineStart;
    return s >= 2 && this.buf[s - 2] === 13 ? 2 : 1;
  }

  private append(data: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.len + n > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.cap, Math.max(this.buf.length * 2, this.len + n)));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(data.subarray(from, to), this.len);
    this.len += n;
  }
}
