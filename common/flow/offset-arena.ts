/**
 * Per-flow packet offset lists kept in one paged byte arena. Each flow owns a chain of small
 * blocks holding zigzag LEB128 deltas between consecutive offsets (the index's own encoding, so
 * writing the index is a copy of the chain), about 2–3 bytes per packet with no per-packet or
 * per-flow JS objects.
 */

export const BLOCK_SIZE = 32; // 4 bytes link to the next block + 28 bytes payload
export const PAYLOAD = BLOCK_SIZE - 4;
export const PAGE_SHIFT = 15; // 32768 blocks = 1 MiB pages
const PAGE_BLOCKS = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_BLOCKS - 1;
const PAGE_BYTES = BLOCK_SIZE * PAGE_BLOCKS;

export class OffsetArena {
  readonly pages: Uint8Array[] = [];
  private readonly views: DataView[] = [];
  private nextBlock = 0;
  /** Changes whenever `pages` gains or loses a page (what a native writer into the pages must see). */
  pagesVersion = 0;

  /** Allocates an empty block and returns its number. */
  allocBlock(): number {
    const b = this.nextBlock++;
    if (b >>> PAGE_SHIFT === this.pages.length) {
      const bytes = new Uint8Array(PAGE_BYTES);
      this.pages.push(bytes);
      this.views.push(new DataView(bytes.buffer));
      this.pagesVersion++;
    }
    return b;
  }

  /** The number the next allocBlock returns. */
  get nextFreeBlock(): number {
    return this.nextBlock;
  }

  /**
   * Takes over blocks a native writer allocated in the pages it has (nextFreeBlock up to
   * `next`, every one in an existing page).
   */
  adoptAllocated(next: number): void {
    if (!(next >= this.nextBlock && next <= this.pages.length << PAGE_SHIFT)) throw new RangeError(`offset arena: ${next} blocks cannot be adopted (${this.nextBlock} used, ${this.pages.length} pages)`);
    this.nextBlock = next;
  }

  /**
   * Forgets every block but keeps up to `keepPages` pages (written over by the next owner: every
   * read is bounded by what was written since). A live capture starts a table per segment, and
   * fresh 1 MiB pages for each (about 22 MB per million packets) were garbage-collector work.
   */
  reset(keepPages: number): void {
    this.nextBlock = 0;
    if (this.pages.length > keepPages) {
      this.pages.length = keepPages;
      this.views.length = keepPages;
      this.pagesVersion++;
    }
  }

  get bytesAllocated(): number {
    return this.pages.length * PAGE_BYTES;
  }

  setNext(block: number, next: number): void {
    this.views[block >>> PAGE_SHIFT].setUint32((block & PAGE_MASK) * BLOCK_SIZE, next, true);
  }

  next(block: number): number {
    return this.views[block >>> PAGE_SHIFT].getUint32((block & PAGE_MASK) * BLOCK_SIZE, true);
  }

  /** The page holding block, and the byte index of the block's payload in it. */
  page(block: number): Uint8Array {
    return this.pages[block >>> PAGE_SHIFT];
  }

  static payloadStart(block: number): number {
    return (block & PAGE_MASK) * BLOCK_SIZE + 4;
  }

  static readonly payload = PAYLOAD;
}

/** Cursor state of every list, held in the caller's columns. */
export interface OffsetListState {
  head: Int32Array;
  tail: Int32Array;
  tailPos: Uint8Array;
  /** Encoded bytes per list. */
  bytes: Uint32Array;
  last: Float64Array;
  unsorted: Uint8Array;
}


/** Copies list i's encoded bytes, in order, to out at position at. */
export function copyList(arena: OffsetArena, s: OffsetListState, i: number, out: Uint8Array, at: number): void {
  let remaining = s.bytes[i];
  let block = s.head[i];
  const pages = arena.pages;
  // a block's payload is small: a byte loop beats a subarray + set per block
  while (remaining > 0) {
    const n = remaining < PAYLOAD ? remaining : PAYLOAD;
    const page = pages[block >>> PAGE_SHIFT];
    const link = (block & PAGE_MASK) * BLOCK_SIZE;
    const start = link + 4;
    for (let j = 0; j < n; j++) out[at + j] = page[start + j];
    at += n;
    remaining -= n;
    // the link to the next block, little-endian (see setNext)
    if (remaining > 0) block = (page[link] | (page[link + 1] << 8) | (page[link + 2] << 16) | (page[link + 3] << 24)) >>> 0;
  }
}

/** Decodes zigzag LEB128 deltas (the arena's and the index's offset encoding). */
export function decodeZigzagOffsets(bytes: Uint8Array, count: number, out: Float64Array): void {
  let pos = 0;
  let prev = 0;
  for (let n = 0; n < count; n++) {
    let z = 0;
    let mul = 1;
    for (;;) {
      if (pos >= bytes.length) throw new RangeError('offset list runs past its end');
      const byte = bytes[pos++];
      z += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 0x80;
    }
    prev += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    out[n] = prev;
  }
}

/** Encodes ascending offsets as zigzag LEB128 deltas. */
export function encodeZigzagOffsets(offsets: Float64Array): Uint8Array {
  const tmp: number[] = [];
  let prev = 0;
  for (let i = 0; i < offsets.length; i++) {
    const d = offsets[i] - prev;
    prev = offsets[i];
    let z = d >= 0 ? d * 2 : -d * 2 - 1;
    while (z >= 0x80) {
      tmp.push((z % 0x80) | 0x80);
      z = Math.floor(z / 0x80);
    }
    tmp.push(z);
  }
  return Uint8Array.from(tmp);
}
