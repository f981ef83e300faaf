/**
 * The virtualized flows grid: only the rows in view exist in the DOM (fixed row height, so the
 * rows in view are computed in O(1), see ui/row-pool.ts), their data read from the RowStore by
 * view index; a million rows scroll like a hundred.
 * Keyboard: arrows, PageUp/PageDown, Home/End move the selection, Left/Right the active cell,
 * Enter opens the detail pane, the context-menu key or Shift+F10 opens the menu.
 * Scrolling away from the top pauses live updates; coming back resumes them.
 * While it scrolls, the rows are painted on a canvas (flow-grid-painter.ts, ui/use-scaled-scroll.ts).
 */
import { useCallback, useEffect, useLayoutEffect, useRef, type KeyboardEvent, type MouseEvent, type ReactElement } from 'react';
import { useApp, useFlows, useServices, useSettings } from '../app/services-context.js';
import { COLUMNS, type ColumnId } from './columns.js';
import { gridKeyAction } from './grid-keys.js';
import { GridRowView, cellId } from './GridRowView.js';
import { offsetToReveal } from './scroll-scale.js';
import { RowPool, blockBase, visibleRange } from '../ui/row-pool.js';
import { targetAfterCanvas, useScaledScroll } from '../ui/use-scaled-scroll.js';
import { CanvasLayout, GridCanvas } from '../ui/grid-canvas.js';
import { paintFlowRows } from './flow-grid-painter.js';

export const ROW_HEIGHT = 24;


export interface MenuRequest {
  slot: number;
  column: ColumnId | null;
  x: number;
  y: number;
}

function columnOf(target: EventTarget | null): { slot: number; column: ColumnId | null } | null {
  if (!(target instanceof Element)) return null;
  const rowEl = target.closest<HTMLElement>('[data-slot]');
  if (!rowEl) return null;
  const cellEl = target.closest<HTMLElement>('[data-col]');
  return { slot: Number(rowEl.dataset.slot), column: (cellEl?.dataset.col as ColumnId | undefined) ?? null };
}

