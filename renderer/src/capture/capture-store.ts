/**
 * The Capture panel's data: the sensor's interfaces, its captures (from captureStatus and the
 * live `capture` events), and start/stop through the Bridge. One store per bridge, made on first
 * use, so the app shell needs only to route `capture` events here (captureStoreFor).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { CaptureInterface, CaptureStatus, StartCapture } from '../../../common/bridge/capture-messages.js';
import type { CaptureStatusEvent } from '../../../common/bridge/messages.js';
import { EMPTY_FORM, type CaptureForm } from './capture-form.js';

export interface CaptureFailure {
  message: string;
  hint: string | null;
  status: number | null;
}

export interface CaptureState {
  interfaces: CaptureInterface[] | null;
  interfacesError: CaptureFailure | null;
  /** By id, in the order first seen. */
  captures: CaptureStatus[];
  busy: boolean;
  /** The last start/stop failure, in words. */
  failure: CaptureFailure | null;
  /** The form, kept here so it survives a visit to another view. */
  form: CaptureForm;
  setForm(patch: Partial<CaptureForm>): void;
  loadInterfaces(): Promise<void>;
  refresh(): Promise<void>;
  start(req: StartCapture): Promise<CaptureStatus | null>;
  stop(id: string): Promise<void>;
  /** A live `capture` event. */
  onEvent(e: CaptureStatusEvent): void;
  clearFailure(): void;
}

export type CaptureStore = StoreApi<CaptureState>;

function toFailure(e: unknown): CaptureFailure {
  const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e));
  return { message: err.message, hint: err.hint, status: err.status };
}

/** Newer status replaces older for the same capture; others keep their order. */
export function mergeStatus(list: CaptureStatus[], s: CaptureStatus): CaptureStatus[] {
  const i = list.findIndex((c) => c.id === s.id);
  if (i < 0) return [...list, s];
  const out = list.slice();
  out[i] = s;
  return out;
}

export function createCaptureStore(bridge: Bridge): CaptureStore {
  return createStore<CaptureState>()((set, get) => ({
    interfaces: null,
    interfacesError: null,
    captures: [],
    busy: false,
    failure: null,
    form: EMPTY_FORM,
    setForm: (patch) => set({ form: { ...get().form, ...patch } }),
    loadInterfaces: async () => {
      try {
        set({ interfaces: await bridge.listInterfaces(), interfacesError: null });
      } catch (e) {
        set({ interfacesError: toFailure(e) });
      }
    },
    refresh: async () => {
      try {
        const list = await bridge.captureStatus();
        let merged = get().captures;
        for (const s of list) merged = mergeStatus(merged, s);
        set({ captures: merged });
      } catch (e) {
        set({ failure: toFailure(e) });
      }
    },
    start: async (req) => {
      set({ busy: true, failure: null });
      try {
        const s = await bridge.startCapture(req);
        set({ busy: false, captures: mergeStatus(get().captures, s) });
        return s;
      } catch (e) {
        set({ busy: false, failure: toFailure(e) });
        // the failed attempt is in the status list with its error
        void get().refresh();
        return null;
      }
    },
    stop: async (id) => {
      set({ busy: true, failure: null });
      try {
        const s = await bridge.stopCapture(id);
        set({ busy: false, captures: mergeStatus(get().captures, s) });
      } catch (e) {
        set({ busy: false, failure: toFailure(e) });
      }
    },
    onEvent: (e) => set({ captures: mergeStatus(get().captures, e.capture) }),
    clearFailure: () => set({ failure: null }),
  }));
}

const stores = new WeakMap<Bridge, CaptureStore>();

export function captureStoreFor(bridge: Bridge): CaptureStore {
  let s = stores.get(bridge);
  if (!s) {
    s = createCaptureStore(bridge);
    stores.set(bridge, s);
  }
  return s;
}
