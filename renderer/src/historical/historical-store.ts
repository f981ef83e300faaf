/**
 * The Historical view's state: the "Search Events or Flows" form, the results (events from the
 * local archive, paged by key; flows from the back end), the sort, the charts' data, exports.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { FlowRow } from '../../../common/bridge/messages.js';
import { chartData, type ChartData } from '../archive/chart-data.js';
import type { ArchiveStats, Cursor, EventArchive } from '../archive/archive-types.js';
import {
  EMPTY_HISTORY_FORM,
  exactIp,
  formToQuery,
  queryToFlowSearch,
  sortEvents,
  toCsv,
  toArchived,
  toJson,
  type ArchivedEvent,
  type EventQuery,
  type HistoryErrors,
  type HistoryField,
  type HistoryForm,
  type Sort,
} from '../archive/event-query.js';

export const PAGE_SIZE = 200;
/** Events read at most for the charts and for an export. */
export const MAX_SCAN = 100_000;
/** Events asked of the back end's journal per search at most. */
export const MAX_JOURNAL = 10_000;
/** Flows asked of the back end at most. */
export const MAX_FLOWS = 10_000;

export type HistoryStatus =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'done'; elapsedMs: number }
  | { kind: 'error'; message: string; hint: string | null };

export interface HistoricalState {
  form: HistoryForm;
  errors: HistoryErrors;
  /** The query whose results are shown. */
  query: EventQuery | null;
  target: 'events' | 'flows';
  status: HistoryStatus;
  sort: Sort;
  /** The events page shown (sorted). */
  events: ArchivedEvent[];
  /** Page number (0-based) and the cursors where each shown page started. */
  pageIndex: number;
  hasNext: boolean;
  flows: FlowRow[];
  chart: ChartData | null;
  /** The chart covers only the first MAX_SCAN matches. */
  chartCapped: boolean;
  archive: ArchiveStats | null;
  /** The back end's event journal could not be read for the last search (only the archive answered). */
  journalError: string | null;
  /** The archive lives only in memory (IndexedDB refused). */
  archiveVolatile: boolean;
  setField(f: HistoryField, v: string): void;
  submit(): Promise<boolean>;
  /** A pivot from elsewhere: search by these fields (others cleared, time range kept). */
  pivot(fields: Partial<HistoryForm>): Promise<boolean>;
  nextPage(): Promise<void>;
  prevPage(): Promise<void>;
  setSort(s: Sort): Promise<void>;
  /** The brush on the time chart: set the range and search again. */
  setRange(since: number, until: number): Promise<void>;
  exportData(format: 'csv' | 'json'): Promise<{ name: string; text: string; mime: string }>;
  refreshStats(): Promise<void>;
}

export type HistoricalStore = StoreApi<HistoricalState>;

export interface HistoricalDeps {
  bridge: Bridge;
  archive: EventArchive;
  archiveVolatile: boolean;
  zone(): string;
  now(): number;
}

const asError = (e: unknown): BridgeCallError => (e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e)));

