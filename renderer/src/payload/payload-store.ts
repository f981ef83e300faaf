/**
 * Which payload panel is open (Follow stream or Show files of one flow) and what it loaded.
 * Loads go through the Bridge; a later open supersedes an earlier load still running.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { CarvedFile, FollowResult } from '../../../common/bridge/messages.js';

export interface PayloadTarget {
  flow: string;
  sensor: string;
  /** e.g. "192.0.2.1:40000 → 198.51.100.7:80" for the title. */
  label: string;
}

export type PayloadPanel =
  | { kind: 'follow'; target: PayloadTarget; status: 'loading' | 'ready' | 'error'; result: FollowResult | null; error: BridgeCallError | null }
  | { kind: 'files'; target: PayloadTarget; status: 'loading' | 'ready' | 'error'; files: CarvedFile[]; error: BridgeCallError | null };

export interface PayloadState {
  panel: PayloadPanel | null;
  openFollow(t: PayloadTarget): Promise<void>;
  openFiles(t: PayloadTarget): Promise<void>;
  close(): void;
}

export type PayloadStore = StoreApi<PayloadState>;

const asError = (e: unknown): BridgeCallError => (e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e)));

export function createPayloadStore(bridge: Bridge): PayloadStore {
  let seq = 0;
  return createStore<PayloadState>((set) => ({
    panel: null,
    async openFollow(target) {
      const my = ++seq;
      set({ panel: { kind: 'follow', target, status: 'loading', result: null, error: null } });
      try {
        const result = await bridge.followStream(target.flow, { sensor: target.sensor });
        if (my === seq) set({ panel: { kind: 'follow', target, status: 'ready', result, error: null } });
      } catch (e) {
        if (my === seq) set({ panel: { kind: 'follow', target, status: 'error', result: null, error: asError(e) } });
      }
    },
    async openFiles(target) {
      const my = ++seq;
      set({ panel: { kind: 'files', target, status: 'loading', files: [], error: null } });
      try {
        const files = await bridge.flowFiles(target.flow, { sensor: target.sensor });
        if (my === seq) set({ panel: { kind: 'files', target, status: 'ready', files, error: null } });
      } catch (e) {
        if (my === seq) set({ panel: { kind: 'files', target, status: 'error', files: [], error: asError(e) } });
      }
    },
    close() {
      seq++;
      set({ panel: null });
    },
  }));
}
