/**
 * The flows view's state (zustand): the search, the rows (a RowStore, mutated in place), live
 * merging, pause, selection and exclusions.
 *
 * Rows change far more often than React should render: live events go straight into the
 * RowStore, and the store publishes one `version` bump per animation frame, so the grid re-renders
 * its visible rows at most once a frame however many events arrived.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { FlowRow, FlowSearch } from '../../../common/bridge/messages.js';
import { protoName } from '../format/protocols.js';
import { compileFlowSearch, type FlowPredicate } from './live-filter.js';
import { RowStore, type Exclusion } from './row-store.js';
import { pacedPublisher } from '../ui/publish-pacer.js';
import { EMPTY_FORM, formToSearch, withHost, type FieldErrors, type SearchField, type SearchForm } from './search-form.js';

export type PauseMode = 'live' | 'manual' | 'auto';

export type SearchStatus =
  | { kind: 'idle' }
  | { kind: 'loading'; search: FlowSearch }
  | { kind: 'done'; count: number; truncated: boolean; atMs: number; elapsedMs: number }
  | { kind: 'error'; message: string; hint: string | null; status: number | null };

export interface FlowsState {
  /** Bumps when rows changed (at most once a frame). */
  version: number;
  visibleCount: number;
  pendingNew: number;
  pendingUpdates: number;
  /** Rows dropped by the row cap (they stay searchable in the store). */
  dropped: number;
  pause: PauseMode;
  /** An import finished while paused: the search is re-run on resume. */
  refreshHeld: boolean;
  /** The selected row's slot, or -1. */
  selectedSlot: number;
  /** The active column (keyboard cell focus), an index into COLUMNS. */
  activeColumn: number;
  detailOpen: boolean;
  form: SearchForm;
  fieldErrors: FieldErrors;
  /** The search whose results are shown. */
  applied: FlowSearch | null;
  exclusions: Exclusion[];
  status: SearchStatus;
}

export interface FlowsActions {
  rows: RowStore;
  setField(field: SearchField, value: string): void;
  resetForm(): void;
  /** Validates the form and runs it. Returns false when a field is wrong (see fieldErrors). */
  submit(): Promise<boolean>;
  runSearch(search: FlowSearch): Promise<void>;
  rerun(): Promise<void>;
  /** Live flow events (already validated by the bridge). */
  ingest(flows: readonly { flow: FlowRow; rank: number }[]): void;
  setPaused(mode: PauseMode): void;
  /** The grid tells whether the analyst scrolled away from the top (auto-pause). */
  setScrolledAway(away: boolean): void;
  select(slot: number): void;
  setActiveColumn(index: number): void;
  setDetailOpen(open: boolean): void;
  /** "Filter by this value" (returns a message when it cannot be applied). */
  filterBy(field: 'ip' | 'port' | 'proto', value: string | number): Promise<string | null>;
  exclude(e: Exclusion): void;
  removeExclusion(index: number): void;
  searchIp(ip: string): Promise<void>;
  /** Captures were imported: show their flows (now, or on resume when paused). */
  importFinished(): void;
}

export type FlowsStore = StoreApi<FlowsState & FlowsActions>;

export interface FlowsDeps {
  bridge: Bridge;
  /** The time zone preference (for times typed without a zone). */
  zone(): string;
  now(): number;
  /** Runs fn before the next paint (requestAnimationFrame in the browser). */
  frame(fn: () => void): void;
  /** Live events queued while a search loads, at most (older ones are dropped: the search has them). */
  maxQueued?: number;
  /** Rows kept in memory (the RowStore's cap). */
  maxRows?: number;
  /** Least time between two publications of changed rows (ms; default 0: every frame). */
  livePublishMs?: number;
}

