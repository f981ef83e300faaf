/**
 * The scroller of a virtual grid of fixed-height rows: its viewport height (tracked with a
 * ResizeObserver), the scroll scale that keeps a million rows under the browser's element height
 * limit (flows/scroll-scale.ts), the physical scrollTop as state (useScrollTop), and wheel
 * handling for a scaled scroller: one notch would otherwise move `factor` times too far, so the
 * wheel scrolls 1:1 in virtual pixels.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { scrollScale, type ScrollScale } from '../flows/scroll-scale.js';
import { useScrollTop } from './use-scroll-top.js';

export interface ScaledScroll {
  viewportH: number;
  scale: ScrollScale;
  /** The latest scale, for event handlers registered once. */
  scaleRef: RefObject<ScrollScale>;
  scrollTop: number;
}

export function useScaledScroll(scrollRef: RefObject<HTMLElement | null>, rowCount: number, rowHeight: number): ScaledScroll {
  const [viewportH, setViewportH] = useState(0);
  const scale = useMemo(() => scrollScale(rowCount * rowHeight, viewportH), [rowCount, rowHeight, viewportH]);
  const scaleRef = useRef(scale);
  scaleRef.current = scale;
  const scrollTop = useScrollTop(scrollRef);

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

  return { viewportH, scale, scaleRef, scrollTop };
}
