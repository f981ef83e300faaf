/**
 * Out-of-order data of one direction waiting for the hole before it to fill: non-overlapping
 * [start, end) ranges in stream offsets, sorted by start, each owning a copy of its bytes. The
 * caller trims new data against what is held (first received wins) before inserting, so ranges
 * never overlap.
 */

export interface HeldSegment {
  start: number;
  end: number;
  data: Uint8Array;
}

/** Bookkeeping charged per held segment on top of its bytes (object, array slot, view). */
export const HELD_OVERHEAD = 64;

export class HeldSegments {
  private items: HeldSegment[] = [];
  /** Index of the first live item: removal from the front is O(1), compacted now and then. */
  private head = 0;
  /** Bytes of data held. */
  bytes = 0;

  get count(): number {
    return this.items.length - this.head;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  /** Memory charged for what is held. */
  get cost(): number {
    return this.bytes + this.count * HELD_OVERHEAD;
  }

  first(): HeldSegment | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** The i-th held segment (0 = first), or undefined. */
  at(i: number): HeldSegment | undefined {
    const k = this.head + i;
    return k < this.items.length ? this.items[k] : undefined;
  }

  /** Removes and returns the first segment. */
  shift(): HeldSegment | undefined {
    if (this.head >= this.items.length) return undefined;
    const s = this.items[this.head];
    this.items[this.head] = EMPTY_SEGMENT;
    this.head++;
    this.bytes -= s.end - s.start;
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return s;
  }

  /** Index (0 = first) of the first segment whose end is after offset x; count when none. */
  indexEndingAfter(x: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].end <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** Inserts a segment that overlaps none held. */
  insert(seg: HeldSegment): void {
    const items = this.items;
    // the common out-of-order case appends after the last one
    if (this.head >= items.length || items[items.length - 1].start < seg.start) items.push(seg);
    else items.splice(this.head + this.indexEndingAfter(seg.start), 0, seg);
    this.bytes += seg.end - seg.start;
  }

  /** Moves every segment by delta (when a late SYN re-bases a direction that delivered nothing). */
  rebase(delta: number): void {
    for (let i = this.head; i < this.items.length; i++) {
      this.items[i].start += delta;
      this.items[i].end += delta;
    }
  }
}

const EMPTY_SEGMENT: HeldSegment = { start: 0, end: 0, data: new Uint8Array(0) };
