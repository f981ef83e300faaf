/**
 * The Real-Time view's state (zustand) around an AggregateStore mutated in place: live events go
 * straight into it and the store publishes one `version` bump per animation frame (and, in the
 * app, at most every 100 ms: ui/publish-pacer.ts), so 5,000 events a second cost a few renders of
 * the visible rows a second.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FlowRow, TaplineEvent } from '../../../common/bridge/messages.js';
import { eventFacts, type EventFacts } from '../events/event-facts.js';
import { AggregateStore, type ListField } from './aggregate-store.js';
import { pacedPublisher, type PacerDeps } from '../ui/publish-pacer.js';

export type RealtimePause = 'live' | 'manual' | 'auto';

export interface ListPopup {
  row: number;
  field: ListField;
  x: number;
  y: number;
}

export interface RealtimeState {
  version: number;
  visibleCount: number;
  pendingNew: number;
  total: number;
  pause: RealtimePause;
  showFlowRows: boolean;
  /** The selected row (AggregateStore index), or -1. */
  selected: number;
  popup: ListPopup | null;
  agg: AggregateStore;
  ingest(events: readonly TaplineEvent[]): void;
  setPaused(mode: RealtimePause): void;
  setScrolledAway(away: boolean): void;
  setShowFlowRows(on: boolean): void;
  select(row: number): void;
  openList(p: ListPopup | null): void;
  clear(): void;
}

export type RealtimeStore = StoreApi<RealtimeState>;

export function createRealtimeStore(deps: PacerDeps & { maxRows?: number }): RealtimeStore {
  const agg = new AggregateStore({ maxRows: deps.maxRows });
  return createStore<RealtimeState>()((set, get) => {
    const publish = pacedPublisher(() => set((s) => ({ version: s.version + 1, visibleCount: agg.visibleCount, pendingNew: agg.pendingNew, total: agg.size })), deps);
    return {
      version: 0,
      visibleCount: 0,
      pendingNew: 0,
      total: 0,
      pause: 'live',
      showFlowRows: false,
      selected: -1,
      popup: null,
      agg,
      ingest(events) {
        const batch: { facts: EventFacts; flow?: FlowRow }[] = [];
        for (const e of events) batch.push(e.kind === 'flow' ? { facts: eventFacts(e), flow: e.flow } : { facts: eventFacts(e) });
        if (agg.add(batch)) publish();
      },
      setPaused(mode) {
        if (mode === get().pause) return;
        if (mode === 'live') agg.resume();
        else agg.pause();
        set({ pause: mode });
        publish();
      },
      setScrolledAway(away) {
        const { pause } = get();
        if (away && pause === 'live') get().setPaused('auto');
        else if (!away && pause === 'auto') get().setPaused('live');
      },
      setShowFlowRows(on) {
        agg.setShowFlowRows(on);
        set({ showFlowRows: on });
        publish();
      },
      select: (row) => set({ selected: row }),
      openList: (popup) => set({ popup }),
      clear() {
        agg.clear();
        set({ selected: -1, popup: null });
        publish();
      },
    };
  });
}
