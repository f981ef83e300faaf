/**
 * Incremental decoder of the chunked transfer coding (RFC 9112 §7.1): chunk-size lines with
 * extensions, data, CRLF, the last chunk and trailer fields. Hostile sizes (too many digits, not
 * hex) and missing CRLFs are errors; huge but well-formed sizes are fine since data streams
 * through. Never throws; holds at most one size line and one trailer section. Environment-free.
 */
import { parseFieldSection, type HeaderField } from './http-head.js';
import { SectionReader } from './section-reader.js';

export interface ChunkedOutput {
  data(view: Uint8Array): void;
}

const MAX_SIZE_LINE = 4096;
/** 13 hex digits = 2^52: stays a safe integer in a double. */
const MAX_HEX_DIGITS = 13;

type State = 'size' | 'size-rest' | 'data' | 'data-cr' | 'data-lf' | 'trailers' | 'done' | 'error';

export class ChunkedDecoder {
  private state: State = 'size';
  /** The size line so far: value, significant digits, length, and its start for messages. */
  private size = 0;
  private digits = 0;
  private sawDigit = false;
  private lineLength = 0;
  private lineText = '';
  private remaining = 0;
  private readonly trailerReader: SectionReader;
  trailers: HeaderField[] = [];
  error: string | null = null;
  notes: string[] = [];

  constructor(
    private readonly out: ChunkedOutput,
    maxTrailerBytes: number,
    private readonly maxTrailerFields: number,
  ) {
    this.trailerReader = new SectionReader(maxTrailerBytes);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  get failed(): boolean {
    return this.state === 'error';
  }

  /** Bytes of the current chunk still expected (a lower bound of what is missing if the stream stops). */
  get chunkRemaining(): number {
    return this.state === 'data' ? this.remaining : 0;
  }

  /** Consumes from pos; returns bytes consumed. Stops after the trailers ('done') or at an error. */
  push(data: Uint8Array, pos: number): number {
    let i = pos;
    while (i < data.length && this.state !== 'done' && this.state !== 'error') {
      switch (this.state) {
        case 'size':
        case 'size-rest': {
          // byte by byte: chunk-size lines are short and this runs for every chunk
          const b = data[i++];
          if (++this.lineLength > MAX_SIZE_LINE) return i - pos + this.fail(`chunk-size line longer than ${MAX_SIZE_LINE} bytes`);
          if (this.lineText.length < 40 && b !== 10 && b !== 13) this.lineText += String.fromCharCode(b);
          if (b === 10) {
            this.endSizeLine();
            break;
          }
          if (this.state === 'size-rest' || b === 13) {
            // extensions and whitespace after the size are skipped
            if (b !== 13 && !this.sawDigit) return i - pos + this.fail(`bad chunk-size ${JSON.stringify(this.lineText)}`);
            this.state = 'size-rest';
            break;
          }
          const v = hexValue(b);
          if (v >= 0) {
            this.sawDigit = true;
            if (this.digits > 0 || v > 0) this.digits++;
            if (this.digits > MAX_HEX_DIGITS) return i - pos + this.fail(`chunk-size ${JSON.stringify(this.lineText)}… overflows`);
            this.size = this.size * 16 + v;
          } else if (b === 0x20 || b === 0x09) {
            if (this.sawDigit) this.state = 'size-rest';
          } else if (b === 0x3b && this.sawDigit) {
            this.state = 'size-rest';
          } else return i - pos + this.fail(`bad chunk-size ${JSON.stringify(this.lineText)}`);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, data.length - i);
          if (n > 0) this.out.data(data.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          // CRLF after the data; a bare LF is tolerated
          if (data[i] === 13) {
            this.state = 'data-lf';
            i++;
          } else if (data[i] === 10) {
            this.state = 'size';
            i++;
          } else return i - pos + this.fail(`expected CRLF after chunk data, found byte 0x${data[i].toString(16).padStart(2, '0')}`);
          break;
        case 'data-lf':
          if (data[i] !== 10) return i - pos + this.fail('expected LF after CR following chunk data');
          this.state = 'size';
          i++;
          break;
        case 'trailers': {
          i += this.trailerReader.push(data, i);
          if (this.trailerReader.status === 'overflow') return i - pos + this.fail('trailer section too large');
          if (this.trailerReader.status === 'done') {
            const fields = parseFieldSection(this.trailerReader.section(), this.maxTrailerFields, this.notes);
            if (fields === null) return i - pos + this.fail('too many trailer fields');
            this.trailers = fields;
            this.state = 'done';
          }
          break;
        }
      }
    }
    return i - pos;
  }

  /**
   * `n` bytes are missing. Survivable only inside chunk data (the framing continues after it);
   * returns how many of the missing bytes belong to the body, and whether decoding can go on.
   */
  gap(n: number): { bodyMissing: number; resumable: boolean } {
    if (this.state === 'data' && n <= this.remaining) {
      this.remaining -= n;
      if (this.remaining === 0) this.state = 'data-cr';
      return { bodyMissing: n, resumable: true };
    }
    const bodyMissing = this.state === 'data' ? this.remaining : 0;
    this.fail('a gap in the stream broke the chunked framing');
    return { bodyMissing, resumable: false };
  }

  private endSizeLine(): void {
    if (!this.sawDigit) {
      this.fail(`bad chunk-size ${JSON.stringify(this.lineText)}`);
      return;
    }
    this.remaining = this.size;
    this.state = this.size === 0 ? 'trailers' : 'data';
    this.size = 0;
    this.digits = 0;
    this.sawDigit = false;
    this.lineLength = 0;
    this.lineText = '';
  }

  /** Records the error; returns 0 so call sites can add it to a consumed count. */
  private fail(message: string): number {
    if (this.state !== 'error') {
      this.state = 'error';
      this.error = message;
    }
    return 0;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
