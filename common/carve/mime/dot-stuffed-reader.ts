/**
 * The dot-stuffed mail data of SMTP DATA and POP3 RETR/TOP (RFC 5321 4.5.2, RFC 1939 3): a line
 * "." ends the data, a leading "." on any other line is removed. The line break before the final
 * "." belongs to the last line of the message, so it is kept. Streaming: state carries across
 * chunks, each byte is looked at once. Environment-free.
 */
export class DotStuffedReader {
  private lineStart = true;
  /** 0: inside a line; 1: "." at a line start; 2: ".\r" at a line start. */
  private state: 0 | 1 | 2 = 0;
  private static readonly CR = new Uint8Array([0x0d]);

  /**
   * Emits the content bytes of `data` (views valid during the call) and returns the index just
   * after the terminating line, or -1 when all of `data` was content.
   */
  feed(data: Uint8Array, emit: (bytes: Uint8Array) => void): number {
    let run = 0;
    const flush = (to: number): void => {
      if (to > run) emit(data.subarray(run, to));
    };
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (this.state === 0) {
        if (this.lineStart && c === 0x2e) {
          flush(i);
          this.state = 1;
          run = i + 1;
          continue;
        }
        this.lineStart = c === 0x0a;
      } else if (this.state === 1) {
        if (c === 0x0d) {
          this.state = 2;
          run = i + 1;
        } else if (c === 0x0a) {
          // ".\n": a bare-LF terminator (sent by broken clients; accepted like most servers do)
          this.reset();
          return i + 1;
        } else {
          // a stuffed dot: dropped, this byte is content
          this.state = 0;
          this.lineStart = false;
          run = i;
        }
      } else {
        if (c === 0x0a) {
          this.reset();
          return i + 1;
        }
        // ".\r" followed by something else: the dot was stuffing, the CR is content
        emit(DotStuffedReader.CR);
        this.state = 0;
        this.lineStart = false;
        run = i;
        if (c === 0x0d) continue;
      }
    }
    if (this.state === 0) flush(data.length);
    return -1;
  }

  /** After a gap the position within a line is unknown: assume mid-line (a "." there is content). */
  afterGap(): void {
    this.state = 0;
    this.lineStart = false;
  }

  reset(): void {
    this.state = 0;
    this.lineStart = true;
  }
}
