/**
 * The Real-Time view: aggregated rows (flows and events), newest on top, virtualized like the
 * flows grid (a million rows, scaled scrolling), with the events tied to a row's addresses on a
 * second line, "N servers" cells that open the full list, pause (manual, or automatic when
 * scrolled away from the top) and the "Enable / Disable Flow Events" toggle. While it scrolls,
 * the rows are painted on a canvas (rt-grid-painter.ts, ui/use-scaled-scroll.ts).
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactElement } from 'react';
import { useApp, useRealtime, useServices, useSettings } from '../app/services-context.js';
import { rankClass } from '../flows/columns.js';
import { offsetToReveal } from '../flows/scroll-scale.js';
import { RowPool, blockBase, visibleRange } from '../ui/row-pool.js';
import { targetAfterCanvas, useScaledScroll } from '../ui/use-scaled-scroll.js';
import { CanvasLayout, GridCanvas } from '../ui/grid-canvas.js';
import { paintRtRows } from './rt-grid-painter.js';
import { ContextMenu } from '../menu/ContextMenu.js';
import type { MenuItem } from '../menu/flow-menu.js';
import { runMenuAction } from '../menu/run-menu-action.js';
import { PayloadPanel } from '../payload/PayloadPanel.js';
import { ClassifyDialog } from '../ranking/ClassifyDialog.js';
import { useRanking } from '../app/services-context.js';
import type { AggregateRow } from './aggregate-store.js';
import { buildAggregateMenu } from './realtime-menu.js';
import { RT_COLUMNS, subline, type RtColumnId } from './realtime-columns.js';
import { RowDetailPane } from './detail/RowDetailPane.js';
import { useStore } from 'zustand';

export const RT_ROW_HEIGHT = 40;

interface OpenMenu {
  x: number;
  y: number;
  items: MenuItem[];
  label: string;
}

function hitOf(target: EventTarget | null): { row: number; column: RtColumnId | null; list: boolean } | null {
  if (!(target instanceof Element)) return null;
  const rowEl = target.closest<HTMLElement>('[data-agg]');
  if (!rowEl) return null;
  const cell = target.closest<HTMLElement>('[data-col]');
  return { row: Number(rowEl.dataset.agg), column: (cell?.dataset.col as RtColumnId | undefined) ?? null, list: !!target.closest('.rt-multi') };
}

interface RowProps {
  row: AggregateRow;
  index: number;
  top: number;
  selected: boolean;
  zone: string;
  sensorName: (id: string) => string;
  version: number;
}

function RtRowImpl({ row, index, top, selected, zone, sensorName }: RowProps) {
  const sub = subline(row, zone);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-agg={row.index}
      className={`grid-row rt-row rt-${row.rowKind}${selected ? ' is-selected' : ''}${index % 2 ? ' is-odd' : ''}`}
      style={{ top: `${top}px` }}
    >
      <div className="rt-cells">
        {RT_COLUMNS.map((c) => {
          const text = c.text(row, zone, sensorName);
          const many = c.list ? row[c.list].length > 1 : false;
          return (
            <div key={c.id} role="gridcell" data-col={c.id} className={`cell mono col-${c.id}${c.numeric ? ' num' : ''}`} title={many ? 'Click for the full list' : text}>
              {c.id === 'rank' ? (
                <span className={`rank rank-${rankClass(row.rank)}`}>{text}</span>
              ) : many ? (
                <button type="button" className="rt-multi link-button" tabIndex={-1}>
                  {text}
                </button>
              ) : (
                text
              )}
            </div>
          );
        })}
      </div>
      <div className="rt-sub" title={sub}>
        {row.rowKind === 'event' ? <span className={`rt-kind rt-kind-${row.kind.replace(/[^a-z0-9-]/gi, '')}`}>{row.kind}</span> : null}
        {sub}
      </div>
    </div>
  );
}
/** Same row (by aggregate index), place, selection, zone and data version: nothing to redraw. */
export function sameRtRow(a: RowProps, b: RowProps): boolean {
  return a.row.index === b.row.index && a.version === b.version && a.index === b.index && a.top === b.top && a.selected === b.selected && a.zone === b.zone && a.sensorName === b.sensorName;
}
const RtRow = memo(RtRowImpl, sameRtRow);

