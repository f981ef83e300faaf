/**
 * The unprivileged back end as plain Node (no `electron` import): the local store as a sensor,
 * remote `serve` sensors, the event bus, federated queries, ranking and classification. Used by
 * `serve` mode's HTTP API, the Electron main process's IPC handlers and loopback API, and tests.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../common/bridge/event-bus.js';
import type { CaptureInterface, CaptureStatus, CaptureTarget, StartCapture } from '../../common/bridge/capture-messages.js';
import { FOLLOW_DEFAULT_MAX_BYTES, FOLLOW_MAX_BYTES } from '../../common/bridge/messages.js';
import type {
  AddSensor,
  BackendInfo,
  CarvedFile,
  EventClass,
  EventSearch,
  FlowRow,
  FlowSearch,
  FollowResult,
  ImportResult,
  LogEvent,
  NewEventClass,
  NewThreatList,
  Sensor,
  SliceTarget,
  StoreStats,
  TaplineEvent,
  ThreatList,
} from '../../common/bridge/messages.js';
import { rankEvent, rankFlowRow } from '../../common/ranking/event-ranking.js';
import { compareTs, parseTimestamp } from '../../common/time/timestamp.js';
import { rankLogBatch } from '../../node/logs/log-batch-ranking.js';
import type { LogEventBatch } from '../../node/logs/log-event-batch.js';
import type { EncodedLines } from '../../node/logs/log-intake.js';
import { LogService } from '../../node/logs/log-service.js';
import { EventJournal } from '../../node/store/event-journal.js';
import { Store } from '../../node/store/store.js';
import { readCaptureGaps } from '../../node/store/live/capture-gaps.js';
import type { GrowingFile } from '../../node/store/growing-file.js';
import type { CaptureGaps, CaptureGapsOptions } from '../../common/capture/capture-gap.js';
import { TAPLINE_VERSION } from '../../node/version.js';
import { CaptureService } from './capture-service.js';
import { LocalSensor, type EventSink } from './local-sensor.js';
import { RankingConfig } from './ranking-config.js';
import { RemoteSensor } from './remote-sensor.js';
import { ServiceError, type FileContent, type SensorBackend, type SensorCaptureApi, type SliceFile } from './sensor-backend.js';
import { SensorRegistry } from './sensor-registry.js';

export interface ServicesOptions {
  storeDir: string;
  /** Sensor id of the local store (default: the host name). */
  sensorId?: string;
  sensorName?: string;
  log?: (line: string) => void;
  /** How to run the capture worker (tests: a fixture worker); default captureWorkerLaunch(). */
  captureLaunch?: { command: string; args: string[] };
}

function tsKey(t: string): { sec: number; nsec: number } {
  return parseTimestamp(t) ?? { sec: 0, nsec: 0 };
}

/** Ranks what is published (common/ranking/) before it reaches the bus and the journal. */
class RankingSink implements EventSink {
  /** Sees every event this instance publishes for itself (the SIEM exporter). */
  onLocal: ((e: TaplineEvent) => void) | null = null;
  /** Whether onLocal wants events of a kind (a log batch's events are built only then). */
  localWants: ((kind: string) => boolean) | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly journal: EventJournal,
    private readonly ranking: RankingConfig,
  ) {}

  /**
   * persist: whether the event itself goes to this store's journal (a remote's events live in
   * the remote's journal). The class-match and ranking events it causes are this instance's
   * own conclusions and are always kept.
   */
  publish(e: TaplineEvent, persist: boolean): void {
    const { event, derived } = rankEvent(this.ranking.ranker, e, true);
    this.bus.publish(event);
    for (const d of derived) this.bus.publish(d);
    const durable = persist ? [event, ...derived] : derived;
    if (durable.length) void this.journal.append(durable);
    if (this.onLocal) for (const d of durable) this.onLocal(d);
  }

  /**
   * Ranks events and resolves once they are in the journal; only then do they reach the bus
   * (log intake: a message counts as accepted when it is stored).
   */
  async publishDurable(events: TaplineEvent[], encoded?: EncodedLines): Promise<void> {
    const all: TaplineEvent[] = [];
    // lines encoded by the log intake are written as they are unless ranking changed the event
    let same = encoded !== undefined && encoded.lineEnds.length === events.length;
    for (const e of events) {
      const { event, derived } = rankEvent(this.ranking.ranker, e, true);
      if (event !== e || derived.length) same = false;
      all.push(event, ...derived);
    }
    if (same && encoded) await this.journal.appendEncoded(encoded.bytes);
    else await this.journal.append(all);
    this.publishStored(all);
  }

  /** Events now in the journal, to the bus and to this instance (the exporter). */
  private publishStored(all: readonly TaplineEvent[]): void {
    for (const e of all) this.bus.publish(e);
    if (this.onLocal) for (const e of all) this.onLocal(e);
  }

  /**
   * publishDurable for a UDP batch of the log intake (node/logs/log-event-batch.ts): ranked from
   * its table, written as its lines, published lazily (an event is built when a subscriber or
   * the exporter first needs it). A batch in which ranking derived events is written as before.
   */
  async publishDurableBatch(b: LogEventBatch): Promise<void> {
    const derived = rankLogBatch(this.ranking.ranker, b);
    if (derived.size) {
      const all: TaplineEvent[] = [];
      for (let i = 0; i < b.count; i++) all.push(b.event(i), ...(derived.get(i) ?? []));
      await this.journal.append(all);
      this.publishStored(all);
      return;
    }
    await this.journal.appendEncoded(b.lines().bytes);
    this.bus.publishLazy(b.count, b);
    if (this.onLocal && (this.localWants?.('log') ?? true)) for (let i = 0; i < b.count; i++) this.onLocal(b.event(i));
  }
}

