/**
 * The physical scrollTop of a scrolling element, as React state. Updated synchronously from the
 * scroll event (flushSync) so the rows for a new position are drawn in the same frame the
 * browser scrolled, not a frame later with a blank strip.
 */
import { useLayoutEffect, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';

export function useScrollTop(ref: RefObject<HTMLElement | null>): number {
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = (): void => flushSync(() => setTop(el.scrollTop));
    el.addEventListener('scroll', onScroll, { passive: true });
    setTop(el.scrollTop);
    return () => el.removeEventListener('scroll', onScroll);
  }, [ref]);
  return top;
}
