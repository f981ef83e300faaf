/**
 * Splits a syslog TCP byte stream into messages (RFC 6587), detecting the framing per message:
 * a frame that starts with a nonzero digit followed by digits and a space is octet-counted
 * ("51 <13>Oct 11 ..."), anything else runs to the next LF (non-transparent framing; a CR before
 * the LF is dropped). Senders mixing both on one connection (seen in the wild and in Zeek's test
 * capture) are read correctly. Bounded: a frame longer than maxFrame is delivered cut to maxFrame
 * bytes with `truncated` set, the rest of it skipped; memory never exceeds about maxFrame.
 */

export interface Frame {
  bytes: Uint8Array;
  octetCounted: boolean;
  /** The frame was longer than maxFrame; bytes holds its first maxFrame bytes. */
  truncated: boolean;
}

const enum State {
  Start,
  Count,
  Counted,
  Line,
  SkipCounted,
  SkipLine,
}

export class SyslogFramer {
  private state = State.Start;
  private count = 0;
  private countDigits = 0;
  private remaining = 0;
  private buf: Uint8Array;
  private len = 0;
  /** The digits read while deciding on octet counting, replayed into a line when it was not. */
  private readonly pending: number[] = [];

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly maxFrame = 64 * 1024,
  ) {
    this.buf = new Uint8Array(Math.min(maxFrame, 4096));
  }

  private append(b: Uint8Array, from: number, to: number): void {
    const n = Math.min(to - from, this.maxFrame - this.len);
    if (n <= 0) return;
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.min(this.maxFrame, Math.max(this.buf.length * 2, this.len + n)));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(b.subarray(from, from + n), this.len);
    this.len += n;
  }

  private emit(octetCounted: boolean, truncated: boolean): void {
    const bytes = this.buf.slice(0, this.len);
    this.len = 0;
    this.onFrame({ bytes, octetCounted, truncated });
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case State.Start: {
          const c = chunk[i];
          if (c === 0x0a || c === 0x0d || c === 0x00) {
            i++; // empty lines and stray separators between frames carry nothing
          } else if (c >= 0x31 && c <= 0x39) {
            this.state = State.Count;
            this.count = c - 0x30;
            this.countDigits = 1;
            this.pending.length = 0;
            this.pending.push(c);
            i++;
          } else this.state = State.Line;
          break;
        }
        case State.Count: {
          const c = chunk[i];
          if (c >= 0x30 && c <= 0x39 && this.countDigits < 9) {
            this.count = this.count * 10 + (c - 0x30);
            this.countDigits++;
            this.pending.push(c);
            i++;
          } else if (c === 0x20) {
            i++;
            this.remaining = this.count;
            this.len = 0;
            this.state = State.Counted;
          } else {
            // not a count: the digits begin a line
            this.append(Uint8Array.from(this.pending), 0, this.pending.length);
            this.state = State.Line;
          }
          break;
        }
        case State.Counted: {
          const take = Math.min(this.remaining, chunk.length - i);
          const room = this.maxFrame - this.len;
          this.append(chunk, i, i + take);
          i += take;
          this.remaining -= take;
          if (take > room) {
            // the frame is longer than we keep: deliver what fits, skip the rest
            this.emit(true, true);
            this.state = this.remaining > 0 ? State.SkipCounted : State.Start;
          } else if (this.remaining === 0) {
            this.emit(true, false);
            this.state = State.Start;
          }
          break;
        }
        case State.SkipCounted: {
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.Start;
          break;
        }
        case State.Line: {
          let j = chunk.indexOf(0x0a, i);
          const end = j < 0 ? chunk.length : j;
          if (this.len + (end - i) > this.maxFrame) {
            this.append(chunk, i, end);
            this.emit(false, true);
            this.state = j < 0 ? State.SkipLine : State.Start;
            i = j < 0 ? chunk.length : j + 1;
            break;
          }
          this.append(chunk, i, end);
          if (j < 0) {
            i = chunk.length;
            break;
          }
          if (this.len > 0 && this.buf[this.len - 1] === 0x0d) this.len--;
          this.emit(false, false);
          this.state = State.Start;
          i = j + 1;
          j = -1;
          break;
        }
        case State.SkipLine: {
          const j = chunk.indexOf(0x0a, i);
          if (j < 0) i = chunk.length;
          else {
            i = j + 1;
            this.state = State.Start;
          }
          break;
        }
      }
    }
  }

  /** The connection ended: a partial line is still a message (a counted frame cut short is too). */
  end(): void {
    if (this.state === State.Line && this.len > 0) this.emit(false, false);
    else if (this.state === State.Counted && this.len > 0) this.emit(true, true);
    else if (this.state === State.Count) {
      this.append(Uint8Array.from(this.pending), 0, this.pending.length);
      this.emit(false, false);
    }
    this.state = State.Start;
    this.len = 0;
  }
}
