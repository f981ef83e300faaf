/**
 * One sensor's line in the sensor connection window (pure, unit-tested): connection status and
 * uptime, what it captures, packet and byte rates, drops by where they happened (kernel,
 * interface, hand-off to the store writer, store), store size, and the last error with its hint.
 */
import type { Sensor, StoreStats } from '../../../common/bridge/messages.js';
import type { SensorCapture } from './sensor-window-store.js';

/** A capture's status is stale when no update came for this long while it should be running (updates come every second). */
export const STALE_MS = 10_000;

export interface Drops {
  kernel: number | null;
  iface: number | null;
  handoff: number | null;
  store: number;
  total: number;
}

export interface SensorSummary {
  sensor: Sensor;
  /** This instance's own store (no URL). */
  local: boolean;
  /** Seconds since the sensor got its status (connected: its uptime), or null when unknown. */
  statusAgeSec: number | null;
  /** Running captures first, then finished ones, newest first. */
  captures: SensorCapture[];
  running: SensorCapture[];
  /** What the running captures capture ("lo", "ssh admin@tap eth1"), or null when none runs. */
  source: string | null;
  packetsPerSec: number;
  bytesPerSec: number;
  /** Packets and bytes of the running captures. */
  packets: number;
  bytes: number;
  drops: Drops;
  /** Store size: capture files and their indexes (from stats), or null when the sensor sent none. */
  storeBytes: number | null;
  /** Live segments the running captures have written. */
  liveStoreBytes: number;
  captureFiles: number | null;
  /** Seconds the oldest running capture has run, or null. */
  captureUptimeSec: number | null;
  /** The most pressing problem: the sensor's own (offline, refused), else the latest capture error. */
  lastError: { message: string; hint: string | null } | null;
  /** Running captures whose status has not been updated for STALE_MS. */
  stale: boolean;
}

const isLive = (c: SensorCapture): boolean => c.state === 'starting' || c.state === 'running' || c.state === 'stopping';

const secondsOf = (ts: string | null | undefined): number | null => {
  if (!ts) return null;
  const n = Number(ts);
  return Number.isFinite(n) ? n : null;
};

function sumNullable(values: (number | null | undefined)[]): number | null {
  let any = false;
  let sum = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    any = true;
    sum += v;
  }
  return any ? sum : null;
}

function sensorHint(s: Sensor): string | null {
  if (s.status === 'error') return 'A wrong certificate fingerprint or token does not fix itself: remove the sensor in Settings → Sensors and add it again with what its tapline serve prints.';
  if (s.status === 'offline') return 'Check that its tapline serve is running and reachable from here; the link is retried on its own.';
  return null;
}

export function summarizeSensor(sensor: Sensor, captures: readonly SensorCapture[], stats: StoreStats | undefined, nowMs: number, local = sensor.url === null): SensorSummary {
  const mine = captures.filter((c) => c.sensor === sensor.id);
  const running = mine.filter(isLive).sort((a, b) => Number(a.started_at) - Number(b.started_at));
  const finished = mine.filter((c) => !isLive(c)).sort((a, b) => Number(b.stopped_at ?? b.started_at) - Number(a.stopped_at ?? a.started_at));
  const nowSec = nowMs / 1000;
  const since = secondsOf(sensor.status_since);
  const oldest = running.length ? secondsOf(running[0].started_at) : null;
  const kernel = sumNullable(running.map((c) => c.kernel_drops));
  const iface = sumNullable(running.map((c) => c.if_drops));
  const handoff = sumNullable(running.map((c) => c.handoff_drops));
  const store = running.reduce((n, c) => n + c.store_drops, 0);
  let lastError: SensorSummary['lastError'] = null;
  if ((sensor.status === 'error' || sensor.status === 'offline') && sensor.message) lastError = { message: sensor.message, hint: sensorHint(sensor) };
  else {
    const failing = [...running, ...finished].find((c) => c.error);
    if (failing?.error) lastError = { message: `${failing.id} (${failing.source}): ${failing.error}`, hint: failing.hint };
  }
  return {
    sensor,
    local,
    statusAgeSec: since === null ? null : Math.max(0, nowSec - since),
    captures: [...running, ...finished],
    running,
    source: running.length ? running.map((c) => c.source).join(', ') : null,
    packetsPerSec: running.reduce((n, c) => n + c.packets_per_sec, 0),
    bytesPerSec: running.reduce((n, c) => n + c.bytes_per_sec, 0),
    packets: running.reduce((n, c) => n + c.packets, 0),
    bytes: running.reduce((n, c) => n + c.bytes, 0),
    drops: { kernel, iface, handoff, store, total: (kernel ?? 0) + (iface ?? 0) + (handoff ?? 0) + store },
    storeBytes: stats ? stats.total.size + stats.total.index_bytes : null,
    liveStoreBytes: running.reduce((n, c) => n + c.store_bytes, 0),
    captureFiles: stats ? stats.captures.length : null,
    captureUptimeSec: oldest === null ? null : Math.max(0, nowSec - oldest),
    lastError,
    stale: running.some((c) => nowMs - c.seenAt > STALE_MS),
  };
}

/** The sensors in the window's order: this store first, then remotes by id; sensors known only from their capture events last. */
export function summarizeAll(sensors: readonly Sensor[], captures: readonly SensorCapture[], stats: Readonly<Record<string, StoreStats>>, nowMs: number): SensorSummary[] {
  const ordered = [...sensors].sort((a, b) => (a.url === null ? -1 : b.url === null ? 1 : a.id.localeCompare(b.id)));
  const listed = new Set(ordered.map((s) => s.id));
  const out = ordered.map((s) => summarizeSensor(s, captures, stats[s.id], nowMs));
  const extra = new Set<string>();
  for (const c of captures) if (!listed.has(c.sensor)) extra.add(c.sensor);
  for (const id of extra) {
    const s: Sensor = { id, name: id, url: null, status: 'connected', message: 'known from its capture events only (not in the sensor list)' };
    out.push(summarizeSensor(s, captures, stats[id], nowMs, false));
  }
  return out;
}

/** "3 d 4 h", "2 h 5 min", "4 min 10 s", "12 s". */
export function formatUptime(sec: number | null): string {
  if (sec === null) return '—';
  const s = Math.floor(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
