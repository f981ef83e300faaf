/**
 * The single reusable PacketRecordView the parsers fill in for every record. `data` is created
 * lazily: a consumer that only needs the header fields (counting, indexing by offset) or reads
 * through buffer/bufferOffset never pays for a per-packet Uint8Array view.
 */
import type { PacketRecordView } from './capture-types.js';

const EMPTY = new Uint8Array(0);

export class PacketRecord implements PacketRecordView {
  index = -1;
  recordOffset = 0;
  recordLength = 0;
  interfaceId = 0;
  linkType = 0;
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  origLen = 0;
  dataOffset = 0;
  blockType = 0;

  /** Buffer holding the current record (the pushed chunk or the parser's scratch buffer). */
  buffer: Uint8Array = EMPTY;
  /** Index in `buffer` of the first captured byte. */
  bufferOffset = 0;
  private view: Uint8Array | null = null;

  /** Points `data` at buffer[start, start + capLen) (capLen must be set first). */
  setSource(buffer: Uint8Array, start: number): void {
    // Usually the same chunk as the previous record: skipping the store skips its write barrier.
    if (this.buffer !== buffer) this.buffer = buffer;
    this.bufferOffset = start;
    if (this.view !== null) this.view = null;
  }

  /** Drops the reference to the caller's chunk once the record has been delivered. */
  release(): void {
    this.buffer = EMPTY;
    this.bufferOffset = 0;
    this.view = null;
  }

  get data(): Uint8Array {
    if (this.view === null) this.view = this.buffer.subarray(this.bufferOffset, this.bufferOffset + this.capLen);
    return this.view;
  }

  set data(v: Uint8Array) {
    // The interface declares `data` mutable; keep buffer/bufferOffset consistent if a consumer sets it.
    this.view = v;
    this.buffer = v;
    this.bufferOffset = 0;
  }
}
