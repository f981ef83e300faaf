/**
 * The scroller of a virtual grid of fixed-height rows: its viewport height (tracked with a
 * ResizeObserver), the scroll scale that keeps a million rows under the browser's element height
 * limit (flows/scroll-scale.ts), the physical scrollTop as state, and wheel handling for a
 * scaled scroller: one notch would otherwise move `factor` times too far, so the wheel scrolls
 * 1:1 in virtual pixels.
 *
 * Canvas while scrolling: given a `paint` function, a scroll does not re-render the DOM rows.
 * The grid element gets `data-canvas` (CSS hides the rows and shows the grid's canvas) and the
 * rows at the new position are painted on the canvas in the same task; 150 ms after the last
 * scroll the DOM rows are rendered at the final position and shown again. The DOM rows stay
 * what the analyst interacts with at rest (selection, menus, tooltips, assistive technology);
 * a pointer or key on the grid while it paints ends the canvas phase first (`exitCanvas`).
 * Laying out ~600 cells of new text per frame kept DOM scrolling under 30 fps here.
 *
 * Canvas while the data churns: a data change (the store's version) within DATA_CANVAS_MS of
 * the previous one (a live flood: the stores publish every 100 ms) is painted on the canvas too,
 * and the DOM rows keep their last rendering (the grid reuses its row elements: React skips
 * them) until the data has been quiet for DATA_IDLE_MS (and the scroller for CANVAS_IDLE_MS).
 * A lone update (a quiet stream) renders the DOM rows as before. On a loaded machine publishes
 * come late; with shorter windows the grid flipped between canvas and DOM, and every flip to
 * the DOM was a full render, layout and paint of the rows. At 5,000 events/s, re-rendering, laying out and
 * painting every visible row ten times a second made most of the long tasks.
 * Without `paint`, every scroll re-renders synchronously (flushSync) so the rows for a new
 * position are drawn in the frame that scrolled.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';
import { scrollScale, type ScrollScale } from '../flows/scroll-scale.js';

/** Quiet time after the last scroll or data change painted on the canvas before the DOM rows come back. */
export const CANVAS_IDLE_MS = 150;
/** Data changes closer than this to the previous one are painted on the canvas. */
export const DATA_CANVAS_MS = 1000;
/** Quiet time after the last data change painted on the canvas before the DOM rows come back. */
export const DATA_IDLE_MS = 1000;

export interface CanvasPainting {
  /** The grid element that gets `data-canvas` while the canvas shows. */
  gridRef: RefObject<HTMLElement | null>;
  /** Paints the rows at this physical scrollTop / scrollLeft on the grid's canvas; `entering`: the first paint of a canvas phase (read the layout and theme afresh). */
  paint(physicalTop: number, scrollLeft: number, entering: boolean): void;
}

export interface ScaledScroll {
  viewportH: number;
  scale: ScrollScale;
  /** The latest scale, for event handlers registered once. */
  scaleRef: RefObject<ScrollScale>;
  /** The physical scrollTop the DOM rows were rendered for (frozen while the canvas paints). */
  scrollTop: number;
  /** Whether the canvas shows the rows now. */
  canvasActive(): boolean;
  /** Ends the canvas phase now (the DOM rows render at the current position before this returns). */
  exitCanvas(): void;
  /** The next scroll keeps the DOM rows (keyboard moves: the selected row stays a DOM row). */
  keepDomForNextScroll(): void;
  /**
   * Called while rendering with the store's data version: true when this render must keep the
   * DOM rows as they are (reuse the previous row elements) because the canvas shows the rows.
   */
  canvasForData(version: number): boolean;
  /** After each render (a layout effect): starts a canvas phase the render asked for, or paints the canvas again while one lasts. */
  afterRender(): void;
}