export class TaplineServices {
  private readonly remotes = new Map<string, SensorBackend>();
  /** Remote sensors added by the user, persisted in STORE/sensors.json. */
  readonly sensorRegistry: SensorRegistry;
  /** Log receivers, intake, correlation and SIEM export (node/logs/, docs/LOGS.md). */
  readonly logs: LogService;
  /** Live capture on this store (capture workers; electron/services/capture-service.ts). */
  readonly capture: CaptureService;

  private constructor(
    readonly bus: EventBus,
    readonly local: LocalSensor,
    readonly tmpDir: string,
    private readonly log: (line: string) => void,
    private readonly sink: RankingSink,
    readonly ranking: RankingConfig,
    journal: EventJournal,
    captureLaunch: { command: string; args: string[] } | undefined,
  ) {
    this.capture = new CaptureService({ storeDir: local.store.dir, sensorId: local.id, publish: (e, persist) => sink.publish(e, persist), launch: captureLaunch, log });
    this.logs = new LogService({ store: local.store, journal, sensor: local.id, persist: (events) => sink.publishDurable(events), persistEncoded: (events, lines) => sink.publishDurable(events, lines), persistBatch: (b) => sink.publishDurableBatch(b), log });
    sink.onLocal = (e) => this.logs.onEvent(e);
    sink.localWants = (kind) => this.logs.wantsEvent(kind);
    this.sensorRegistry = new SensorRegistry(
      {
        localId: local.id,
        sensorIds: () => this.sensorIds,
        attach: (s) => this.addSensor(s),
        detach: (id) => this.removeSensor(id),
        log,
      },
      local.store.dir,
      (c) => new RemoteSensor({ id: c.id, url: c.url, token: c.token, fingerprint: c.fingerprint, bus, log }),
    );
  }

