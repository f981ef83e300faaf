/**
 * Browsers cap an element's height (Firefox near 17.9 million px, others at 33.5 million), so a
 * million 24 px rows cannot be one tall spacer. Above MAX_PHYSICAL_PX the spacer stays at that
 * height and scroll positions are mapped linearly between the real ("virtual") offset and the
 * element's ("physical") scrollTop, end to end. Rows are still drawn 1:1 inside the viewport.
 */
export const MAX_PHYSICAL_PX = 8_000_000;

export interface ScrollScale {
  /** Height of the scrolling spacer. */
  physicalHeight: number;
  /** Virtual px per physical px (1 when no scaling is needed). */
  factor: number;
  toVirtual(physical: number): number;
  toPhysical(virtual: number): number;
}

export function scrollScale(virtualHeight: number, viewportHeight: number, maxPhysical = MAX_PHYSICAL_PX): ScrollScale {
  const physicalHeight = Math.min(virtualHeight, maxPhysical);
  const vRange = Math.max(0, virtualHeight - viewportHeight);
  const pRange = Math.max(0, physicalHeight - viewportHeight);
  const factor = pRange > 0 && vRange > pRange ? vRange / pRange : 1;
  return {
    physicalHeight,
    factor,
    toVirtual: (p) => p * factor,
    toPhysical: (v) => v / factor,
  };
}

/**
 * The virtual offset that brings row `index` fully into view with the least movement, or null
 * when it is already visible.
 */
export function offsetToReveal(index: number, rowHeight: number, offset: number, viewportHeight: number): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < offset) return top;
  if (bottom > offset + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}