export function FlowGrid({ onMenu }: { onMenu: (req: MenuRequest) => void }) {
  const { flows } = useServices();
  const rows = flows.getState().rows;
  const version = useFlows((s) => s.version);
  const count = useFlows((s) => s.visibleCount);
  const selectedSlot = useFlows((s) => s.selectedSlot);
  const activeColumn = useFlows((s) => s.activeColumn);
  const loading = useFlows((s) => s.status.kind === 'loading');
  const searchDone = useFlows((s) => s.status.kind === 'done' ? s.status.atMs : 0);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  useApp((s) => s.info); // sensor names come from info: re-render when it arrives

  const focusRef = useRef<HTMLDivElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const headerRef = useRef<HTMLDivElement>(null);
  const poolRef = useRef<RowPool | null>(null);
  poolRef.current ??= new RowPool();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const paintState = useRef<{ gc: GridCanvas | null; layout: CanvasLayout }>({ gc: null, layout: new CanvasLayout() });
  const selectedSlotNow = selectedSlot;
  const activeColumnNow = activeColumn;

  const paint = (physicalTop: number, scrollLeft: number, entering: boolean): void => {
    const el = scrollRef.current;
    const canvas = canvasRef.current;
    const grid = focusRef.current;
    const header = headerRef.current;
    if (!el || !canvas || !grid || !header) return;
    const ps = paintState.current;
    ps.gc ??= new GridCanvas(canvas);
    const theme = ps.layout.refresh(grid, header, el, canvas, entering);
    paintFlowRows(ps.gc, {
      theme,
      cols: ps.layout.cols,
      width: el.clientWidth,
      height: el.clientHeight,
      offset: scaleRef.current.toVirtual(physicalTop),
      scrollLeft,
      rowH: ROW_HEIGHT,
      count,
      rowAt: (i) => rows.rowAt(i),
      selectedSlot: selectedSlotNow,
      activeColumn: activeColumnNow,
      focused: document.activeElement === grid,
      zone,
      sensorName,
    });
  };
  const { viewportH, scale, scaleRef, scrollTop, canvasActive, exitCanvas, keepDomForNextScroll, canvasForData, afterRender } = useScaledScroll(scrollRef, count, ROW_HEIGHT, { gridRef: focusRef, paint });
  // a canvas phase this render asked for, or new data / selection while the canvas shows: paint it
  useLayoutEffect(afterRender);
  // while the canvas shows the rows, the DOM rows keep their last rendering (same elements: React skips them)
  const frozen = canvasForData(version);
  const frozenWindow = useRef<ReactElement | null>(null);


  // A new search result starts at the top.
  useEffect(() => {
    if (searchDone && scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [searchDone]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (headerRef.current) headerRef.current.style.transform = `translateX(${-el.scrollLeft}px)`;
    flows.getState().setScrolledAway(el.scrollTop > ROW_HEIGHT / 2);
  }, [flows]);

  /** Scrolls so the row at a view index is fully visible (physical px rounded the safe way). */
  const reveal = useCallback(
    (index: number) => {
      const el = scrollRef.current;
      if (!el) return;
      const s = scaleRef.current;
      const offset = s.toVirtual(el.scrollTop);
      const target = offsetToReveal(index, ROW_HEIGHT, offset, el.clientHeight);
      if (target === null) return;
      const p = s.toPhysical(target);
      const next = target <= offset ? Math.floor(p) : Math.ceil(p);
      if (next === el.scrollTop) return;
      // the keyboard's selection stays a DOM row (focus, aria-activedescendant)
      keepDomForNextScroll();
      el.scrollTop = next;
    },
    [keepDomForNextScroll],
  );

  const selectedIndex = rows.viewIndexOf(selectedSlot);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    exitCanvas();
    const action = gridKeyAction(e.key, e.shiftKey, {
      row: selectedIndex,
      rowCount: count,
      column: activeColumn,
      columnCount: COLUMNS.length,
      pageRows: Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT)),
    });
    if (!action) return;
    e.preventDefault();
    const st = flows.getState();
    switch (action.kind) {
      case 'row':
        st.select(rows.slotAt(action.index));
        reveal(action.index);
        break;
      case 'column':
        st.setActiveColumn(action.index);
        break;
      case 'open':
        st.setDetailOpen(true);
        break;
      case 'close':
        st.setDetailOpen(false);
        break;
      case 'menu': {
        reveal(selectedIndex);
        const cell = document.getElementById(cellId(selectedSlot, activeColumn));
        const r = cell?.getBoundingClientRect();
        onMenu({ slot: selectedSlot, column: COLUMNS[activeColumn]?.id ?? null, x: r ? r.left + 8 : 100, y: r ? r.bottom : 100 });
        break;
      }
    }
  };

  const onMouseDown = (e: MouseEvent<HTMLDivElement>) => {
    const hit = columnOf(targetAfterCanvas(e, canvasActive, exitCanvas));
    if (!hit) return;
    const st = flows.getState();
    st.select(hit.slot);
    const ci = COLUMNS.findIndex((c) => c.id === hit.column);
    if (ci >= 0) st.setActiveColumn(ci);
    focusRef.current?.focus({ preventScroll: true });
  };

  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    const hit = columnOf(targetAfterCanvas(e, canvasActive, exitCanvas));
    if (!hit) return;
    e.preventDefault();
    flows.getState().select(hit.slot);
    onMenu({ slot: hit.slot, column: hit.column, x: e.clientX, y: e.clientY });
  };

  const onDoubleClick = (e: MouseEvent<HTMLDivElement>) => {
    if (columnOf(targetAfterCanvas(e, canvasActive, exitCanvas))) flows.getState().setDetailOpen(true);
  };

  // Offsets are virtual (rows × ROW_HEIGHT); the element's scrollTop is physical (see scroll-scale.ts).
  const vOffset = scale.toVirtual(scrollTop);
  const pOffset = scrollTop;
  // each overscanned row is ~12 more cells to lay out and paint per frame while scrolling fast;
  // rows are drawn in the frame that scrolled (flushSync), so 2 suffice
  const { start, end } = visibleRange(vOffset, viewportH, ROW_HEIGHT, count, 2);
  const base = blockBase(start, ROW_HEIGHT);
  const indices: number[] = [];
  for (let i = start; i < end; i++) indices.push(i);
  const activeId = selectedIndex >= 0 ? cellId(selectedSlot, activeColumn) : undefined;

  return (
    <div
      ref={focusRef}
      className="grid"
      role="grid"
      aria-label="Flows"
      aria-rowcount={count + 1}
      aria-colcount={COLUMNS.length}
      aria-busy={loading}
      aria-activedescendant={activeId}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className="grid-header-clip" role="rowgroup">
        <div ref={headerRef} className="grid-header" role="row" aria-rowindex={1}>
          {COLUMNS.map((c) => (
            <div key={c.id} role="columnheader" className={`cell col-${c.id}${c.numeric ? ' num' : ''}`}>
              {c.label}
            </div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} className="grid-scroll" role="rowgroup" onScroll={onScroll} onMouseDown={onMouseDown} onContextMenu={onContextMenu} onDoubleClick={onDoubleClick}>
        <div className="grid-body" style={{ height: `${scale.physicalHeight}px` }}>
          {/* one wrapper moves per frame; rows keep small, stable offsets inside it (see row-pool.ts) */}
          {(frozenWindow.current = frozen && frozenWindow.current ? frozenWindow.current : (
            <div className="grid-window" style={{ transform: `translateY(${pOffset - vOffset + base}px)` }}>
              {poolRef.current.assign(indices).map(([index, key]) => {
                const row = rows.rowAt(index);
                if (!row) return null;
                const selected = row.slot === selectedSlot;
                return (
                  <GridRowView
                    key={key}
                    row={row}
                    index={index}
                    top={index * ROW_HEIGHT - base}
                    selected={selected}
                    activeColumn={selected ? activeColumn : -1}
                    zone={zone}
                    sensorName={sensorName}
                    version={version}
                  />
                );
              })}
            </div>
          ))}
        </div>
        {count === 0 && !loading ? <EmptyGrid /> : null}
      </div>
      {/* the rows while scrolling (shown by the grid's data-canvas); the DOM rows above are what assistive technology reads */}
      <canvas ref={canvasRef} className="grid-canvas" aria-hidden="true" />
    </div>
  );
}

function EmptyGrid() {
  const status = useFlows((s) => s.status);
  const applied = useFlows((s) => s.applied);
  const filtered = !!applied && Object.keys(applied).some((k) => k !== 'limit');
  if (status.kind === 'error') return null;
  return (
    <div className="grid-empty">
      {filtered ? (
        <>
          <div className="grid-empty-title">No flows match this search</div>
          <div className="muted">Widen the time window, remove a host or port, or clear the search.</div>
        </>
      ) : (
        <>
          <div className="grid-empty-title">No flows yet</div>
          <div className="muted">Import capture files with the Import button or drop them anywhere on this window. Live flows appear here as they arrive.</div>
        </>
      )}
    </div>
  );
}
