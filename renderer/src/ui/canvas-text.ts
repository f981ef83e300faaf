/**
 * Text that fits a cell, for the canvas grid painters: the cell's text, or its longest prefix
 * that fits followed by "…" (what CSS `text-overflow: ellipsis` shows). Measuring text is the
 * costly part of drawing it, so widths are cached per font, and a monospace font (every grid
 * column but one) is measured once: a string's width is its length times one character's.
 */

/** The subset of CanvasRenderingContext2D this needs (tests pass a fake). */
export interface TextMeasurer {
  font: string;
  measureText(text: string): { width: number };
}

const ELLIPSIS = '…';
/** Cached widths per font; past this the cache starts over (a scroll through a million rows sees new strings every frame). */
const MAX_CACHED = 20_000;

interface FontMetrics {
  /** Width of one character when the font is monospace (ASCII checked), else 0. */
  monoWidth: number;
  ellipsisWidth: number;
  widths: Map<string, number>;
}

export class TextFitter {
  private readonly fonts = new Map<string, FontMetrics>();

  constructor(private readonly ctx: TextMeasurer) {}

  private metrics(font: string): FontMetrics {
    let m = this.fonts.get(font);
    if (!m) {
      this.ctx.font = font;
      const narrow = this.ctx.measureText('i'.repeat(10)).width;
      const wide = this.ctx.measureText('W'.repeat(10)).width;
      const digits = this.ctx.measureText('0123456789').width;
      const mono = Math.abs(narrow - wide) < 0.01 && Math.abs(narrow - digits) < 0.01;
      m = { monoWidth: mono ? narrow / 10 : 0, ellipsisWidth: this.ctx.measureText(ELLIPSIS).width, widths: new Map() };
      this.fonts.set(font, m);
    }
    return m;
  }

  /** Width of text in font (the caller need not have set ctx.font). */
  width(text: string, font: string): number {
    const m = this.metrics(font);
    if (m.monoWidth > 0 && isAscii(text)) return text.length * m.monoWidth;
    let w = m.widths.get(text);
    if (w === undefined) {
      this.ctx.font = font;
      w = this.ctx.measureText(text).width;
      if (m.widths.size >= MAX_CACHED) m.widths.clear();
      m.widths.set(text, w);
    }
    return w;
  }

  /** text, or its longest prefix that fits in maxWidth with "…" after it ("" when not even that fits). */
  fit(text: string, font: string, maxWidth: number): string {
    if (maxWidth <= 0 || text === '') return '';
    if (this.width(text, font) <= maxWidth) return text;
    const m = this.metrics(font);
    const room = maxWidth - m.ellipsisWidth;
    if (room <= 0) return '';
    if (m.monoWidth > 0 && isAscii(text)) return text.slice(0, Math.floor(room / m.monoWidth)) + ELLIPSIS;
    // binary search on the prefix length (widths grow with length)
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.width(text.slice(0, mid), font) <= room) lo = mid;
      else hi = mid - 1;
    }
    return text.slice(0, lo) + ELLIPSIS;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return false;
  return true;
}
