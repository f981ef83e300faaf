/**
 * Settings → Sensors (zustand): the sensor list with each one's connection status, adding a
 * remote `tapline serve` (URL, token, pinned fingerprint) and removing one. After a change the
 * window's BackendInfo is refreshed, so the grid's Sensor column and the header know the names.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Bridge } from '../../../common/bridge/bridge.js';
import type { AddSensor, Sensor } from '../../../common/bridge/messages.js';
import { toBridgeError, type LoadError, type Outcome } from '../ranking/ranking-store.js';

export interface SensorsState {
  sensors: Sensor[];
  loaded: boolean;
  error: LoadError | null;
  load(): Promise<void>;
  add(s: AddSensor): Promise<Outcome<Sensor>>;
  remove(id: string): Promise<Outcome<null>>;
}

export type SensorsStore = StoreApi<SensorsState>;

export interface SensorsDeps {
  bridge: Bridge;
  onChanged(): void;
}

export function createSensorsStore(deps: SensorsDeps): SensorsStore {
  return createStore<SensorsState>()((set, get) => ({
    sensors: [],
    loaded: false,
    error: null,
    load: async () => {
      try {
        set({ sensors: await deps.bridge.listSensors(), loaded: true, error: null });
      } catch (e) {
        const err = toBridgeError(e);
        set({ loaded: true, error: { message: err.message, hint: err.hint } });
      }
    },
    add: async (s) => {
      try {
        const sensor = await deps.bridge.addSensor(s);
        set({ sensors: [...get().sensors.filter((x) => x.id !== sensor.id), sensor] });
        deps.onChanged();
        return { ok: true, value: sensor };
      } catch (e) {
        return { ok: false, error: toBridgeError(e) };
      }
    },
    remove: async (id) => {
      try {
        await deps.bridge.removeSensor(id);
        set({ sensors: get().sensors.filter((x) => x.id !== id) });
        deps.onChanged();
        return { ok: true, value: null };
      } catch (e) {
        return { ok: false, error: toBridgeError(e) };
      }
    },
  }));
}
