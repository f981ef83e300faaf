/**
 * The most recently delivered bytes of one direction, kept so a retransmission that overlaps data
 * already delivered can be checked byte for byte (a conflicting retransmission is how IDS evasion
 * and broken middleboxes show up). Grows geometrically up to its cap, charged to the budget; a
 * refused growth just keeps less history (those overlaps are then counted as unchecked).
 */
import type { ReassemblyBudget } from './memory-budget.js';

const MIN_SIZE = 4096;

export class HistoryRing {
  private buf = new Uint8Array(0);
  /** Stream offset just past the last byte appended. */
  private end = 0;
  /** Stream offset of the oldest byte still held (end − start ≤ buf.length). */
  private start = 0;
  /** Bytes compared by the last compare() call. */
  checked = 0;

  constructor(
    private readonly cap: number,
    private readonly budget: ReassemblyBudget,
  ) {}

  /** Records data delivered at stream offset abs (normally abs === end; otherwise history restarts). */
  append(abs: number, data: Uint8Array): void {
    if (this.cap <= 0) return;
    if (abs !== this.end) {
      // after a gap the older bytes no longer adjoin: forget them
      this.start = abs;
      this.end = abs;
    }
    const n = data.length;
    const want = Math.min(this.cap, this.end + n - this.start);
    if (want > this.buf.length) this.grow(want);
    const size = this.buf.length;
    if (size === 0) {
      this.end += n;
      this.start = this.end;
      return;
    }
    const src = n > size ? data.subarray(n - size) : data;
    const pos = (this.end + n - src.length) % size;
    const first = Math.min(src.length, size - pos);
    this.buf.set(first === src.length ? src : src.subarray(0, first), pos);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.end += n;
    if (this.end - this.start > size) this.start = this.end - size;
  }

  /**
   * Compares data[off, off + len), which claims stream offset abs, with the history. Returns the
   * number of differing bytes; `checked` says how many bytes were still in history to compare.
   */
  compare(abs: number, data: Uint8Array, off: number, len: number): number {
    const lo = Math.max(abs, this.start);
    const hi = Math.min(abs + len, this.end);
    if (hi <= lo) {
      this.checked = 0;
      return 0;
    }
    this.checked = hi - lo;
    const buf = this.buf;
    const size = buf.length;
    let differ = 0;
    let p = lo % size;
    let q = off + (lo - abs);
    // per-byte loop, but only over overlapping (retransmitted) bytes, which are rare
    for (let x = lo; x < hi; x++) {
      if (buf[p] !== data[q]) differ++;
      q++;
      if (++p === size) p = 0;
    }
    return differ;
  }

  /** Frees the buffer and its budget. */
  dispose(): void {
    this.budget.release(this.buf.length);
    this.buf = new Uint8Array(0);
    this.start = this.end;
  }

  get size(): number {
    return this.buf.length;
  }

  private grow(want: number): void {
    let size = Math.max(MIN_SIZE, this.buf.length);
    while (size < want) size *= 2;
    if (size > this.cap) size = this.cap;
    if (size <= this.buf.length || !this.budget.tryReserve(size - this.buf.length)) return;
    const old = this.buf;
    const next = new Uint8Array(size);
    // re-lay the valid window at its new positions (offset mod size)
    for (let x = old.length > 0 ? this.start : this.end; x < this.end; ) {
      const from = x % old.length;
      const to = x % size;
      const n = Math.min(this.end - x, old.length - from, size - to);
      next.set(old.subarray(from, from + n), to);
      x += n;
    }
    this.buf = next;
  }
}
