/**
 * Command and reply lines of text protocols (SMTP, POP3, IMAP, FTP) cut from a byte stream that
 * arrives in arbitrary pieces. A line longer than the cap is cut and flagged (hostile peers cannot
 * make it grow). Environment-free.
 */
import { latin1 } from './text.js';

export const MAX_LINE = 8192;

export class LineBuffer {
  private buf = new Uint8Array(256);
  private len = 0;
  private overflow = false;

  /**
   * Takes bytes from data[from..] until a line ends; returns [line without CR LF, index after the
   * LF, truncated] or null when the line is not complete yet (all bytes were taken).
   */
  take(data: Uint8Array, from: number): [string, number, boolean] | null {
    const lf = data.indexOf(0x0a, from);
    const end = lf === -1 ? data.length : lf;
    this.append(data, from, end);
    if (lf === -1) return null;
    let n = this.len;
    if (n > 0 && this.buf[n - 1] === 0x0d) n--;
    const line = latin1(this.buf, 0, n);
    const cut = this.overflow;
    this.len = 0;
    this.overflow = false;
    return [line, lf + 1, cut];
  }

  get pending(): number {
    return this.len;
  }

  clear(): void {
    this.len = 0;
    this.overflow = false;
  }

  private append(data: Uint8Array, from: number, end: number): void {
    const room = MAX_LINE - this.len;
    const n = Math.min(room, end - from);
    if (n < end - from) this.overflow = true;
    if (n <= 0) return;
    if (this.len + n > this.buf.length) {
      const b = new Uint8Array(Math.min(MAX_LINE, Math.max(this.buf.length * 2, this.len + n)));
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    this.buf.set(data.subarray(from, from + n), this.len);
    this.len += n;
  }
}

/** Whether bytes could be the start of a text protocol: no control bytes except TAB, CR, LF (first 512 looked at). */
export function textLike(data: Uint8Array): boolean {
  const n = Math.min(data.length, 512);
  for (let i = 0; i < n; i++) {
    const c = data[i];
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}
