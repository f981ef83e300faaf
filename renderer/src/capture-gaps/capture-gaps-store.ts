/**
 * Capture gaps for the sensor window (zustand): spans this store's live capture could not record
 * (an ssh feed lost and reconnected, a restarted remote tcpdump), from Bridge.captureGaps, so an
 * analyst reads "no data" there as "not captured", not as "no traffic". Fetched when the window
 * shows them and on every refresh; a failure is kept in words beside the last good list.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { CaptureGap } from '../../../common/capture/capture-gap.js';

/** Gaps fetched (the newest). */
export const GAPS_LIMIT = 200;

export interface CaptureGapsState {
  /** Newest first. */
  gaps: CaptureGap[];
  /** Gaps recorded in all (may exceed gaps.length). */
  total: number;
  /** Lines of the gap log that could not be read (a crash mid-write). */
  unreadableLines: number;
  /** When last fetched (ms), null before the first answer. */
  loadedAt: number | null;
  loading: boolean;
  error: { message: string; hint: string | null } | null;
  refresh(): Promise<void>;
}

export type CaptureGapsStore = StoreApi<CaptureGapsState>;

export function createCaptureGapsStore(deps: { bridge: Pick<Bridge, 'captureGaps'>; now(): number }): CaptureGapsStore {
  let seq = 0;
  return createStore<CaptureGapsState>()((set) => ({
    gaps: [],
    total: 0,
    unreadableLines: 0,
    loadedAt: null,
    loading: false,
    error: null,
    refresh: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const r = await deps.bridge.captureGaps({ limit: GAPS_LIMIT });
        if (mine !== seq) return;
        set({ gaps: [...r.gaps].reverse(), total: r.total, unreadableLines: r.unreadableLines, loadedAt: deps.now(), loading: false, error: null });
      } catch (e) {
        if (mine !== seq) return;
        const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e));
        set({ loading: false, error: { message: err.message, hint: err.hint } });
      }
    },
  }));
}

/** Seconds as the table shows them: "850 ms", "12.5 s", "3 min 20 s", "2 h 05 min". */
export function formatGapLength(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
