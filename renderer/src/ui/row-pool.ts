/**
 * Recycled row keys for the virtualized grids. Keyed by row identity, a scroll that jumps past
 * the rendered window unmounts every row element and mounts new ones (about 600 cells a frame,
 * the main cost of scrolling a million rows). Keyed by a pool slot instead, React keeps the
 * elements and only rewrites their text: a row still in view keeps its slot (so a small scroll
 * touches only the rows that came in), a row that left frees its slot for one that came in.
 *
 * Children are rendered in slot order, not view order, so React never moves DOM nodes either
 * (rows are absolutely positioned; aria-rowindex carries the order for assistive technology).
 */
export class RowPool {
  /** View index → slot, for the rows rendered last time. */
  private slots = new Map<number, number>();

  /**
   * Slots for the rows in view now (view indices, any order): a returning index keeps its slot,
   * new ones take the lowest freed slots. Returns [viewIndex, slot] pairs sorted by slot.
   */
  assign(indices: readonly number[]): [index: number, slot: number][] {
    const next = new Map<number, number>();
    const used = new Set<number>();
    for (const i of indices) {
      const s = this.slots.get(i);
      if (s !== undefined && !used.has(s)) {
        next.set(i, s);
        used.add(s);
      }
    }
    let free = 0;
    for (const i of indices) {
      if (next.has(i)) continue;
      while (used.has(free)) free++;
      next.set(i, free);
      used.add(free);
    }
    this.slots = next;
    return [...next].sort((a, b) => a[1] - b[1]);
  }

  /** Forgets every assignment (new data: no row should keep an old slot by accident). */
  reset(): void {
    this.slots.clear();
  }
}

/**
 * Rows are placed relative to a block of BLOCK_ROWS rows so their own offsets stay small and
 * stable while scrolling (unchanged props ⇒ memoized rows skip rendering); only the wrapper's
 * transform moves each frame. Small numbers also keep transforms exact: a 40 M px offset is not
 * representable to the pixel in the compositor's float32.
 */
export const BLOCK_ROWS = 4096;

export function blockBase(firstIndex: number, rowHeight: number): number {
  return Math.floor(Math.max(0, firstIndex) / BLOCK_ROWS) * BLOCK_ROWS * rowHeight;
}

/**
 * The rows to render for a viewport over fixed-height rows: [start, end) in view indices, with
 * `overscan` extra rows each side. O(1) whatever the row count; a general virtualizer that keeps
 * one measurement per row rebuilt them all whenever the count changed (every frame under live
 * load, a million of them in the big grids).
 */
export function visibleRange(offset: number, viewportH: number, rowHeight: number, count: number, overscan: number): { start: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, offset) / rowHeight);
  const last = Math.ceil((Math.max(0, offset) + Math.max(0, viewportH)) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, Math.max(start, last + overscan));
  return { start, end };
}
