/**
 * Streaming record framing shared by the pcap and pcapng parsers. The caller pushes chunks of any
 * size; records lying wholly inside a chunk are parsed in place (no copy), and only a record that
 * straddles chunk boundaries is assembled in a growable scratch buffer. The scratch grows as its
 * bytes actually arrive, so a corrupt length field cannot make us allocate memory up front.
 */
import type { CaptureFormatError, CaptureParser } from './capture-types.js';

/** Format-specific half of a parser: knows how long a record is and what to do with it. */
export interface RecordHandler {
  /** Bytes needed at a record start before recordLength() can answer (>= 1, <= every record). */
  readonly prefixBytes: number;
  /**
   * Total length of the record at buf[pos] (buf holds at least prefixBytes from pos; `base` is the
   * file offset of buf[0]). Throws CaptureFormatError for an impossible length.
   */
  recordLength(buf: Uint8Array, view: DataView, pos: number, base: number): number;
  /**
   * Handles every complete record in buf[pos, end) and returns the position after the last one
   * handled. Must stop at the first incomplete record. If it throws, it first sets failedAt.
   */
  parse(buf: Uint8Array, view: DataView, pos: number, end: number, base: number): number;
  /** File offset of the record parse() was handling when it threw (all earlier ones are done). */
  readonly failedAt: number;
  /** Packet records handed to the sink so far. */
  readonly packets: number;
  /** Drops references to the buffer passed to parse() (called when push returns). */
  release(): void;
  /** Error for a file that ends with `available` bytes of an unfinished record (`needed` 0 = unknown). */
  truncated(offset: number, available: number, needed: number): CaptureFormatError;
}

const INITIAL_SCRATCH = 64 * 1024;
/** A scratch buffer grown past this is dropped once empty, so one huge record does not pin memory. */
const KEEP_SCRATCH_MAX = 4 * 1024 * 1024;

export class RecordFramer implements CaptureParser {
  private scratch = new Uint8Array(INITIAL_SCRATCH);
  private scratchView = new DataView(this.scratch.buffer);
  /** Bytes of an unfinished record held in scratch. */
  private pending = 0;
  /** Total length of that record once known, else 0. */
  private pendingNeed = 0;
  /** File offset of the next byte to arrive. */
  private base = 0;
  private consumedBytes = 0;
  private failure: unknown = null;
  private ended = false;

  constructor(private readonly handler: RecordHandler) {}

  get consumed(): number {
    return this.consumedBytes;
  }

  get packets(): number {
    return this.handler.packets;
  }

  push(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new Error('push() after end()');
    // Records are views of the chunk. A Uint8Array subclass (Node's Buffer) would make them
    // subclass views too, whose slice() does not copy: view the same bytes as a plain Uint8Array.
    const bytes = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      this.pushChunk(bytes);
    } catch (e) {
      // A parser that threw (corrupt input or a sink error) stays failed; consumed still reports
      // the end of the last record handled, whatever the chunking.
      this.failure = e;
      if (this.handler.failedAt > this.consumedBytes) this.consumedBytes = this.handler.failedAt;
      throw e;
    } finally {
      this.handler.release();
    }
  }

  end(): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) return;
    this.ended = true;
    if (this.pending === 0) return;
    const offset = this.base - this.pending;
    try {
      if (this.pendingNeed === 0 && this.pending >= this.handler.prefixBytes) {
        // Surface a bad length field rather than a vaguer "truncated" message.
        this.pendingNeed = this.handler.recordLength(this.scratch, this.scratchView, 0, offset);
      }
      throw this.handler.truncated(offset, this.pending, this.pendingNeed);
    } catch (e) {
      this.failure = e;
      throw e;
    } finally {
      this.handler.release();
    }
  }

  private pushChunk(chunk: Uint8Array): void {
    const len = chunk.length;
    const chunkBase = this.base;
    this.base += len;
    let pos = 0;
    if (this.pending > 0) {
      pos = this.fillScratch(chunk, chunkBase);
      if (this.pending > 0) return;
    }
    if (pos >= len) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const stop = this.handler.parse(chunk, view, pos, len, chunkBase);
    this.consumedBytes = chunkBase + stop;
    if (stop < len) {
      this.ensureScratch(len - stop, 0, len - stop);
      this.scratch.set(chunk.subarray(stop, len), 0);
      this.pending = len - stop;
      this.pendingNeed = 0;
    }
  }

  /** Moves bytes from the chunk into the unfinished record; returns how many were taken. */
  private fillScratch(chunk: Uint8Array, chunkBase: number): number {
    const h = this.handler;
    const recOffset = chunkBase - this.pending;
    let pos = 0;
    if (this.pendingNeed === 0) {
      const prefix = h.prefixBytes;
      if (this.pending < prefix) {
        const take = Math.min(prefix - this.pending, chunk.length);
        this.ensureScratch(this.pending + take, this.pending, prefix);
        this.scratch.set(chunk.subarray(0, take), this.pending);
        this.pending += take;
        pos = take;
        if (this.pending < prefix) return pos;
      }
      this.pendingNeed = h.recordLength(this.scratch, this.scratchView, 0, recOffset);
    }
    const need = this.pendingNeed;
    const take = Math.min(need - this.pending, chunk.length - pos);
    if (take > 0) {
      this.ensureScratch(this.pending + take, this.pending, need);
      this.scratch.set(chunk.subarray(pos, pos + take), this.pending);
      this.pending += take;
      pos += take;
    }
    if (this.pending < need) return pos;
    const stop = h.parse(this.scratch, this.scratchView, 0, need, recOffset);
    if (stop !== need) throw new Error(`internal: record handler stopped at ${stop} of ${need}`);
    this.consumedBytes = recOffset + need;
    this.pending = 0;
    this.pendingNeed = 0;
    if (this.scratch.length > KEEP_SCRATCH_MAX) this.resetScratch(INITIAL_SCRATCH);
    return pos;
  }

  /**
   * Makes scratch hold at least `size` bytes, keeping its first `keep` bytes. Grows by doubling
   * (so byte-by-byte arrival copies O(n) in total) but never past `cap`, the most that can be needed.
   */
  private ensureScratch(size: number, keep: number, cap: number): void {
    if (size <= this.scratch.length) return;
    const old = this.scratch;
    this.resetScratch(Math.max(size, Math.min(old.length * 2, cap)));
    if (keep > 0) this.scratch.set(old.subarray(0, keep), 0);
  }

  private resetScratch(size: number): void {
    this.scratch = new Uint8Array(size);
    this.scratchView = new DataView(this.scratch.buffer);
  }
}
