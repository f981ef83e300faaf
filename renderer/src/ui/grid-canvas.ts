/**
 * What the canvas grid painters share: the canvas sized for the device pixel ratio, the theme
 * read from the page's CSS custom properties (so light/dark and any token change follow), the
 * column boxes read from the grid's own header (the one source of the column widths: the CSS
 * grid template), text baselines placed as CSS places them, and the rank badge.
 *
 * While a grid scrolls its rows are drawn here instead of as DOM rows (ui/use-scaled-scroll.ts):
 * laying out ~600 cells of new text a frame was the cost that kept scrolling under 30 fps.
 */
import { TextFitter } from './canvas-text.js';

export interface GridTheme {
  bg: string;
  stripe: string;
  select: string;
  selectStrong: string;
  border: string;
  text: string;
  textMuted: string;
  textStrong: string;
  accent: string;
  focus: string;
  hover: string;
  rankNeg: string;
  rankZero: string;
  rankPos: string;
  rankHigh: string;
  /** Font family lists (CSS). */
  sans: string;
  mono: string;
}

/** A column's box in the grid body's coordinates (before horizontal scrolling), CSS px. */
export interface ColumnBox {
  x: number;
  w: number;
}

export function readTheme(el: Element): GridTheme {
  const cs = getComputedStyle(el);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--bg', '#0b0f15'),
    stripe: v('--bg-stripe', '#0e131b'),
    select: v('--bg-select', '#17324f'),
    selectStrong: v('--bg-select-strong', '#1d4068'),
    border: v('--border', '#232d3b'),
    text: v('--text', '#d5dce6'),
    textMuted: v('--text-muted', '#7f8ea3'),
    textStrong: v('--text-strong', '#f1f5f9'),
    accent: v('--accent', '#2f6fdb'),
    focus: v('--focus', '#60a5fa'),
    hover: v('--bg-hover', '#1a2330'),
    rankNeg: v('--rank-neg', '#60a5fa'),
    rankZero: v('--rank-zero', '#7f8ea3'),
    rankPos: v('--rank-pos', '#fb923c'),
    rankHigh: v('--rank-high', '#f43f5e'),
    sans: v('--font', 'system-ui, sans-serif'),
    mono: v('--mono', 'monospace'),
  };
}

/** The header cells' boxes (the body's columns share the header's grid template). */
export function readColumns(header: HTMLElement): ColumnBox[] {
  const out: ColumnBox[] = [];
  for (const c of Array.from(header.children)) {
    if (c instanceof HTMLElement) out.push({ x: c.offsetLeft, w: c.offsetWidth });
  }
  return out;
}

/**
 * What a painter reads from the page: the theme, the column boxes, the rows' width and where
 * the scroller sits in the grid. Read afresh when a canvas phase starts and whenever the
 * viewport's size or the theme changed since (a live flood can keep one phase going for long).
 */
export class CanvasLayout {
  theme: GridTheme | null = null;
  cols: ColumnBox[] = [];
  bodyWidth = 0;
  private key = '';

  refresh(grid: HTMLElement, header: HTMLElement, scroller: HTMLElement, canvas: HTMLCanvasElement, force: boolean): GridTheme {
    const key = `${scroller.clientWidth}x${scroller.clientHeight}@${scroller.offsetTop}/${document.documentElement.getAttribute('data-theme') ?? ''}`;
    if (force || !this.theme || key !== this.key) {
      this.key = key;
      this.theme = readTheme(grid);
      this.cols = readColumns(header);
      this.bodyWidth = scroller.firstElementChild instanceof HTMLElement ? scroller.firstElementChild.offsetWidth : scroller.clientWidth;
      canvas.style.top = `${scroller.offsetTop}px`;
    }
    return this.theme;
  }
}

/** A canvas over a grid's scroll viewport, redrawn whole each frame it is shown. */
export class GridCanvas {
  readonly ctx: CanvasRenderingContext2D;
  readonly text: TextFitter;
  private readonly baselines = new Map<string, number>();
  /** The context's font, fill and alignment as last set here: the setters parse their strings each time, so unchanged ones are skipped. */
  private font = '';
  private fill = '';
  private align: CanvasTextAlign | '' = '';

  constructor(readonly canvas: HTMLCanvasElement) {
    // opaque: text gets the same antialiasing as the page's, and compositing is cheaper
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    const self = this;
    this.text = new TextFitter({
      get font() {
        return self.font;
      },
      set font(f: string) {
        self.setFont(f);
      },
      measureText: (t) => ctx.measureText(t),
    });
  }

  setFont(font: string): void {
    if (font !== this.font) {
      this.ctx.font = font;
      this.font = font;
    }
  }

  setFill(color: string): void {
    if (color !== this.fill) {
      this.ctx.fillStyle = color;
      this.fill = color;
    }
  }

  setAlign(align: CanvasTextAlign): void {
    if (align !== this.align) {
      this.ctx.textAlign = align;
      this.align = align;
    }
  }