export function createFlowsStore(deps: FlowsDeps): FlowsStore {
  const rows = new RowStore({ maxRows: deps.maxRows });
  let predicate: FlowPredicate = () => true;
  let searchSeq = 0;
  let loading = false;
  const queued: { flow: FlowRow; rank: number }[] = [];
  const maxQueued = deps.maxQueued ?? 100_000;
  /** rows.dropped when last published: the row cap renumbers slots, and the selection follows. */
  let lastDropped = 0;

  const store = createStore<FlowsState & FlowsActions>()((set, get) => {
    /** Publishes the RowStore's counts, once per frame at most (and per livePublishMs). */
    const changed = pacedPublisher(
      () => {
        const shift = rows.dropped - lastDropped;
        lastDropped = rows.dropped;
        set((s) => {
          const moved = s.selectedSlot - shift;
          return {
            version: s.version + 1,
            visibleCount: rows.visibleCount,
            pendingNew: rows.pendingNew,
            pendingUpdates: rows.pendingUpdates,
            dropped: rows.dropped,
            selectedSlot: s.selectedSlot >= 0 && moved >= 0 && moved < rows.size ? moved : -1,
          };
        });
      },
      { frame: deps.frame, minMs: deps.livePublishMs, now: deps.now },
    );

    const apply = (items: readonly { flow: FlowRow; rank: number }[]): void => {
      let any = false;
      for (const { flow, rank } of items) {
        if (!predicate(flow)) continue;
        rows.upsert(flow, rank);
        any = true;
      }
      if (any) changed();
    };

    const runSearch = async (search: FlowSearch): Promise<void> => {
      const seq = ++searchSeq;
      loading = true;
      predicate = compileFlowSearch(search);
      set({ status: { kind: 'loading', search }, applied: search, refreshHeld: false });
      const started = deps.now();
      try {
        const result = await deps.bridge.searchFlows(search);
        if (seq !== searchSeq) return;
        rows.clear();
        lastDropped = 0;
        rows.addResults(result);
        loading = false;
        const backlog = queued.splice(0);
        apply(backlog);
        set({
          status: { kind: 'done', count: result.length, truncated: result.length >= (search.limit ?? 1000), atMs: deps.now(), elapsedMs: deps.now() - started },
          selectedSlot: -1,
          detailOpen: false,
        });
        changed();
      } catch (e) {
        if (seq !== searchSeq) return;
        loading = false;
        // Keep the rows already shown; live events keep flowing into them.
        apply(queued.splice(0));
        const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error).message ?? e));
        set({ status: { kind: 'error', message: err.message, hint: err.hint, status: err.status } });
      }
    };

    const submit = async (): Promise<boolean> => {
      const r = formToSearch(get().form, deps.zone(), deps.now());
      if ('errors' in r) {
        set({ fieldErrors: r.errors });
        return false;
      }
      set({ fieldErrors: {} });
      await runSearch(r.search);
      return true;
    };

    return {
      rows,
      version: 0,
      visibleCount: 0,
      pendingNew: 0,
      pendingUpdates: 0,
      dropped: 0,
      pause: 'live',
      refreshHeld: false,
      selectedSlot: -1,
      activeColumn: 0,
      detailOpen: false,
      form: { ...EMPTY_FORM },
      fieldErrors: {},
      applied: null,
      exclusions: [],
      status: { kind: 'idle' },

      setField: (field, value) =>
        set((s) => {
          const fieldErrors = { ...s.fieldErrors };
          delete fieldErrors[field];
          return { form: { ...s.form, [field]: value }, fieldErrors };
        }),
      resetForm: () => set({ form: { ...EMPTY_FORM }, fieldErrors: {} }),
      submit,
      runSearch,
      rerun: () => runSearch(get().applied ?? { limit: 1000 }),

      ingest: (items) => {
        if (loading) {
          queued.push(...items);
          if (queued.length > maxQueued) queued.splice(0, queued.length - maxQueued);
          return;
        }
        apply(items);
      },

      setPaused: (mode) => {
        const was = get().pause;
        if (mode === was) return;
        if (mode === 'live') {
          rows.resume();
          const refresh = get().refreshHeld;
          set({ pause: 'live' });
          changed();
          if (refresh) void runSearch(get().applied ?? { limit: 1000 });
        } else {
          rows.pause();
          set({ pause: mode });
          changed();
        }
      },

      setScrolledAway: (away) => {
        const { pause } = get();
        if (away && pause === 'live') get().setPaused('auto');
        else if (!away && pause === 'auto') get().setPaused('live');
      },

      select: (slot) => set({ selectedSlot: slot }),
      setActiveColumn: (index) => set({ activeColumn: index }),
      setDetailOpen: (open) => set({ detailOpen: open }),

      filterBy: async (field, value) => {
        const form = get().form;
        let next: SearchForm | null;
        if (field === 'ip') next = withHost(form, String(value));
        else if (field === 'port') next = { ...form, port: String(value) };
        else next = { ...form, proto: protoName(Number(value)) };
        if (!next) return 'Both host fields are in use: clear one, then filter again.';
        set({ form: next, fieldErrors: {} });
        const ok = await submit();
        return ok ? null : 'The search has an invalid field; correct it and search again.';
      },

      exclude: (e) => {
        const list = [...get().exclusions.filter((x) => !(x.field === e.field && x.value === e.value)), e];
        rows.setExclusions(list);
        set({ exclusions: list });
        changed();
      },

      removeExclusion: (index) => {
        const list = get().exclusions.filter((_, i) => i !== index);
        rows.setExclusions(list);
        set({ exclusions: list });
        changed();
      },

      searchIp: async (ip) => {
        const { form } = get();
        set({ form: { ...EMPTY_FORM, host1: ip, limit: form.limit, sensor: form.sensor }, fieldErrors: {} });
        await submit();
      },

      importFinished: () => {
        if (get().pause !== 'live') set({ refreshHeld: true });
        else void runSearch(get().applied ?? { limit: 1000 });
      },
    };
  });
  return store;
}
