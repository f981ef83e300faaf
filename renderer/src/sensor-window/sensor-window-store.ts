/**
 * The sensor connection window's data (zustand): every sensor (this store and the remote `serve`
 * sensors in the registry) with its connection status, its store statistics, and its captures
 * as the live `capture` events report them, keyed by sensor AND capture id (each sensor numbers
 * its captures itself: cap-1 on two sensors are two captures).
 *
 * Capture status arrives live (about once a second per running capture, relayed from remote
 * sensors by the services); sensor statuses and store sizes are not events, so they are fetched
 * when the window opens and every REFRESH_MS while it is open.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import { StartCaptureSchema, type CaptureInterface, type CaptureStatus } from '../../../common/bridge/capture-messages.js';
import type { CaptureStatusEvent, Sensor, StoreStats } from '../../../common/bridge/messages.js';

export const REFRESH_MS = 5000;
/** Finished captures kept per sensor (the newest). */
const KEEP_FINISHED = 8;

export interface SensorCapture extends CaptureStatus {
  sensor: string;
  /** When the last status arrived (ms, the window's clock). */
  seenAt: number;
}

export interface LoadProblem {
  message: string;
  hint: string | null;
}

/** A sensor's capture controls in the window: its interfaces, a call in flight, the last failure. */
export interface SensorControl {
  interfaces: CaptureInterface[] | null;
  busy: boolean;
  failure: LoadProblem | null;
}

export const IDLE_CONTROL: SensorControl = { interfaces: null, busy: false, failure: null };

export interface SensorWindowState {
  open: boolean;
  sensors: Sensor[];
  /** Store statistics by sensor id. */
  stats: Record<string, StoreStats>;
  /** Captures by `${sensor}\0${id}`, in the order first seen. */
  captures: Record<string, SensorCapture>;
  /** When sensors and stats were last fetched (ms), null before the first time. */
  refreshedAt: number | null;
  sensorsError: LoadProblem | null;
  statsError: LoadProblem | null;
  setOpen(open: boolean): void;
  refresh(): Promise<void>;
  /** A live `capture` event (from any sensor). */
  onCapture(e: CaptureStatusEvent): void;
  /** Capture controls by sensor id. */
  control: Record<string, SensorControl>;
  loadInterfaces(sensor: string): Promise<void>;
  /** Starts a capture on the sensor (a remote one through the services, with its token); false when refused. */
  startCapture(sensor: string, iface: string, filter: string): Promise<boolean>;
  stopCapture(sensor: string, id: string): Promise<void>;
}

export type SensorWindowStore = StoreApi<SensorWindowState>;

const captureKey = (sensor: string, id: string): string => `${sensor}\u0000${id}`;

function problem(e: unknown): LoadProblem {
  const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e));
  return { message: err.message, hint: err.hint };
}

const isLive = (c: CaptureStatus): boolean => c.state === 'starting' || c.state === 'running' || c.state === 'stopping';

/** Keeps every live capture and the newest finished ones per sensor. */
function prune(captures: Record<string, SensorCapture>): Record<string, SensorCapture> {
  const finished = new Map<string, SensorCapture[]>();
  for (const c of Object.values(captures)) if (!isLive(c)) finished.set(c.sensor, [...(finished.get(c.sensor) ?? []), c]);
  let out = captures;
  for (const list of finished.values()) {
    if (list.length <= KEEP_FINISHED) continue;
    list.sort((a, b) => Number(b.stopped_at ?? b.started_at) - Number(a.stopped_at ?? a.started_at));
    if (out === captures) out = { ...captures };
    for (const c of list.slice(KEEP_FINISHED)) delete out[captureKey(c.sensor, c.id)];
  }
  return out;
}

