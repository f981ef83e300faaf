/**
 * The Historical Flow and Payload Data page ("Show Files in Flow(s)"): the flows of a query —
 * by default ±1 hour around the event the analyst started from (the seed's default), editable —
 * and the files carved from them, loaded through the Bridge with bounded concurrency.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { CarvedFile, FlowRow, FlowSearch } from '../../../common/bridge/messages.js';

/** The seed's window around an event: one hour each side. */
export const AROUND_SECONDS = 3600;
/** Flows whose files are fetched at most per query (each is one carve request). */
export const MAX_FLOWS_CARVED = 200;
const CONCURRENCY = 4;

export interface FilesQuery {
  hosts: string[];
  port?: number;
  proto?: number;
  /** Decimal epoch seconds. */
  since: string;
  until: string;
  sensor?: string;
  /** Only these flows (when the analyst picked rows), else every flow of the query. */
  flowIds?: string[];
}

/** A query around an event: the event's hosts and port, from `firstTs - 1 h` to `lastTs + 1 h`. */
export function queryAround(opts: { hosts: string[]; port?: number | null; proto?: number | null; firstTs: number; lastTs: number; sensor?: string; flowIds?: string[] }): FilesQuery {
  return {
    hosts: opts.hosts.slice(0, 2),
    ...(opts.port !== null && opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.proto !== null && opts.proto !== undefined ? { proto: opts.proto } : {}),
    since: String(Math.max(0, Math.floor(opts.firstTs) - AROUND_SECONDS)),
    until: String(Math.ceil(opts.lastTs) + AROUND_SECONDS),
    ...(opts.sensor ? { sensor: opts.sensor } : {}),
    ...(opts.flowIds?.length ? { flowIds: opts.flowIds } : {}),
  };
}

export function toFlowSearch(q: FilesQuery): FlowSearch {
  return {
    ...(q.hosts.length ? { hosts: q.hosts } : {}),
    ...(q.port !== undefined ? { port: q.port } : {}),
    ...(q.proto !== undefined ? { proto: q.proto } : {}),
    since: q.since,
    until: q.until,
    ...(q.sensor ? { sensor: q.sensor } : {}),
    limit: 5000,
  };
}

export interface FlowFiles {
  flow: FlowRow;
  status: 'waiting' | 'loading' | 'ready' | 'error';
  files: CarvedFile[];
  error: string | null;
}

export interface FilesPageState {
  query: FilesQuery | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: { message: string; hint: string | null } | null;
  flows: FlowFiles[];
  /** Flows of the query beyond MAX_FLOWS_CARVED (listed, not carved). */
  skipped: number;
  open(q: FilesQuery): Promise<void>;
}

export type FilesPageStore = StoreApi<FilesPageState>;

const asError = (e: unknown): BridgeCallError => (e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e)));

/** Carvable flows (TCP with both ports) first, newest first. */
function carvable(f: FlowRow): boolean {
  return f.kind === 'ip' && f.proto === 6 && f.client_port !== null && f.server_port !== null;
}

export function createFilesPageStore(bridge: Bridge): FilesPageStore {
  let seq = 0;
  return createStore<FilesPageState>()((set, get) => ({
    query: null,
    status: 'idle',
    error: null,
    flows: [],
    skipped: 0,
    async open(query) {
      const my = ++seq;
      set({ query, status: 'loading', error: null, flows: [], skipped: 0 });
      let rows: FlowRow[];
      try {
        rows = await bridge.searchFlows(toFlowSearch(query));
      } catch (e) {
        if (my !== seq) return;
        const err = asError(e);
        set({ status: 'error', error: { message: err.message, hint: err.hint } });
        return;
      }
      if (my !== seq) return;
      if (query.flowIds?.length) {
        const wanted = new Set(query.flowIds);
        const picked = rows.filter((r) => wanted.has(r.id));
        if (picked.length) rows = picked;
      }
      rows = rows.filter(carvable).sort((a, b) => Number(b.first_ts) - Number(a.first_ts));
      const kept = rows.slice(0, MAX_FLOWS_CARVED);
      set({ flows: kept.map((flow) => ({ flow, status: 'waiting', files: [], error: null })), skipped: rows.length - kept.length, status: 'ready' });

      const update = (i: number, patch: Partial<FlowFiles>): void => {
        if (my !== seq) return;
        set({ flows: get().flows.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
      };
      let next = 0;
      const worker = async (): Promise<void> => {
        while (my === seq && next < kept.length) {
          const i = next++;
          update(i, { status: 'loading' });
          try {
            const files = await bridge.flowFiles(kept[i].id, { sensor: kept[i].sensor });
            update(i, { status: 'ready', files });
          } catch (e) {
            update(i, { status: 'error', error: asError(e).message });
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    },
  }));
}
