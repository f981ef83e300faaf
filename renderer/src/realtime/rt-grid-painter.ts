/**
 * Paints the Real-Time grid's two-line rows on its canvas while it scrolls
 * (ui/use-scaled-scroll.ts), as the DOM rows look (grid.css, realtime.css): the cells line
 * (rank badge, "N servers" as a link), then the row's kind badge and its subline (the event, the
 * tied events). Texts come from the same functions as the DOM rows (realtime-columns.ts).
 */
import { rankClass } from '../flows/columns.js';
import { columnPlacement, drawRank, paintRowBacks, type ColumnBox, type GridCanvas, type GridTheme } from '../ui/grid-canvas.js';
import type { AggregateRow } from './aggregate-store.js';
import { RT_COLUMNS, subline } from './realtime-columns.js';

export interface RtPaintInput {
  theme: GridTheme;
  /** Boxes of RT_COLUMNS, in order (from the header). */
  cols: readonly ColumnBox[];
  /** The viewport (the scroller's client box) and the rows' full width, CSS px. */
  width: number;
  height: number;
  bodyWidth: number;
  offset: number;
  scrollLeft: number;
  rowH: number;
  count: number;
  rowAt(index: number): AggregateRow | null;
  /** Aggregate index of the selected row, or -1. */
  selected: number;
  focused: boolean;
  zone: string;
  sensorName(id: string): string;
}

const PAD = 8;
/** realtime.css: the cells line is 22 px, the subline 16 px of text in a 17 px box below it. */
const CELLS_H = 22;
const SUB_LINE_H = 16;

export function paintRtRows(g: GridCanvas, p: RtPaintInput): void {
  const { theme, rowH } = p;
  const ctx = g.begin(p.width, p.height, theme.bg);
  const mono = `12px ${theme.mono}`;
  const monoSmall = `11px ${theme.mono}`;
  const subFont = `11px ${theme.sans}`;
  const kindFont = `600 10px ${theme.sans}`;
  const serverCol = RT_COLUMNS.findIndex((c) => c.id === 'server');
  const subX = (p.cols[serverCol]?.x ?? 0) + PAD;
  const { rows, ys } = paintRowBacks(g, theme, p, rowH, (row) => row.index === p.selected);
  // column by column: one font and colour for most of a column (the context's setters are not free)
  for (let ci = 0; ci < RT_COLUMNS.length; ci++) {
    const c = RT_COLUMNS[ci];
    const box = p.cols[ci];
    const at = columnPlacement(box, p.scrollLeft, p.width, c.numeric, PAD);
    if (!at) continue;
    const { x0, x, align } = at;
    const font = c.id === 'proto' ? monoSmall : mono;
    const base = g.baseline(font, CELLS_H);
    const plain = c.id === 'time' || c.id === 'proto' ? theme.textMuted : theme.text;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      const y = ys[k];
      const text = c.text(row, p.zone, p.sensorName);
      if (c.id === 'rank') {
        drawRank(g, theme, text, rankClass(row.rank), x0 + box.w - PAD, y + CELLS_H / 2);
        continue;
      }
      if (!text) continue;
      const many = c.list ? row[c.list].length > 1 : false;
      const w = g.cellText(c.id === 'proto' ? text.toUpperCase() : text, font, many ? theme.accent : plain, x, y + base, box.w - 2 * PAD, align);
      if (many && w > 0) {
        // the link button's dotted underline
        g.setFill(theme.accent);
        const ux = c.numeric ? x - w : x;
        for (let d = 0; d < w; d += 2) ctx.fillRect(ux + d, y + base + 2, 1, 1);
      }
    }
  }
  // the subline: kind badge (event rows), then what the row is and the events tied to it
  const right = p.bodyWidth - PAD - p.scrollLeft;
  const kindBase = g.baseline(kindFont, SUB_LINE_H);
  const subBase = g.baseline(subFont, SUB_LINE_H);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    const subY = ys[k] + CELLS_H;
    let sx = subX - p.scrollLeft;
    if (row.rowKind === 'event') {
      const kind = row.kind.toUpperCase();
      const kw = g.text.width(kind, kindFont) + 10;
      g.setFill(theme.hover);
      ctx.beginPath();
      ctx.roundRect(sx, subY, Math.min(kw, Math.max(0, right - sx)), SUB_LINE_H, 3);
      ctx.fill();
      g.cellText(kind, kindFont, theme.textStrong, sx + 5, subY + kindBase, Math.max(0, right - sx - 10), 'left');
      sx += kw + 6;
    }
    const text = subline(row, p.zone);
    if (text) g.cellText(text, subFont, row.rowKind === 'event' ? theme.text : theme.textMuted, sx, subY + subBase, right - sx, 'left');
  }
}
