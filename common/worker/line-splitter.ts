/**
 * Splits a byte stream into newline-terminated lines with a hard bound on line length, for the
 * worker protocol (both ends: the supervisor reads the worker's stdout, a worker reads its stdin).
 *
 * Why bytes and a bound: a broken or hostile peer could write one endless line; a naive
 * `buffer += chunk` would then grow without limit. Here a line that passes the bound is reported
 * once and its bytes are dropped (not buffered) until the next newline, after which splitting
 * resumes normally. Memory held is at most `maxLineBytes` plus one chunk.
 */

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export type LineSplitterEvent =
  | { kind: 'line'; text: string }
  /** The line was longer than the bound; `bytesSeen` is how far we got before giving up on it. */
  | { kind: 'overlong'; bytesSeen: number }
  /** The line was not valid UTF-8. */
  | { kind: 'invalid-utf8'; bytes: number };

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  /** True while skipping the rest of an overlong line. */
  private discarding = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly onEvent: (e: LineSplitterEvent) => void,
    readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
  }

  /** Bytes currently held for an unfinished line (for tests and diagnostics). */
  get bufferedBytes(): number {
    return this.partBytes;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  /** End of stream: a final unterminated line is still delivered (a peer may omit the last newline). */
  end(): void {
    if (this.partBytes > 0 && !this.discarding) this.finishLine();
    this.reset();
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.discarding) return;
    if (this.partBytes + bytes.length > this.maxLineBytes) {
      // Report now, not at the newline: an endless line must be visible while it is happening.
      this.onEvent({ kind: 'overlong', bytesSeen: this.partBytes + bytes.length });
      this.parts = [];
      this.partBytes = 0;
      this.discarding = true;
      return;
    }
    // Copy: the caller may reuse its chunk buffer (Node's stream chunks are pooled slices).
    this.parts.push(bytes.slice());
    this.partBytes += bytes.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      this.reset();
      return;
    }
    const bytes = this.join();
    this.reset();
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === CR) len--; // tolerate CRLF peers
    if (len === 0) return; // blank lines carry nothing; not an error
    let text: string;
    try {
      text = this.decoder.decode(bytes.subarray(0, len));
    } catch {
      this.onEvent({ kind: 'invalid-utf8', bytes: len });
      return;
    }
    this.onEvent({ kind: 'line', text });
  }

  private join(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.partBytes);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private reset(): void {
    this.parts = [];
    this.partBytes = 0;
    this.discarding = false;
  }
}
