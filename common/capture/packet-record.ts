/**
 * The single reusable PacketRecordView the parsers fill in for every record. `data` is created
 * lazily: a consumer that only needs the header fields (counting, indexing by offset) never pays
 * for a per-packet Uint8Array view.
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
  private src: Uint8Array = EMPTY;
  /** Index in `src` of the first captured byte. */
  private srcStart = 0;
  private view: Uint8Array | null = null;

  /** Points `data` at src[start, start + capLen) (capLen must be set first). */
  setSource(src: Uint8Array, start: number): void {
    this.src = src;
    this.srcStart = start;
    this.view = null;
  }

  /** Drops the reference to the caller's chunk once the record has been delivered. */
  release(): void {
    this.src = EMPTY;
    this.srcStart = 0;
    this.view = null;
  }

  get data(): Uint8Array {
    if (this.view === null) this.view = this.src.subarray(this.srcStart, this.srcStart + this.capLen);
    return this.view;
  }

  set data(v: Uint8Array) {
    // Consumers may substitute a view (e.g. in tests); keep the interface's mutable shape.
    this.view = v;
  }
}
