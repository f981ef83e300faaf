/** The Store panel's data: every sensor's captures from Bridge.stats(), refreshed on demand. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { StoreStats } from '../../../common/bridge/messages.js';

export interface StatsState {
  stats: StoreStats[] | null;
  loading: boolean;
  error: { message: string; hint: string | null; status: number | null } | null;
  loadedAtMs: number | null;
  refresh(): Promise<void>;
}

export type StatsStore = StoreApi<StatsState>;

export function createStatsStore(bridge: Bridge, now: () => number): StatsStore {
  let seq = 0;
  return createStore<StatsState>()((set) => ({
    stats: null,
    loading: false,
    error: null,
    loadedAtMs: null,
    refresh: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const stats = await bridge.stats();
        if (mine === seq) set({ stats, loading: false, error: null, loadedAtMs: now() });
      } catch (e) {
        if (mine !== seq) return;
        const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error).message ?? e));
        set({ loading: false, error: { message: err.message, hint: err.hint, status: err.status } });
      }
    },
  }));
}
