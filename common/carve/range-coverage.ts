/**
 * Whether the byte ranges of several partial responses (HTTP 206) cover a whole representation,
 * and the copy plan that rebuilds it. Only complete pieces count: a piece with a gap covers
 * nothing (its bytes are not all known). Environment-free.
 */
import type { ByteRange } from './carve-sink.js';

export interface RangePiece<K> {
  key: K;
  range: ByteRange;
  /** Bytes actually held (a complete piece holds end - start + 1). */
  size: number;
  complete: boolean;
}

export interface CopyStep<K> {
  key: K;
  /** Offset within the piece's bytes. */
  offset: number;
  length: number;
}

/** Parses "bytes first-last/total" (total may be "*"); null for anything else, including unsatisfied "bytes * /n". */
export function parseContentRange(value: string | null): ByteRange | null {
  if (value === null) return null;
  const m = /^\s*bytes[ =]\s*(\d{1,16})\s*-\s*(\d{1,16})\s*\/\s*(\d{1,16}|\*)\s*$/i.exec(value);
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? null : Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (total !== null && (!Number.isSafeInteger(total) || end >= total)) return null;
  return { start, end, total };
}

/**
 * A plan that rebuilds bytes [0, total) from the pieces, or null when they do not cover it.
 * Greedy: at each position take the piece that reaches furthest, so overlaps are read once.
 */
export function coverPlan<K>(pieces: readonly RangePiece<K>[], total: number): CopyStep<K>[] | null {
  const usable = pieces.filter((p) => p.complete && p.size === p.range.end - p.range.start + 1 && p.range.end < total);
  usable.sort((a, b) => a.range.start - b.range.start || b.range.end - a.range.end);
  const plan: CopyStep<K>[] = [];
  let pos = 0;
  let i = 0;
  // pieces that start at or before pos stay eligible as pos grows: keep the furthest-reaching one
  let best: RangePiece<K> | null = null;
  while (pos < total) {
    for (; i < usable.length && usable[i].range.start <= pos; i++) {
      if (!best || usable[i].range.end > best.range.end) best = usable[i];
    }
    if (!best || best.range.end < pos) return null;
    const length = best.range.end - pos + 1;
    plan.push({ key: best.key, offset: pos - best.range.start, length });
    pos += length;
  }
  return plan;
}