  static async open(opts: ServicesOptions): Promise<TaplineServices> {
    const log = opts.log ?? (() => undefined);
    const store = await Store.open(opts.storeDir, { create: true, log });
    const journal = await EventJournal.open(store.dir);
    const tmpDir = join(store.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const ranking = await RankingConfig.open(store.dir);
    const id = (opts.sensorId ?? hostname()).replace(/[^0-9A-Za-z._-]/g, '-').slice(0, 64) || 'local';
    const bus = new EventBus();
    const sink = new RankingSink(bus, journal, ranking);
    const local = new LocalSensor(id, opts.sensorName ?? id, store, sink, journal);
    const services = new TaplineServices(bus, local, tmpDir, log, sink, ranking, journal, opts.captureLaunch);
    // a damaged classes.json or threat-lists.json does not stop the store: say so, loudly
    for (const p of ranking.problems()) {
      log(p);
      local.notice('error', p);
    }
    return services;
  }

  get sensorIds(): string[] {
    return [this.local.id, ...this.remotes.keys()];
  }

  /** Registers a sensor (not persisted: see addRemoteSensor); its live events are ranked here. */
  addSensor(s: SensorBackend): void {
    if (s.id === this.local.id || this.remotes.has(s.id)) throw new ServiceError(`a sensor named ${s.id} is already registered`, 409);
    this.remotes.set(s.id, s);
    s.setPublisher?.((e) => this.sink.publish(e, false));
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

  /** Restores the remote sensors saved in STORE/sensors.json (once; later calls wait for it). */
  restoreSensors(): Promise<void> {
    return this.sensorRegistry.restore();
  }

  /** Adds a remote `tapline serve` (probed, pinned, persisted): Bridge.addSensor. */
  addRemoteSensor(input: AddSensor): Promise<Sensor> {
    return this.sensorRegistry.add(input);
  }

  /** Removes a remote sensor and forgets it: Bridge.removeSensor. */
  removeRemoteSensor(id: string): Promise<void> {
    return this.sensorRegistry.remove(id);
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
    // ranked after the limit (only rows returned cost anything); remote rows are re-ranked here
    const ranker = this.ranking.ranker;
    const page = rows.slice(0, q.limit ?? 1000);
    // the local store's rows get their log counts here (remote sensors count their own)
    const counts = await this.logs.flowLogCounts(page.filter((r) => r.sensor === this.local.id).map((r) => r.id));
    return page.map((r) => rankFlowRow(ranker, counts.has(r.id) && r.sensor === this.local.id ? { ...r, log_count: counts.get(r.id) } : r));
  }

  async searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    const events = await this.federate(this.pick(undefined), (s) => s.searchEvents(q));
    events.sort((a, b) => {
      const x = tsKey(a.ts);
      const y = tsKey(b.ts);
      return compareTs(y.sec, y.nsec, x.sec, x.nsec);
    });
    // searches show ranks under the current classes and lists, as flow searches do (the journal
    // keeps each event's rank at the time, with its class-match and ranking events)
    const ranker = this.ranking.ranker;
    return events.slice(0, q.limit ?? 1000).map((e) => rankEvent(ranker, e, false).event);
  }

  // ---- ranking and classification (common/ranking/, persisted by RankingConfig) ----

  listClasses(): Promise<EventClass[]> {
    return Promise.resolve().then(() => this.ranking.listClasses());
  }
  createClass(c: NewEventClass): Promise<EventClass> {
    return this.ranking.createClass(c);
  }
  updateClass(id: string, c: NewEventClass): Promise<EventClass> {
    return this.ranking.updateClass(id, c);
  }
  deleteClass(id: string): Promise<void> {
    return this.ranking.deleteClass(id);
  }
  listThreatLists(): Promise<ThreatList[]> {
    return Promise.resolve().then(() => this.ranking.listThreatLists());
  }
  createThreatList(l: NewThreatList): Promise<ThreatList> {
    return this.ranking.createThreatList(l);
  }
  updateThreatList(id: string, l: NewThreatList): Promise<ThreatList> {
    return this.ranking.updateThreatList(id, l);
  }
  deleteThreatList(id: string): Promise<void> {
    return this.ranking.deleteThreatList(id);
  }

  // ---- live capture: this store's capture workers, or a remote sensor's through its API ----

  /** The capture API of a sensor: this store's when sensor is absent or names it. */
  private captureOn(sensor: string | undefined): SensorCaptureApi {
    if (sensor === undefined || sensor === this.local.id) {
      const c = this.capture;
      return { listInterfaces: () => c.listInterfaces(), start: (r) => c.start(r), stop: (id) => c.stop(id), status: async () => c.status() };
    }
    const [s] = this.pick(sensor);
    if (!s.capture) throw new ServiceError(`sensor ${sensor} offers no live capture`, 501);
    return s.capture;
  }

  listInterfaces(t: CaptureTarget = {}): Promise<CaptureInterface[]> {
    return Promise.resolve().then(() => this.captureOn(t.sensor).listInterfaces());
  }

  /** Starts a capture on this store, or on the remote sensor req.sensor names (Bridge.startCapture). */
  startCapture(req: StartCapture): Promise<CaptureStatus> {
    const { sensor, ...rest } = req;
    return Promise.resolve().then(() => this.captureOn(sensor).start(rest));
  }

  stopCapture(id: string, t: CaptureTarget = {}): Promise<CaptureStatus> {
    return Promise.resolve().then(() => this.captureOn(t.sensor).stop(id));
  }

  captureStatus(t: CaptureTarget = {}): Promise<CaptureStatus[]> {
    return Promise.resolve().then(() => this.captureOn(t.sensor).status());
  }

  /** This store's capture gaps (segments/gaps.ndjson; Bridge.captureGaps, GET /api/captures/gaps). */
  captureGaps(opts: CaptureGapsOptions = {}): Promise<CaptureGaps> {
    return readCaptureGaps(this.local.store.dir, opts.limit);
  }

  async stats(): Promise<StoreStats[]> {
    return this.federate(this.pick(undefined), async (s) => [await s.stats()]);
  }

  async importPaths(paths: string[]): Promise<ImportResult[]> {
    const results = await this.local.importPaths(paths);
    await this.afterImport(results);
    return results;
  }

  /**
   * Imports an upload while it arrives (LocalSensor.importGrowing); null when it cannot be read
   * that way and must be imported once complete (importPaths).
   */
  async importGrowing(file: GrowingFile, fingerprint: string): Promise<ImportResult | null> {
    const r = await this.local.importGrowing(file, fingerprint);
    if (r) await this.afterImport([r]);
    return r;
  }

  /** What follows an import: syslog read from the new captures, earlier logs counted for their flows. */
  private async afterImport(results: ImportResult[]): Promise<void> {
    // syslog the new captures overheard becomes log events (idempotent: flows read once)
    try {
      const r = await this.logs.sniff();
      if (r.messages) this.log(`read ${r.messages} syslog messages from ${r.flows} captured flows`);
      for (const e of r.errors) this.local.notice('warning', `syslog in captures: ${e}`);
    } catch (e) {
      this.local.notice('error', `reading syslog from captures failed: ${(e as Error).message}`);
    }
    // logs received before these captures were imported count for their flows too (log_count)
    try {
      const ids = results.flatMap((r) => (r.capture_id && (r.status === 'indexed' || r.status === 'reindexed') ? [r.capture_id] : []));
      const b = await this.logs.backfillCounts(ids);
      if (b.links) this.log(`counted ${b.links} links from ${b.logs} earlier log events to the new flows`);
      for (const id of b.truncated) this.local.notice('warning', `capture ${id}: more logs in its time span than are linked again after an import; the rest are not counted`);
    } catch (e) {
      this.local.notice('error', `counting earlier logs for the new flows failed: ${(e as Error).message}`);
    }
  }

  /** The log events correlated with a flow of the local store (GET /api/flows/{id}/logs). */
  flowLogs(flowId: string, limit?: number): Promise<LogEvent[]> {
    return this.logs.flowLogs(flowId, limit);
  }

  /** The slice from the sensor that holds it (the local store unless target.sensor names another). */
  async slice(target: SliceTarget): Promise<SliceFile> {
    const [s] = this.pick(target.sensor);
    return s.slice(target, this.tmpDir);
  }

  /** A flow's reassembled payload from the sensor that holds it (default cap 1 MiB). */
  async followFlow(flowId: string, maxBytes: number = FOLLOW_DEFAULT_MAX_BYTES, sensor?: string): Promise<FollowResult> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > FOLLOW_MAX_BYTES) throw new ServiceError(`max_bytes must be 1..${FOLLOW_MAX_BYTES}`, 400);
    const [s] = this.pick(sensor);
    return s.followFlow(flowId, maxBytes);
  }

  /** The files carved from a flow (carved on first request; file events are published then). */
  async flowFiles(flowId: string, sensor?: string): Promise<CarvedFile[]> {
    const [s] = this.pick(sensor);
    return s.flowFiles(flowId);
  }

  /** A carved file's bytes; delete `path` afterwards when `temporary`. */
  async fileContent(sha256: string, sensor?: string): Promise<FileContent> {
    const [s] = this.pick(sensor);
    return s.fileContent(sha256, this.tmpDir);
  }

  async close(): Promise<void> {
    // a running capture writes and indexes what it received before the store closes
    await this.capture.close();
    // receivers stop and queued log messages are written before the bus closes
    await this.logs.close();
    this.bus.close();
    for (const r of this.remotes.values()) await r.close().catch(() => undefined);
    await this.ranking.flush();
    await this.local.close();
    this.log('services closed');
  }
}
