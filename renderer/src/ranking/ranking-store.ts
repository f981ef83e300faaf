/**
 * Event classes and threat lists as the UI holds them (zustand): loaded from the back end, changed
 * through the Bridge, and after every change the flows search runs again so the grid's Rank
 * column shows the new ranks. Also the Classify dialog's subject (opened from the flows menu).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { EventClass, NewEventClass, NewThreatList, ThreatList } from '../../../common/bridge/messages.js';
import type { ClassifyTarget } from './classify.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: BridgeCallError };

export interface LoadError {
  message: string;
  hint: string | null;
}

export interface RankingState {
  classes: EventClass[];
  lists: ThreatList[];
  loaded: boolean;
  classesError: LoadError | null;
  listsError: LoadError | null;
  /** The Classify dialog's subject, or null when it is closed. */
  classify: ClassifyTarget | null;
  load(): Promise<void>;
  saveClass(id: string | null, c: NewEventClass): Promise<Outcome<EventClass>>;
  setClassEnabled(c: EventClass, enabled: boolean): Promise<Outcome<EventClass>>;
  deleteClass(id: string): Promise<Outcome<null>>;
  saveList(id: string | null, l: NewThreatList): Promise<Outcome<ThreatList>>;
  setListEnabled(l: ThreatList, enabled: boolean): Promise<Outcome<ThreatList>>;
  deleteList(id: string): Promise<Outcome<null>>;
  openClassify(t: ClassifyTarget): void;
  closeClassify(): void;
}

export type RankingStore = StoreApi<RankingState>;

export interface RankingDeps {
  bridge: Bridge;
  /** Classes or lists changed: ranks shown elsewhere are stale. */
  onChanged(): void;
}

/** The flows menu's Classify: opens the dialog for the value and makes sure the existing classes are known. */
export async function startClassify(ranking: RankingStore, target: ClassifyTarget): Promise<void> {
  const st = ranking.getState();
  st.openClassify(target);
  if (!st.loaded) await st.load();
}

export function toBridgeError(e: unknown): BridgeCallError {
  return e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error | null)?.message ?? e));
}

function withoutId<T extends { id: string }>(x: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = x;
  return rest;
}

const byName = <T extends { name: string; id: string }>(a: T, b: T): number => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1);

export function createRankingStore(deps: RankingDeps): RankingStore {
  return createStore<RankingState>()((set, get) => {
    /** Runs a change; on success updates the list and tells the rest of the UI. */
    const change = async <T>(run: () => Promise<T>, apply: (v: T) => Partial<RankingState>): Promise<Outcome<T>> => {
      try {
        const value = await run();
        set(apply(value));
        deps.onChanged();
        return { ok: true, value };
      } catch (e) {
        return { ok: false, error: toBridgeError(e) };
      }
    };
    const upsert = <T extends { id: string; name: string }>(list: T[], item: T): T[] => [...list.filter((x) => x.id !== item.id), item].sort(byName);

    return {
      classes: [],
      lists: [],
      loaded: false,
      classesError: null,
      listsError: null,
      classify: null,

      load: async () => {
        // each part on its own: a damaged classes.json must not hide the threat lists
        const [c, l] = await Promise.allSettled([deps.bridge.listClasses(), deps.bridge.listThreatLists()]);
        const err = (r: PromiseRejectedResult): LoadError => {
          const e = toBridgeError(r.reason);
          return { message: e.message, hint: e.hint };
        };
        set({
          loaded: true,
          classes: c.status === 'fulfilled' ? [...c.value].sort(byName) : get().classes,
          classesError: c.status === 'rejected' ? err(c) : null,
          lists: l.status === 'fulfilled' ? [...l.value].sort(byName) : get().lists,
          listsError: l.status === 'rejected' ? err(l) : null,
        });
      },

      saveClass: (id, c) =>
        change(
          () => (id === null ? deps.bridge.createClass(c) : deps.bridge.updateClass(id, c)),
          (v) => ({ classes: upsert(get().classes, v) }),
        ),
      setClassEnabled: (c, enabled) =>
        change(
          () => deps.bridge.updateClass(c.id, { ...withoutId(c), enabled }),
          (v) => ({ classes: upsert(get().classes, v) }),
        ),
      deleteClass: (id) =>
        change(
          async () => {
            await deps.bridge.deleteClass(id);
            return null;
          },
          () => ({ classes: get().classes.filter((c) => c.id !== id) }),
        ),

      saveList: (id, l) =>
        change(
          () => (id === null ? deps.bridge.createThreatList(l) : deps.bridge.updateThreatList(id, l)),
          (v) => ({ lists: upsert(get().lists, v) }),
        ),
      setListEnabled: (l, enabled) =>
        change(
          () => deps.bridge.updateThreatList(l.id, { ...withoutId(l), enabled }),
          (v) => ({ lists: upsert(get().lists, v) }),
        ),
      deleteList: (id) =>
        change(
          async () => {
            await deps.bridge.deleteThreatList(id);
            return null;
          },
          () => ({ lists: get().lists.filter((l) => l.id !== id) }),
        ),

      openClassify: (t) => set({ classify: t }),
      closeClassify: () => set({ classify: null }),
    };
  });
}
