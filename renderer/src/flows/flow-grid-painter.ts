/**
 * Paints the flows grid's rows on its canvas while it scrolls (ui/use-scaled-scroll.ts), as the
 * DOM rows look (grid.css): stripes, selection, the active cell, cell fonts and colours, right-
 * aligned numbers, the rank badge, "…" where a cell is too narrow. Texts come from the same
 * column definitions as the DOM cells (columns.ts), so both show the same thing.
 */
import { COLUMNS, rankClass } from './columns.js';
import type { GridRow } from './row-store.js';
import { columnPlacement, drawRank, paintRowBacks, type ColumnBox, type GridCanvas, type GridTheme } from '../ui/grid-canvas.js';

export interface FlowPaintInput {
  theme: GridTheme;
  /** Boxes of COLUMNS, in order (from the header). */
  cols: readonly ColumnBox[];
  /** The viewport (the scroller's client box), CSS px. */
  width: number;
  height: number;
  /** Virtual offset of the viewport's top (rows × rowH) and the horizontal scroll. */
  offset: number;
  scrollLeft: number;
  rowH: number;
  count: number;
  rowAt(index: number): GridRow | null;
  selectedSlot: number;
  activeColumn: number;
  focused: boolean;
  zone: string;
  sensorName(id: string): string;
}

/** Cell padding (grid.css `.cell`: 0 8px). */
const PAD = 8;

export function paintFlowRows(g: GridCanvas, p: FlowPaintInput): void {
  const { theme, rowH } = p;
  const ctx = g.begin(p.width, p.height, theme.bg);
  const mono = `12px ${theme.mono}`;
  const monoSmall = `11px ${theme.mono}`;
  const sans = `13px ${theme.sans}`;
  const lineH = rowH - 1;
  const { rows, ys } = paintRowBacks(g, theme, p, rowH, (row) => row.slot === p.selectedSlot);
  // column by column: one font and colour for a whole column (the context's setters are not free)
  for (let ci = 0; ci < COLUMNS.length; ci++) {
    const c = COLUMNS[ci];
    const box = p.cols[ci];
    const at = columnPlacement(box, p.scrollLeft, p.width, c.numeric, PAD);
    if (!at) continue;
    const { x0, x, align } = at;
    const font = c.id === 'proto' ? monoSmall : c.mono ? mono : sans;
    const base = g.baseline(font, lineH);
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      const y = ys[k];
      const text = c.text(row, p.zone, p.sensorName);
      if (c.id === 'rank') {
        drawRank(g, theme, text, rankClass(row.rank), x0 + box.w - PAD, y + lineH / 2);
        continue;
      }
      if (!text) continue;
      const muted = c.id === 'time' || c.id === 'proto' || (c.id === 'communityId' && row.slot !== p.selectedSlot);
      g.cellText(c.id === 'proto' ? text.toUpperCase() : text, font, muted ? theme.textMuted : theme.text, x, y + base, box.w - 2 * PAD, align);
    }
  }
  // the keyboard's active cell (grid.css: inset 1px focus ring while the grid has focus)
  const k = p.focused ? rows.findIndex((r) => r.slot === p.selectedSlot) : -1;
  const box = p.cols[p.activeColumn];
  if (k >= 0 && box) {
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 1;
    ctx.strokeRect(box.x - p.scrollLeft + 0.5, ys[k] + 0.5, box.w - 1, lineH - 1);
  }
}