export function createHistoricalStore(deps: HistoricalDeps): HistoricalStore {
  let seq = 0;
  /** Cursor each page started after (index = page number); page 0 starts at null. */
  let starts: (Cursor | null)[] = [null];
  let nextCursor: Cursor | null = null;

  return createStore<HistoricalState>()((set, get) => {
    const dirOf = (s: Sort): 'asc' | 'desc' => (s.key === 'ts' ? s.dir : 'desc');

    const loadPage = async (my: number, index: number): Promise<void> => {
      const { query, sort } = get();
      if (!query) return;
      const page = await deps.archive.page(query, dirOf(sort), starts[index] ?? null, PAGE_SIZE);
      if (my !== seq) return;
      nextCursor = page.next;
      // other columns sort within the page (the archive pages by time)
      const rows = sort.key === 'ts' ? page.rows : sortEvents(page.rows, sort);
      set({ events: rows, pageIndex: index, hasNext: page.next !== null });
    };

    const syncJournal = async (q: EventQuery): Promise<string | null> => {
      try {
        const ip = exactIp(q);
        const events = await deps.bridge.searchEvents({
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.since !== undefined ? { since: String(q.since) } : {}),
          ...(q.until !== undefined ? { until: String(q.until) } : {}),
          ...(ip ? { host: ip } : {}),
          limit: MAX_JOURNAL,
        });
        await deps.archive.add(events);
        return null;
      } catch (e) {
        return asError(e).message;
      }
    };

    const run = async (query: EventQuery, target: 'events' | 'flows'): Promise<void> => {
      const my = ++seq;
      const started = deps.now();
      starts = [null];
      nextCursor = null;
      set({ query, target, status: { kind: 'loading' }, events: [], flows: [], pageIndex: 0, hasNext: false, chart: null, chartCapped: false });
      try {
        if (target === 'flows') {
          const flows = await deps.bridge.searchFlows(queryToFlowSearch(query, MAX_FLOWS));
          if (my !== seq) return;
          const rows = flows.map((f) => toArchived({ id: f.id, sensor: f.sensor, ts: f.first_ts, rank: f.rank, kind: 'flow', flow: f }));
          set({ flows, chart: chartData(rows), hasNext: false });
        } else {
          // the back end's journal holds events from before this window opened: merge them in first
          set({ journalError: await syncJournal(query) });
          if (my !== seq) return;
          await loadPage(my, 0);
          const scanned = await deps.archive.scan(query, MAX_SCAN);
          if (my !== seq) return;
          set({ chart: chartData(scanned), chartCapped: scanned.length >= MAX_SCAN });
        }
        if (my === seq) set({ status: { kind: 'done', elapsedMs: deps.now() - started } });
      } catch (e) {
        if (my !== seq) return;
        const err = asError(e);
        set({ status: { kind: 'error', message: err.message, hint: err.hint ?? (target === 'events' ? 'The local archive could not be read; reload the window.' : null) } });
      }
      void get().refreshStats();
    };

    const submit = async (): Promise<boolean> => {
      const r = formToQuery(get().form, deps.zone(), deps.now());
      if ('errors' in r) {
        set({ errors: r.errors });
        return false;
      }
      set({ errors: {} });
      await run(r.query, get().form.target);
      return true;
    };

    return {
      form: { ...EMPTY_HISTORY_FORM },
      errors: {},
      query: null,
      target: 'events',
      status: { kind: 'idle' },
      sort: { key: 'ts', dir: 'desc' },
      events: [],
      pageIndex: 0,
      hasNext: false,
      flows: [],
      chart: null,
      chartCapped: false,
      archive: null,
      journalError: null,
      archiveVolatile: deps.archiveVolatile,
      setField: (f, v) =>
        set((s) => {
          const errors = { ...s.errors };
          delete errors[f];
          return { form: { ...s.form, [f]: v }, errors };
        }),
      submit,
      pivot: async (fields) => {
        const { form } = get();
        set({ form: { ...EMPTY_HISTORY_FORM, since: form.since, until: form.until, target: form.target, ...fields }, errors: {} });
        return submit();
      },
      nextPage: async () => {
        if (!nextCursor || get().target !== 'events') return;
        const index = get().pageIndex + 1;
        starts[index] = nextCursor;
        starts = starts.slice(0, index + 1);
        await loadPage(seq, index);
      },
      prevPage: async () => {
        const index = get().pageIndex;
        if (index === 0) return;
        await loadPage(seq, index - 1);
      },
      setSort: async (sort) => {
        const before = get().sort;
        set({ sort });
        if (get().target === 'flows') return;
        if (sort.key === 'ts' || before.key === 'ts') {
          // the paging order changed: start from the first page
          starts = [null];
          await loadPage(seq, 0);
        } else set({ events: sortEvents(get().events, sort) });
      },
      setRange: async (since, until) => {
        const f = { ...get().form, since: String(Math.floor(since)), until: String(Math.ceil(until)) };
        set({ form: f });
        await submit();
      },
      exportData: async (format) => {
        const { query, target, flows } = get();
        const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
        if (target === 'flows') {
          const text = format === 'json' ? `${JSON.stringify(flows, null, 1)}\n` : flowsCsv(flows);
          return { name: `tapline-flows-${stamp}.${format}`, text, mime: format === 'json' ? 'application/json' : 'text/csv' };
        }
        const rows = query ? await deps.archive.scan(query, MAX_SCAN) : [];
        const sorted = sortEvents(rows, get().sort);
        return {
          name: `tapline-events-${stamp}.${format}`,
          text: format === 'json' ? toJson(sorted) : toCsv(sorted),
          mime: format === 'json' ? 'application/json' : 'text/csv',
        };
      },
      refreshStats: async () => {
        try {
          set({ archive: await deps.archive.stats() });
        } catch {
          set({ archive: null });
        }
      },
    };
  });
}

function flowsCsv(flows: readonly FlowRow[]): string {
  const cols = ['id', 'sensor', 'first_ts', 'last_ts', 'proto', 'client_ip', 'client_port', 'server_ip', 'server_port', 'packets', 'bytes', 'rank', 'community_id'] as const;
  const lines = [cols.join(',')];
  for (const f of flows) lines.push(cols.map((c) => String(f[c] ?? '')).map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
