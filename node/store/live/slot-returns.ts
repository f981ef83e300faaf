/**
 * The ring through which the store writer's thread gives written batch slots back to the capture
 * side (threaded-writer.ts), in place of a `returned` message per 1 MiB batch: each message woke
 * the capture side's event loop (about 700 wake-ups per million packets) only to put an id into a
 * pool that is read when the next batch buffer is taken. Here the thread writes the id into
 * shared memory and the capture side reads the ring when it takes a buffer or needs its counts;
 * a message goes only when the capture side said it waits for a slot (`wantWake`), or when the
 * ring is full (the caller then sends `returned` as before).
 *
 * Layout (Int32Array over one SharedArrayBuffer): [0] slots written (the thread's count), [1] slots
 * read (the capture side's count), [2] wake wanted, then `capacity` slot ids. One writer, one
 * reader; counts only grow (int32 wrap-around is harmless: only their difference and their low
 * bits are used, and the cell count is a power of two).
 */
const WRITTEN = 0;
const READ = 1;
const WAKE = 2;
const HEADER = 3;

/** A ring with room for at least `capacity` slot ids not yet read (a power of two, so the counts may wrap). */
export function createSlotReturns(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) throw new Error(`slot-return ring capacity ${capacity}`);
  let cells = 1;
  while (cells < capacity) cells *= 2;
  return new SharedArrayBuffer(4 * (HEADER + cells));
}

/** The ring's cell count (a power of two), checked: a foreign buffer's size is not trusted. */
function cellsOf(a: Int32Array): number {
  const n = a.length - HEADER;
  if (n < 1 || (n & (n - 1)) !== 0) throw new Error(`not a slot-return ring (${a.length} words)`);
  return n;
}

/** The writer thread's end. */
export class SlotReturnWriter {
  private readonly a: Int32Array;
  private readonly capacity: number;
  private readonly mask: number;

  constructor(mem: SharedArrayBuffer) {
    this.a = new Int32Array(mem);
    this.capacity = cellsOf(this.a);
    this.mask = this.capacity - 1;
  }

  /**
   * Puts a slot id into the ring; false when the ring is full (the caller sends a message instead).
   * Sets `wake` when the reader asked to be told: the caller then sends `returns-ready`.
   */
  put(slot: number): { put: boolean; wake: boolean } {
    const a = this.a;
    const w = Atomics.load(a, WRITTEN);
    if (((w - Atomics.load(a, READ)) | 0) >= this.capacity) return { put: false, wake: false };
    Atomics.store(a, HEADER + (w & this.mask), slot);
    // the id is stored before the count that makes it visible (Atomics are sequentially consistent)
    Atomics.store(a, WRITTEN, (w + 1) | 0);
    return { put: true, wake: Atomics.exchange(a, WAKE, 0) === 1 };
  }
}

/** The capture side's end. */
export class SlotReturnReader {
  private readonly a: Int32Array;
  private readonly mask: number;

  constructor(mem: SharedArrayBuffer) {
    this.a = new Int32Array(mem);
    this.mask = cellsOf(this.a) - 1;
  }

  /** Calls `each` with every slot id returned since the last drain, in order; returns how many. */
  drain(each: (slot: number) => void): number {
    const a = this.a;
    const w = Atomics.load(a, WRITTEN);
    let r = Atomics.load(a, READ);
    let n = 0;
    while (r !== w) {
      each(Atomics.load(a, HEADER + (r & this.mask)));
      r = (r + 1) | 0;
      // the count goes back per id: the writer may reuse the cell as soon as it is read
      Atomics.store(a, READ, r);
      n++;
    }
    return n;
  }

  /** Asks the writer to send `returns-ready` with its next return. */
  wantWake(): void {
    Atomics.store(this.a, WAKE, 1);
  }
}
