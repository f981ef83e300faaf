/**
 * The Real-Time detail pane's state (zustand): whether it is open, and the detail of the
 * selected row, loaded when the selection changes. While a row keeps growing under live load the
 * detail is reloaded at most every RELOAD_MS (each load is a back-end search plus a few archive
 * reads: never once per frame). A load that finishes after a newer one started is dropped.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AggregateRow } from '../aggregate-store.js';
import { loadRowDetail, type RowDetail, type RowDetailDeps } from './row-detail.js';

export const RELOAD_MS = 2000;

export interface RowDetailState {
  open: boolean;
  /** The aggregate row index the detail is for (or being loaded for), -1 for none. */
  row: number;
  loading: boolean;
  detail: RowDetail | null;
  error: string | null;
  setOpen(open: boolean): void;
  /**
   * Shows a row: loads it when it is another row than the one shown, or when it grew (more flows
   * or events) and the last load is older than RELOAD_MS, or when forced (Refresh).
   */
  show(row: AggregateRow | null, opts?: { force?: boolean }): Promise<void>;
}

export type RowDetailStore = StoreApi<RowDetailState>;

export interface RowDetailStoreDeps extends RowDetailDeps {
  now(): number;
  /** The row's current state (it keeps growing under live load), or null once it is gone. */
  rowNow(index: number): AggregateRow | null;
}

export function createRowDetailStore(deps: RowDetailStoreDeps): RowDetailStore {
  let seq = 0;
  let loadedAt = -Infinity;
  let shape = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  return createStore<RowDetailState>()((set, get) => ({
    open: false,
    row: -1,
    loading: false,
    detail: null,
    error: null,
    setOpen: (open) => set({ open }),
    async show(row, opts = {}) {
      if (!row) {
        if (timer) clearTimeout(timer);
        timer = null;
        seq++;
        shape = '';
        set({ row: -1, detail: null, loading: false, error: null });
        return;
      }
      const nextShape = `${row.flows}/${row.events}/${row.lastTs}`;
      const same = row.index === get().row;
      if (same && !opts.force && nextShape === shape) return;
      const wait = loadedAt + RELOAD_MS - deps.now();
      if (same && !opts.force && wait > 0) {
        // grew too soon after the last load: once more when the interval is over
        timer ??= setTimeout(() => {
          timer = null;
          if (get().row === row.index) void get().show(deps.rowNow(row.index) ?? row);
        }, wait);
        return;
      }
      if (timer) clearTimeout(timer);
      timer = null;
      const mine = ++seq;
      shape = nextShape;
      loadedAt = deps.now();
      // another row: the old detail must not show under the new selection
      set(same ? { loading: true } : { row: row.index, loading: true, detail: null, error: null });
      try {
        const detail = await loadRowDetail(row, deps);
        if (mine === seq) set({ detail, loading: false, error: null });
      } catch (e) {
        if (mine === seq) set({ loading: false, error: (e as Error)?.message ?? String(e) });
      }
    },
  }));
}
