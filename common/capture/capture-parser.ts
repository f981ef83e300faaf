/**
 * Entry point for reading a capture of unknown format: buffers the first four bytes, recognises
 * the magic, then hands everything to the pcap or pcapng parser.
 */
import { CaptureFormatError } from './capture-types.js';
import type { CaptureFormat, CaptureParser, CaptureSink } from './capture-types.js';
import { createPcapParser, pcapMagicInfo } from './pcap-parser.js';
import { createPcapngParser } from './pcapng-parser.js';

const MAGIC_LENGTH = 4;

/** The capture format announced by a file's first four bytes, or null. */
export function detectCaptureFormat(b0: number, b1: number, b2: number, b3: number): CaptureFormat | null {
  if (b0 === 0x0a && b1 === 0x0d && b2 === 0x0d && b3 === 0x0a) return 'pcapng';
  return pcapMagicInfo(b0, b1, b2, b3) === null ? null : 'pcap';
}

function magicHex(m: Uint8Array, n: number): string {
  let s = '0x';
  for (let i = 0; i < n; i++) s += m[i].toString(16).padStart(2, '0');
  return s;
}

class SniffingParser implements CaptureParser {
  private readonly magic = new Uint8Array(MAGIC_LENGTH);
  private magicBytes = 0;
  private inner: CaptureParser | null = null;
  private failure: CaptureFormatError | null = null;

  constructor(private readonly sink: CaptureSink) {}

  get consumed(): number {
    return this.inner === null ? 0 : this.inner.consumed;
  }

  get packets(): number {
    return this.inner === null ? 0 : this.inner.packets;
  }

  push(chunk: Uint8Array): void {
    if (this.inner !== null) {
      this.inner.push(chunk);
      return;
    }
    if (this.failure !== null) throw this.failure;
    const take = Math.min(MAGIC_LENGTH - this.magicBytes, chunk.length);
    this.magic.set(chunk.subarray(0, take), this.magicBytes);
    this.magicBytes += take;
    if (this.magicBytes < MAGIC_LENGTH) return;
    const m = this.magic;
    const format = detectCaptureFormat(m[0], m[1], m[2], m[3]);
    if (format === null) {
      const gz = m[0] === 0x1f && m[1] === 0x8b ? ', gzip-compressed data: decompress it first' : '';
      this.failure = new CaptureFormatError(`not a pcap or pcapng file (magic ${magicHex(m, 4)}${gz})`, 0);
      throw this.failure;
    }
    this.inner = format === 'pcap' ? createPcapParser(this.sink) : createPcapngParser(this.sink);
    this.inner.push(m);
    if (take < chunk.length) this.inner.push(chunk.subarray(take));
  }

  end(): void {
    if (this.inner !== null) {
      this.inner.end();
      return;
    }
    if (this.failure !== null) throw this.failure;
    if (this.magicBytes === 0) this.failure = new CaptureFormatError('empty file', 0);
    else {
      this.failure = new CaptureFormatError(
        `not a pcap or pcapng file (magic ${magicHex(this.magic, this.magicBytes)}: only ${this.magicBytes} bytes)`,
        0,
      );
    }
    throw this.failure;
  }
}

/**
 * A streaming parser for a pcap or pcapng file. Push the file's bytes in order, in chunks of any
 * size, then call end(). Throws CaptureFormatError (with the byte offset) on unreadable input.
 */
export function createCaptureParser(sink: CaptureSink): CaptureParser {
  return new SniffingParser(sink);
}