export function RealtimeView({ active }: { active: boolean }) {
  const services = useServices();
  const rt = services.realtime;
  const agg = rt.getState().agg;
  const version = useRealtime((s) => s.version);
  const count = useRealtime((s) => s.visibleCount);
  const pendingNew = useRealtime((s) => s.pendingNew);
  const total = useRealtime((s) => s.total);
  const pause = useRealtime((s) => s.pause);
  const showFlows = useRealtime((s) => s.showFlowRows);
  const selected = useRealtime((s) => s.selected);
  const popup = useRealtime((s) => s.popup);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  const classify = useRanking((s) => s.classify);
  useApp((s) => s.info);
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  const detailOpen = useStore(services.rowDetail, (s) => s.open);

  const scrollRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const headerRef = useRef<HTMLDivElement>(null);
  const poolRef = useRef<RowPool | null>(null);
  poolRef.current ??= new RowPool();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const paintState = useRef<{ gc: GridCanvas | null; layout: CanvasLayout }>({ gc: null, layout: new CanvasLayout() });
  const paint = (physicalTop: number, scrollLeft: number, entering: boolean): void => {
    const el = scrollRef.current;
    const canvas = canvasRef.current;
    const grid = gridRef.current;
    const header = headerRef.current;
    if (!el || !canvas || !grid || !header) return;
    const ps = paintState.current;
    ps.gc ??= new GridCanvas(canvas);
    const theme = ps.layout.refresh(grid, header, el, canvas, entering);
    paintRtRows(ps.gc, {
      theme,
      cols: ps.layout.cols,
      width: el.clientWidth,
      height: el.clientHeight,
      bodyWidth: ps.layout.bodyWidth,
      offset: scaleRef.current.toVirtual(physicalTop),
      scrollLeft,
      rowH: RT_ROW_HEIGHT,
      count,
      rowAt: (i) => agg.rowAt(i),
      selected,
      focused: document.activeElement === grid,
      zone,
      sensorName,
    });
  };
  const { viewportH, scale, scaleRef, scrollTop, canvasActive, exitCanvas, keepDomForNextScroll, canvasForData, afterRender } = useScaledScroll(scrollRef, count, RT_ROW_HEIGHT, { gridRef, paint });
  // a canvas phase this render asked for, or new data / selection while the canvas shows: paint it
  useLayoutEffect(afterRender);
  // while the canvas shows the rows, the DOM rows keep their last rendering (same elements: React skips them)
  const frozen = canvasForData(version);
  const frozenWindow = useRef<ReactElement | null>(null);

  // virtual offset (rows × RT_ROW_HEIGHT) of the physical scrollTop (see flows/scroll-scale.ts)
  const vOffset = scale.toVirtual(scrollTop);
  const { start, end } = visibleRange(vOffset, viewportH, RT_ROW_HEIGHT, count, 3);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (el) rt.getState().setScrolledAway(el.scrollTop > RT_ROW_HEIGHT / 2);
  }, [rt]);

  const openMenuAt = useCallback(
    (r: number, column: RtColumnId | null, x: number, y: number) => {
      const row = agg.row(r);
      if (!row) return;
      const lastId = row.flowIds[row.flowIds.length - 1];
      const flows = services.flows.getState().rows;
      const latest = lastId ? flows.row(flows.find(row.sensor, lastId)) : null;
      const items = buildAggregateMenu(row, column, latest, (t) => services.bridge.pcapUrl(t));
      if (items.length) setMenu({ x, y, items, label: 'Actions for this row' });
    },
    [agg, services],
  );

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const hit = hitOf(targetAfterCanvas(e, canvasActive, exitCanvas));
    if (!hit) return;
    rt.getState().select(hit.row);
    services.rowDetail.getState().setOpen(true);
    gridRef.current?.focus({ preventScroll: true });
    const col = RT_COLUMNS.find((c) => c.id === hit.column);
    if (hit.list && col?.list) rt.getState().openList({ row: hit.row, field: col.list, x: e.clientX, y: e.clientY });
  };

  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    const hit = hitOf(targetAfterCanvas(e, canvasActive, exitCanvas));
    if (!hit) return;
    e.preventDefault();
    rt.getState().select(hit.row);
    openMenuAt(hit.row, hit.column, e.clientX, e.clientY);
  };

  const selectedIndex = useMemo(() => {
    if (selected < 0) return -1;
    // the selection is at most a screen away in practice: search the rendered range first
    for (let i = start; i < end; i++) if (agg.rowIndexAt(i) === selected) return i;
    return -1;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected, version, count, start, end]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    // the selection is looked up among the rendered rows: render them for the current position
    exitCanvas();
    const st = rt.getState();
    let next = -1;
    if (e.key === 'ArrowDown') next = Math.min(count - 1, selectedIndex + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, selectedIndex - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = count - 1;
    else if (e.key === 'PageDown') next = Math.min(count - 1, Math.max(0, selectedIndex) + Math.max(1, Math.floor(viewportH / RT_ROW_HEIGHT) - 1));
    else if (e.key === 'PageUp') next = Math.max(0, selectedIndex - Math.max(1, Math.floor(viewportH / RT_ROW_HEIGHT) - 1));
    else if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && selected >= 0) {
      e.preventDefault();
      openMenuAt(selected, null, 120, 160);
      return;
    } else if (e.key === 'Escape') {
      // the list popup first, then the detail pane
      if (st.popup) st.openList(null);
      else services.rowDetail.getState().setOpen(false);
      return;
    } else if (e.key === 'Enter' && selected >= 0) {
      e.preventDefault();
      services.rowDetail.getState().setOpen(true);
      return;
    }
    if (next < 0 || count === 0) return;
    e.preventDefault();
    st.select(agg.rowIndexAt(next));
    const el = scrollRef.current;
    const target = el ? offsetToReveal(next, RT_ROW_HEIGHT, scale.toVirtual(el.scrollTop), el.clientHeight) : null;
    if (el && target !== null) {
      const p = scale.toPhysical(target);
      const top = target <= scale.toVirtual(el.scrollTop) ? Math.floor(p) : Math.ceil(p);
      if (top !== el.scrollTop) {
        // the keyboard's selection stays a DOM row
        keepDomForNextScroll();
        el.scrollTop = top;
      }
    }
  };

  const pOffset = scrollTop;
  const base = blockBase(start, RT_ROW_HEIGHT);
  const indices: number[] = [];
  for (let i = start; i < end; i++) indices.push(i);

  return (
    <div className="rt-view">
      <div className="livebar rt-bar" role="toolbar" aria-label="Real-time controls">
        <button
          type="button"
          className={`btn btn-small${pause !== 'live' ? ' is-on' : ''}`}
          aria-pressed={pause !== 'live'}
          onClick={() => rt.getState().setPaused(pause === 'live' ? 'manual' : 'live')}
        >
          {pause === 'live' ? 'Pause' : 'Resume'}
        </button>
        <span className="rt-status" aria-live="polite">
          {pause === 'live' ? 'Live' : pause === 'auto' ? 'Paused (scrolled away from the top)' : 'Paused'}
          {pendingNew > 0 ? ` · ${pendingNew.toLocaleString('en-US')} new while paused` : ''}
        </span>
        <span className="muted">
          {count.toLocaleString("en-US")} of {total.toLocaleString("en-US")} rows shown
        </span>
        <span className="topbar-spacer" />
        <button type="button" className="btn btn-small" aria-pressed={showFlows} onClick={() => rt.getState().setShowFlowRows(!showFlows)}>
          {showFlows ? 'Disable Flow Events' : 'Enable Flow Events'}
        </button>
      </div>
      <div className="rt-body">
        <div ref={gridRef} className="grid rt-grid" role="grid" aria-label="Real-time events" aria-rowcount={count + 1} aria-colcount={RT_COLUMNS.length} tabIndex={0} onKeyDown={onKeyDown}>
          <div className="grid-header-clip" role="rowgroup">
            <div ref={headerRef} className="grid-header" role="row" aria-rowindex={1}>
              {RT_COLUMNS.map((c) => (
                <div key={c.id} role="columnheader" className={`cell col-${c.id}${c.numeric ? ' num' : ''}`}>
                  {c.label}
                </div>
              ))}
            </div>
          </div>
          <div ref={scrollRef} className="grid-scroll" role="rowgroup" onScroll={onScroll} onClick={onClick} onContextMenu={onContextMenu}>
            <div className="grid-body" style={{ height: `${scale.physicalHeight}px` }}>
              {/* one wrapper moves per frame; rows keep small, stable offsets inside it (see ui/row-pool.ts) */}
              {(frozenWindow.current = frozen && frozenWindow.current ? frozenWindow.current : (
                <div className="grid-window" style={{ transform: `translateY(${pOffset - vOffset + base}px)` }}>
                  {poolRef.current.assign(indices).map(([index, key]) => {
                    const row = agg.rowAt(index);
                    if (!row) return null;
                    return <RtRow key={key} row={row} index={index} top={index * RT_ROW_HEIGHT - base} selected={row.index === selected} zone={zone} sensorName={sensorName} version={version} />;
                  })}
                </div>
              ))}
            </div>
            {count === 0 ? (
              <div className="grid-empty">
                <div className="grid-empty-title">{total ? 'Only flow rows without events so far' : 'Waiting for live events'}</div>
                <div className="muted">
                  {total
                    ? 'Flow rows without related events are hidden: use "Enable Flow Events" to show them.'
                    : 'Events and flows appear here as sensors report them and captures are imported.'}
                </div>
              </div>
            ) : null}
          </div>
          {/* the rows while scrolling (shown by the grid's data-canvas); the DOM rows are what assistive technology reads */}
          <canvas ref={canvasRef} className="grid-canvas" aria-hidden="true" />
        </div>
        {detailOpen ? <RowDetailPane /> : null}
      </div>
      {popup && active ? <ListPopupView /> : null}
      {menu && active ? (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          items={menu.items}
          label={menu.label}
          onPick={(item) => {
            setMenu(null);
            void runMenuAction(services, item.action);
          }}
          onClose={() => {
            setMenu(null);
            gridRef.current?.focus({ preventScroll: true });
          }}
        />
      ) : null}
      {classify && active ? <ClassifyDialog key={`${classify.field}:${classify.value}`} target={classify} /> : null}
      {active ? <PayloadPanel /> : null}
    </div>
  );
}

