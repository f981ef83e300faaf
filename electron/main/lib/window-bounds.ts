/**
 * Restoring the window where it was, unless that place no longer exists (a monitor was unplugged):
 * saved bounds are used only when at least 100×100 px of the window's title area lands on a
 * display's work area; otherwise the window opens at the default size, centered by Electron.
 */
import type { WindowBounds } from './settings.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_SIZE = { width: 1400, height: 900 } as const;

function overlap(a: Rect, b: Rect): { w: number; h: number } {
  return {
    w: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    h: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/** The bounds to open with: the saved ones if visible enough, else null (default size, centered). */
export function restorableBounds(saved: WindowBounds | null, workAreas: readonly Rect[]): WindowBounds | null {
  if (!saved) return null;
  // the top strip (title bar) must be reachable to move the window
  const titleStrip: Rect = { x: saved.x, y: saved.y, width: saved.width, height: Math.min(saved.height, 100) };
  for (const area of workAreas) {
    const o = overlap(titleStrip, area);
    if (o.w >= Math.min(100, saved.width) && o.h >= Math.min(50, titleStrip.height)) {
      return { ...saved, width: Math.min(saved.width, Math.max(area.width, 320)), height: Math.min(saved.height, Math.max(area.height, 240)) };
    }
  }
  return null;
}