  /** Sizes the backing store to cssW × cssH CSS px at the device pixel ratio; returns the context, cleared to bg. */
  begin(cssW: number, cssH: number, bg: string): CanvasRenderingContext2D {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(cssW * dpr));
    const h = Math.max(1, Math.round(cssH * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      // resizing resets the context's state
      this.canvas.width = w;
      this.canvas.height = h;
      this.canvas.style.width = `${cssW}px`;
      this.canvas.style.height = `${cssH}px`;
      this.font = this.fill = this.align = '';
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1;
    this.setFill(bg);
    ctx.fillRect(0, 0, cssW, cssH);
    return ctx;
  }

  /**
   * The alphabetic baseline of one line of `font` in a line box of lineH px, as CSS places it
   * (half the leading above the font's ascent + descent, then the ascent).
   */
  baseline(font: string, lineH: number): number {
    const key = `${lineH}|${font}`;
    let b = this.baselines.get(key);
    if (b === undefined) {
      this.setFont(font);
      const m = this.ctx.measureText('Mg');
      const asc = m.fontBoundingBoxAscent;
      const desc = m.fontBoundingBoxDescent;
      b = (lineH - (asc + desc)) / 2 + asc;
      this.baselines.set(key, b);
    }
    return b;
  }

  /** Text in font and colour, left-aligned at x or right-aligned to x, cut with "…" to maxW. */
  cellText(text: string, font: string, color: string, x: number, baselineY: number, maxW: number, align: 'left' | 'right'): number {
    const shown = this.text.fit(text, font, maxW);
    if (!shown) return 0;
    this.setFont(font);
    this.setFill(color);
    this.setAlign(align);
    this.ctx.fillText(shown, x, baselineY);
    return this.text.width(shown, font);
  }
}

export type RankClass = 'none' | 'neg' | 'zero' | 'pos' | 'high';

/**
 * The rank badge (grid.css `.rank`): bold mono text centred in a box at least 30 px wide with
 * 5 px padding and a 16 px line, right-aligned to `right`; tinted by sign like the CSS classes.
 */
export function drawRank(g: GridCanvas, theme: GridTheme, text: string, cls: RankClass, right: number, midY: number): void {
  const ctx = g.ctx;
  const font = `${cls === 'none' ? 400 : 600} 12px ${theme.mono}`;
  const w = Math.max(30, g.text.width(text, font) + 10);
  const x = right - w;
  const top = Math.round(midY - 8);
  const color = cls === 'none' ? theme.textMuted : cls === 'neg' ? theme.rankNeg : cls === 'zero' ? theme.rankZero : cls === 'pos' ? theme.rankPos : '#fff';
  if (cls === 'neg' || cls === 'pos' || cls === 'high') {
    ctx.globalAlpha = cls === 'neg' ? 0.14 : cls === 'pos' ? 0.16 : 1;
    g.setFill(cls === 'neg' ? theme.rankNeg : cls === 'pos' ? theme.rankPos : theme.rankHigh);
    ctx.beginPath();
    ctx.roundRect(x, top, w, 16, 3);
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  g.setFont(font);
  g.setFill(color);
  g.setAlign('center');
  ctx.fillText(text, x + w / 2, top + g.baseline(font, 16));
}

/** A row's background as the grid's CSS draws it (stripe, selection, stronger when the grid has focus) and its bottom border. */
/** What both grid painters know of the viewport. */
export interface PaintViewport<T> {
  width: number;
  height: number;
  /** Virtual offset of the viewport's top (rows × rowH). */
  offset: number;
  scrollLeft: number;
  count: number;
  focused: boolean;
  rowAt(index: number): T | null;
}

/**
 * The rows in view and their y, each row's background (stripe, selection, bottom border)
 * already drawn: the painters then draw column by column over them.
 */
export function paintRowBacks<T>(g: GridCanvas, theme: GridTheme, p: PaintViewport<T>, rowH: number, isSelected: (row: T) => boolean): { rows: T[]; ys: number[] } {
  const first = Math.max(0, Math.floor(p.offset / rowH));
  const last = Math.min(p.count, Math.ceil((p.offset + p.height) / rowH));
  const rows: T[] = [];
  const ys: number[] = [];
  for (let i = first; i < last; i++) {
    const row = p.rowAt(i);
    if (!row) continue;
    const y = i * rowH - p.offset;
    rows.push(row);
    ys.push(y);
    drawRowBack(g, theme, y, p.width, rowH, i % 2 === 1, isSelected(row), p.focused);
  }
  return { rows, ys };
}

/** Where a column's text goes in the viewport (null when the column is scrolled out of it). */
export function columnPlacement(box: ColumnBox | undefined, scrollLeft: number, width: number, numeric: boolean, pad: number): { x0: number; x: number; align: 'left' | 'right' } | null {
  if (!box) return null;
  const x0 = box.x - scrollLeft;
  if (x0 >= width || x0 + box.w <= 0) return null;
  return { x0, x: numeric ? x0 + box.w - pad : x0 + pad, align: numeric ? 'right' : 'left' };
}

export function drawRowBack(g: GridCanvas, theme: GridTheme, y: number, width: number, rowH: number, odd: boolean, selected: boolean, focused: boolean): void {
  const ctx = g.ctx;
  const bg = selected ? (focused ? theme.selectStrong : theme.select) : odd ? theme.stripe : null;
  if (bg) {
    g.setFill(bg);
    ctx.fillRect(0, y, width, rowH);
  }
  // border-bottom: color-mix(in srgb, var(--border) 55%, transparent)
  ctx.globalAlpha = 0.55;
  g.setFill(theme.border);
  ctx.fillRect(0, y + rowH - 1, width, 1);
  ctx.globalAlpha = 1;
}