export function useScaledScroll(scrollRef: RefObject<HTMLElement | null>, rowCount: number, rowHeight: number, painting?: CanvasPainting): ScaledScroll {
  const [viewportH, setViewportH] = useState(0);
  const scale = useMemo(() => scrollScale(rowCount * rowHeight, viewportH), [rowCount, rowHeight, viewportH]);
  const scaleRef = useRef(scale);
  scaleRef.current = scale;
  const [top, setTop] = useState(0);
  // ending a canvas phase must re-render even when scrollTop did not change (the data did)
  const [, setRenders] = useState(0);
  const paintRef = useRef(painting);
  paintRef.current = painting;
  const mode = useRef({ active: false, timer: 0 as ReturnType<typeof setTimeout> | 0, keepDom: false, enter: false, quietAt: 0 });
  const data = useRef({ version: Number.NaN, at: -Infinity });

  const exitCanvas = useCallback(() => {
    const m = mode.current;
    if (!m.active) return;
    if (m.timer) clearTimeout(m.timer);
    m.timer = 0;
    m.quietAt = 0;
    m.active = false;
    const el = scrollRef.current;
    // render the rows at the current position before they show again
    flushSync(() => {
      if (el) setTop(el.scrollTop);
      setRenders((n) => n + 1);
    });
    paintRef.current?.gridRef.current?.removeAttribute('data-canvas');
  }, [scrollRef]);

  /** Keeps the canvas phase until at least `ms` from now (a timer that re-arms while the deadline moves). */
  const extendPhase = useCallback(
    (ms: number) => {
      const m = mode.current;
      m.quietAt = Math.max(m.quietAt, performance.now() + ms);
      if (m.timer) return;
      const check = (): void => {
        const wait = m.quietAt - performance.now();
        if (wait > 1) m.timer = setTimeout(check, wait);
        else {
          m.timer = 0;
          exitCanvas();
        }
      };
      m.timer = setTimeout(check, ms);
    },
    [exitCanvas],
  );

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = (): void => {
      const m = mode.current;
      const p = paintRef.current;
      if (!p || m.keepDom) {
        m.keepDom = false;
        if (m.active) exitCanvas();
        else flushSync(() => setTop(el.scrollTop));
        return;
      }
      const entering = !m.active;
      if (entering) {
        m.active = true;
        p.gridRef.current?.setAttribute('data-canvas', '');
      }
      p.paint(el.scrollTop, el.scrollLeft, entering);
      extendPhase(CANVAS_IDLE_MS);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    setTop(el.scrollTop);
    return () => {
      el.removeEventListener('scroll', onScroll);
      const m = mode.current;
      if (m.timer) clearTimeout(m.timer);
      m.timer = 0;
      m.active = false;
      paintRef.current?.gridRef.current?.removeAttribute('data-canvas');
    };
  }, [scrollRef, exitCanvas, extendPhase]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewportH(el.clientHeight));
    ro.observe(el);
    setViewportH(el.clientHeight);
    return () => ro.disconnect();
  }, [scrollRef]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    let carry = 0;
    const onWheel = (e: WheelEvent) => {
      const k = scaleRef.current.factor;
      if (k <= 1.0001 || e.ctrlKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) return;
      e.preventDefault();
      const unit = e.deltaMode === 1 ? rowHeight : e.deltaMode === 2 ? el.clientHeight : 1;
      carry += (e.deltaY * unit) / k;
      const whole = Math.trunc(carry);
      carry -= whole;
      if (whole) el.scrollTop += whole;
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [scrollRef, rowHeight]);

  const canvasActive = useCallback(() => mode.current.active, []);
  const keepDomForNextScroll = useCallback(() => {
    mode.current.keepDom = true;
  }, []);
  const canvasForData = (version: number): boolean => {
    const m = mode.current;
    const d = data.current;
    if (version === d.version || !paintRef.current) return m.active;
    const now = performance.now();
    const churning = now - d.at < DATA_CANVAS_MS;
    d.version = version;
    d.at = now;
    if (!churning && !m.active) return false;
    m.enter = true;
    return true;
  };
  const afterRender = useCallback(() => {
    const m = mode.current;
    const el = scrollRef.current;
    const p = paintRef.current;
    if (!el || !p || !(m.active || m.enter)) return;
    const entering = !m.active;
    if (m.enter) {
      m.enter = false;
      m.active = true;
      p.gridRef.current?.setAttribute('data-canvas', '');
      extendPhase(DATA_IDLE_MS);
    }
    p.paint(el.scrollTop, el.scrollLeft, entering);
  }, [scrollRef, extendPhase]);

  return { viewportH, scale, scaleRef, scrollTop: top, canvasActive, exitCanvas, keepDomForNextScroll, canvasForData, afterRender };
}

/** The element under a pointer event, after ending a canvas phase (the DOM rows are back under the pointer). */
export function targetAfterCanvas(e: { target: EventTarget | null; clientX: number; clientY: number }, canvasActive: () => boolean, exitCanvas: () => void): EventTarget | null {
  if (!canvasActive()) return e.target;
  exitCanvas();
  return document.elementFromPoint(e.clientX, e.clientY);
}
