/**
 * A keyboard-accessible context menu (WAI-ARIA menu): focus moves into it, arrows / Home / End
 * move between items, Enter or Space runs one, Escape or Tab closes it and focus returns to
 * where it was.
 */
import { Fragment, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { MenuItem } from './flow-menu.js';

export interface ContextMenuProps {
  x: number;
  y: number;
  items: MenuItem[];
  label: string;
  onPick(item: MenuItem): void;
  onClose(): void;
}

export function ContextMenu({ x, y, items, label, onPick, onClose }: ContextMenuProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [pos, setPos] = useState({ left: x, top: y });

  // Keep the menu inside the window.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    setPos({
      left: Math.max(4, Math.min(x, window.innerWidth - r.width - 4)),
      top: Math.max(4, y + r.height > window.innerHeight - 4 ? y - r.height : y),
    });
  }, [x, y]);

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>(`[data-index="${active}"]`)?.focus();
  }, [active]);

  // Clicking elsewhere, scrolling or resizing closes it.
  useEffect(() => {
    const down = (e: Event) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', down, true);
    window.addEventListener('resize', onClose);
    window.addEventListener('blur', onClose);
    return () => {
      window.removeEventListener('mousedown', down, true);
      window.removeEventListener('resize', onClose);
      window.removeEventListener('blur', onClose);
    };
  }, [onClose]);

  const onKeyDown = (e: KeyboardEvent) => {
    const last = items.length - 1;
    let next = -1;
    if (e.key === 'ArrowDown') next = active >= last ? 0 : active + 1;
    else if (e.key === 'ArrowUp') next = active <= 0 ? last : active - 1;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = last;
    else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      onClose();
      return;
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onPick(items[active]);
      return;
    } else if (e.key.length === 1) {
      // Type-ahead: the next item starting with that letter.
      const k = e.key.toLowerCase();
      for (let i = 1; i <= items.length; i++) {
        const j = (active + i) % items.length;
        if (items[j].label.toLowerCase().startsWith(k)) {
          next = j;
          break;
        }
      }
    }
    if (next >= 0) {
      e.preventDefault();
      setActive(next);
    }
  };

  return (
    <div ref={ref} className="menu" role="menu" aria-label={label} style={{ left: `${pos.left}px`, top: `${pos.top}px` }} onKeyDown={onKeyDown}>
      {items.map((item, i) => (
        <Fragment key={item.id}>
          {i > 0 && items[i - 1].group !== item.group ? <div className="menu-sep" role="separator" /> : null}
          <button
            type="button"
            role="menuitem"
            data-index={i}
            data-item={item.id}
            tabIndex={i === active ? 0 : -1}
            className="menu-item"
            onMouseEnter={() => setActive(i)}
            onClick={() => onPick(item)}
          >
            {item.label}
          </button>
        </Fragment>
      ))}
    </div>
  );
}