const LIST_LABELS = { servers: 'Servers', clients: 'Clients', serverPorts: 'Server ports', clientPorts: 'Client ports' } as const;

/** The full list behind an "N servers" cell. */
function ListPopupView() {
  const services = useServices();
  const popup = useRealtime((s) => s.popup);
  useRealtime((s) => s.version);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const onDown = (e: globalThis.MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) services.realtime.getState().openList(null);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [services]);
  if (!popup) return null;
  const values = services.realtime.getState().agg.list(popup.row, popup.field);
  const close = () => services.realtime.getState().openList(null);
  return (
    <div
      ref={ref}
      className="rt-popup"
      role="dialog"
      aria-label={`${LIST_LABELS[popup.field]} (${values.length})`}
      tabIndex={-1}
      style={{ left: `${Math.min(popup.x, window.innerWidth - 280)}px`, top: `${Math.min(popup.y, window.innerHeight - 320)}px` }}
      onKeyDown={(e) => e.key === 'Escape' && close()}
    >
      <div className="rt-popup-head">
        <strong>
          {LIST_LABELS[popup.field]} ({values.length.toLocaleString('en-US')})
        </strong>
        <button type="button" className="link-button" onClick={close} aria-label="Close">
          ✕
        </button>
      </div>
      <ul className="rt-popup-list mono">
        {values.map((v) => (
          <li key={v}>{v}</li>
        ))}
      </ul>
    </div>
  );
}
