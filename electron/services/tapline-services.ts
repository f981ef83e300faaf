/**
 * The unprivileged back end as plain Node (no `electron` import): the local store as a sensor,
 * remote `serve` sensors, the event bus, federated queries. Used by `serve` mode's HTTP API, the
 * Electron main process's IPC handlers, and tests.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../common/bridge/event-bus.js';
import type { BackendInfo, EventSearch, FlowRow, FlowSearch, ImportResult, Sensor, SliceTarget, StoreStats, TaplineEvent } from '../../common/bridge/messages.js';
import { compareTs, parseTimestamp } from '../../common/time/timestamp.js';
import { EventJournal } from '../../node/store/event-journal.js';
import { Store } from '../../node/store/store.js';
import { TAPLINE_VERSION } from '../../node/version.js';
import { LocalSensor } from './local-sensor.js';
import { ServiceError, type SensorBackend, type SliceFile } from './sensor-backend.js';

export interface ServicesOptions {
  storeDir: string;
  /** Sensor id of the local store (default: the host name). */
  sensorId?: string;
  sensorName?: string;
  log?: (line: string) => void;
}

function tsKey(t: string): { sec: number; nsec: number } {
  return parseTimestamp(t) ?? { sec: 0, nsec: 0 };
}

export class TaplineServices {
  private readonly remotes = new Map<string, SensorBackend>();

  private constructor(
    readonly bus: EventBus,
    readonly local: LocalSensor,
    readonly tmpDir: string,
    private readonly log: (line: string) => void,
  ) {}

  static async open(opts: ServicesOptions): Promise<TaplineServices> {
    const log = opts.log ?? (() => undefined);
    const store = await Store.open(opts.storeDir, { create: true, log });
    const journal = await EventJournal.open(store.dir);
    const tmpDir = join(store.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const id = (opts.sensorId ?? hostname()).replace(/[^0-9A-Za-z._-]/g, '-').slice(0, 64) || 'local';
    const bus = new EventBus();
    const local = new LocalSensor(id, opts.sensorName ?? id, store, bus, journal);
    return new TaplineServices(bus, local, tmpDir, log);
  }

  get sensorIds(): string[] {
    return [this.local.id, ...this.remotes.keys()];
  }

  addSensor(s: SensorBackend): void {
    if (s.id === this.local.id || this.remotes.has(s.id)) throw new ServiceError(`a sensor named ${s.id} is already registered`, 409);
    this.remotes.set(s.id, s);
  }

  async removeSensor(id: string): Promise<void> {
    const s = this.remotes.get(id);
    if (!s) throw new ServiceError(`no remote sensor ${id}`, 404);
    this.remotes.delete(id);
    await s.close();
  }

  sensors(): Sensor[] {
    return [this.local.describe(), ...[...this.remotes.values()].map((s) => s.describe())];
  }

  info(apiBase: string | null): BackendInfo {
    return { version: TAPLINE_VERSION, sensors: this.sensors(), api_base: apiBase };
  }

  private pick(sensor: string | undefined): SensorBackend[] {
    if (sensor === undefined) return [this.local, ...this.remotes.values()];
    if (sensor === this.local.id) return [this.local];
    const r = this.remotes.get(sensor);
    if (!r) throw new ServiceError(`no sensor ${sensor}`, 404, `known sensors: ${this.sensorIds.join(', ')}`);
    return [r];
  }

  /**
   * Runs a query on every chosen sensor. A remote that fails does not fail the whole query: its
   * failure becomes a warning notice and the other sensors' results are returned.
   */
  private async federate<T>(sensors: SensorBackend[], call: (s: SensorBackend) => Promise<T[]>): Promise<T[]> {
    const settled = await Promise.allSettled(sensors.map(call));
    const out: T[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') out.push(...r.value);
      else if (sensors[i] === this.local || sensors.length === 1) throw r.reason;
      else this.local.notice('warning', `sensor ${sensors[i].id} did not answer: ${(r.reason as Error).message}`);
    });
    return out;
  }

  async searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    const rows = await this.federate(this.pick(q.sensor), (s) => s.searchFlows({ ...q, sensor: undefined }));
    rows.sort((a, b) => {
      const x = tsKey(a.first_ts);
      const y = tsKey(b.first_ts);
      return compareTs(y.sec, y.nsec, x.sec, x.nsec) || (a.id < b.id ? -1 : 1);
    });
    return rows.slice(0, q.limit ?? 1000);
  }

  async searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    const events = await this.federate(this.pick(undefined), (s) => s.searchEvents(q));
    events.sort((a, b) => {
      const x = tsKey(a.ts);
      const y = tsKey(b.ts);
      return compareTs(y.sec, y.nsec, x.sec, x.nsec);
    });
    return events.slice(0, q.limit ?? 1000);
  }

  async stats(): Promise<StoreStats[]> {
    return this.federate(this.pick(undefined), async (s) => [await s.stats()]);
  }

  importPaths(paths: string[]): Promise<ImportResult[]> {
    return this.local.importPaths(paths);
  }

  /** The slice from the sensor that holds it (the local store unless target.sensor names another). */
  async slice(target: SliceTarget): Promise<SliceFile> {
    const [s] = this.pick(target.sensor);
    return s.slice(target, this.tmpDir);
  }

  async close(): Promise<void> {
    this.bus.close();
    for (const r of this.remotes.values()) await r.close().catch(() => undefined);
    await this.local.close();
    this.log('services closed');
  }
}
