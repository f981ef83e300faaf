/**
 * Per-flow packet offset lists kept in one paged byte arena. Each flow owns a chain of small
 * blocks holding zigzag-varint deltas between consecutive offsets, so memory is about 2–3 bytes
 * per packet with no per-packet (or per-flow) JS objects.
 */

const BLOCK_SIZE = 32; // 4 bytes link to the next block + 28 bytes payload
const PAYLOAD = BLOCK_SIZE - 4;
const PAGE_BLOCKS = 32768; // 1 MiB pages
const PAGE_BYTES = BLOCK_SIZE * PAGE_BLOCKS;

export class OffsetArena {
  private pages: Uint8Array[] = [];
  private pageViews: DataView[] = [];
  private nextBlock = 0;

  /** Allocates an empty block and returns its number. */
  allocBlock(): number {
    const b = this.nextBlock++;
    const page = Math.floor(b / PAGE_BLOCKS);
    if (page === this.pages.length) {
      const bytes = new Uint8Array(PAGE_BYTES);
      this.pages.push(bytes);
      this.pageViews.push(new DataView(bytes.buffer));
    }
    this.pageViews[page].setUint32((b % PAGE_BLOCKS) * BLOCK_SIZE, 0xffffffff, true);
    return b;
  }

  get bytesAllocated(): number {
    return this.pages.length * PAGE_BYTES;
  }

  setNext(block: number, next: number): void {
    this.pageViews[Math.floor(block / PAGE_BLOCKS)].setUint32((block % PAGE_BLOCKS) * BLOCK_SIZE, next, true);
  }

  next(block: number): number {
    return this.pageViews[Math.floor(block / PAGE_BLOCKS)].getUint32((block % PAGE_BLOCKS) * BLOCK_SIZE, true);
  }

  /** Writes byte v at payload position pos of block. */
  put(block: number, pos: number, v: number): void {
    this.pages[Math.floor(block / PAGE_BLOCKS)][(block % PAGE_BLOCKS) * BLOCK_SIZE + 4 + pos] = v;
  }

  get(block: number, pos: number): number {
    return this.pages[Math.floor(block / PAGE_BLOCKS)][(block % PAGE_BLOCKS) * BLOCK_SIZE + 4 + pos];
  }

  static readonly payload = PAYLOAD;
}

/**
 * Cursor state for one list lives in the caller's typed arrays (head, tail, tailPos, count,
 * lastOffset); these helpers implement append and iteration over it.
 */
export interface OffsetListState {
  head: Int32Array;
  tail: Int32Array;
  tailPos: Uint8Array;
  last: Float64Array;
  unsorted: Uint8Array;
}

export function appendOffset(arena: OffsetArena, s: OffsetListState, i: number, offset: number): void {
  let delta = offset - s.last[i];
  if (s.head[i] < 0) {
    const b = arena.allocBlock();
    s.head[i] = b;
    s.tail[i] = b;
    s.tailPos[i] = 0;
    delta = offset;
  } else if (delta < 0) {
    s.unsorted[i] = 1;
  }
  s.last[i] = offset;
  // zigzag so out-of-order offsets (late IP fragments) still encode
  let z = delta >= 0 ? delta * 2 : -delta * 2 - 1;
  let block = s.tail[i];
  let pos = s.tailPos[i];
  for (;;) {
    if (pos === PAYLOAD) {
      const nb = arena.allocBlock();
      arena.setNext(block, nb);
      block = nb;
      pos = 0;
    }
    if (z < 0x80) {
      arena.put(block, pos++, z);
      break;
    }
    arena.put(block, pos++, (z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  s.tail[i] = block;
  s.tailPos[i] = pos;
}

/** Decodes the whole list of flow i into absolute offsets (count known by the caller). */
export function readOffsets(arena: OffsetArena, s: OffsetListState, i: number, count: number, out: Float64Array): void {
  let block = s.head[i];
  let pos = 0;
  let prev = 0;
  for (let n = 0; n < count; n++) {
    let z = 0;
    let mul = 1;
    for (;;) {
      if (pos === PAYLOAD) {
        block = arena.next(block);
        pos = 0;
      }
      const byte = arena.get(block, pos++);
      z += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 0x80;
    }
    const delta = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    prev = n === 0 ? delta : prev + delta;
    out[n] = prev;
  }
}