export function createSensorWindowStore(deps: { bridge: Bridge; now(): number }): SensorWindowStore {
  let refreshing: Promise<void> | null = null;
  return createStore<SensorWindowState>()((set, get) => {
    const put = (sensor: string, c: CaptureStatus): void => {
      set({ captures: prune({ ...get().captures, [captureKey(sensor, c.id)]: { ...c, sensor, seenAt: deps.now() } }) });
    };
    const patchControl = (sensor: string, patch: Partial<SensorControl>): void => {
      set({ control: { ...get().control, [sensor]: { ...(get().control[sensor] ?? IDLE_CONTROL), ...patch } } });
    };
    return {
      open: false,
      sensors: [],
      stats: {},
      captures: {},
      refreshedAt: null,
      sensorsError: null,
      statsError: null,
      setOpen(open) {
        set({ open });
        if (open) void get().refresh();
      },
      refresh() {
        // one at a time: a slow remote must not pile up requests every REFRESH_MS
        refreshing ??= (async () => {
          const [sensors, stats, local] = await Promise.allSettled([deps.bridge.listSensors(), deps.bridge.stats(), deps.bridge.captureStatus()]);
          const patch: Partial<SensorWindowState> = { refreshedAt: deps.now() };
          if (sensors.status === 'fulfilled') {
            patch.sensors = sensors.value;
            patch.sensorsError = null;
          } else patch.sensorsError = problem(sensors.reason);
          if (stats.status === 'fulfilled') {
            patch.stats = Object.fromEntries(stats.value.map((s) => [s.sensor, s]));
            patch.statsError = null;
          } else patch.statsError = problem(stats.reason);
          // captureStatus answers for one sensor: this store (the sensor without a URL), and each
          // connected remote asked by id (captures that ended before the window opened show too)
          const list = patch.sensors ?? get().sensors;
          const own = list.find((s) => s.url === null);
          const remotes = list.filter((s) => s.url !== null && s.status === 'connected');
          const answers = await Promise.allSettled(remotes.map((s) => deps.bridge.captureStatus({ sensor: s.id })));
          let captures = get().captures;
          const merge = (sensor: string, statuses: readonly CaptureStatus[]): void => {
            for (const c of statuses) {
              const key = captureKey(sensor, c.id);
              const seen = captures[key];
              // a capture that ended (as a live event said) does not come back to life from an answer sent before
              if (seen && !isLive(seen) && isLive(c)) continue;
              captures = { ...captures, [key]: { ...c, sensor, seenAt: deps.now() } };
            }
          };
          if (local.status === 'fulfilled' && own) merge(own.id, local.value);
          answers.forEach((a, i) => {
            // a remote that does not answer shows its own status and message; its captures keep their last figures
            if (a.status === 'fulfilled') merge(remotes[i].id, a.value);
          });
          patch.captures = prune(captures);
          set(patch);
        })().finally(() => {
          refreshing = null;
        });
        return refreshing;
      },
      onCapture(e) {
        put(e.sensor, e.capture);
      },
      control: {},
      async loadInterfaces(sensor) {
        try {
          const interfaces = await deps.bridge.listInterfaces({ sensor });
          patchControl(sensor, { interfaces, failure: null });
        } catch (e) {
          patchControl(sensor, { interfaces: [], failure: problem(e) });
        }
      },
      async startCapture(sensor, iface, filter) {
        const req = StartCaptureSchema.safeParse({ sensor, source: { kind: 'iface', iface, filter: filter.trim() || undefined } });
        if (!req.success) {
          const i = req.error.issues[0];
          patchControl(sensor, { failure: { message: `${String(i?.path.at(-1) ?? 'capture')}: ${i?.message ?? 'invalid'}`, hint: null } });
          return false;
        }
        patchControl(sensor, { busy: true, failure: null });
        try {
          put(sensor, await deps.bridge.startCapture(req.data));
          patchControl(sensor, { busy: false });
          return true;
        } catch (e) {
          patchControl(sensor, { busy: false, failure: problem(e) });
          return false;
        }
      },
      async stopCapture(sensor, id) {
        patchControl(sensor, { busy: true, failure: null });
        try {
          put(sensor, await deps.bridge.stopCapture(id, { sensor }));
          patchControl(sensor, { busy: false });
        } catch (e) {
          patchControl(sensor, { busy: false, failure: problem(e) });
        }
      },
    };
  });
}
