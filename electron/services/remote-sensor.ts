/**
 * A remote `tapline serve` as a sensor: searches and stats over its API, slices downloaded into a
 * temporary file, and its live events republished on the local bus. Rows and events carry this
 * sensor's registered id, so a slice request for them comes back here. The remote is asked only
 * about its own store (sensor=<its local id>), never about sensors it federates itself.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type WebSocket from 'ws';
import { z } from 'zod';
import type { EventBus } from '../../common/bridge/event-bus.js';
import {
  BackendInfoSchema,
  CarvedFileSchema,
  EventBatchSchema,
  FollowResultSchema,
  EventSchema,
  FlowRowSchema,
  StoreStatsSchema,
  type BackendInfo,
  type CarvedFile,
  type FollowResult,
  type EventSearch,
  type FlowRow,
  type FlowSearch,
  type Sensor,
  type SliceTarget,
  type StoreStats,
  type TaplineEvent,
} from '../../common/bridge/messages.js';
import { CaptureInterfaceListSchema, CaptureStatusListSchema, CaptureStatusSchema, type StartCapture } from '../../common/bridge/capture-messages.js';
import { PinMismatchError, RemoteAuthError, RemoteClient } from './remote-client.js';
import { rm, stat } from 'node:fs/promises';
import { detectType } from '../../node/carve/detect-type.js';
import { ServiceError, type FileContent, type SensorBackend, type SensorCaptureApi, type SliceFile } from './sensor-backend.js';

export interface RemoteSensorOptions {
  id: string;
  name?: string;
  url: string;
  token: string;
  fingerprint: string | null;
  bus: EventBus;
  log?: (line: string) => void;
  /** Reconnect backoff: first delay and ceiling (default 1 s and 60 s). */
  backoffMs?: { initial: number; max: number };
  /** The server pings every 30 s; no ping for this long means the link is dead (default 75 s). */
  silenceMs?: number;
}

type Status = Sensor['status'];

function nowTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

export class RemoteSensor implements SensorBackend {
  readonly id: string;
  private readonly name: string;
  private readonly client: RemoteClient;
  private readonly bus: EventBus;
  private readonly log: (line: string) => void;
  private readonly backoff: { initial: number; max: number };
  private readonly silenceMs: number;
  private status: Status = 'connecting';
  private message: string | null = null;
  /** When the status last changed (epoch seconds text), for the sensor window's uptime. */
  private statusSince = nowTs();
  /** The remote's own sensor id (learned from its /api/info). */
  private remoteId: string | null = null;
  private lastSeq: number | undefined;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Set by the services on registration: ranks and publishes (see SensorBackend.setPublisher). */
  private publisher: ((e: TaplineEvent) => void) | null = null;

  constructor(opts: RemoteSensorOptions) {
    this.id = opts.id;
    this.name = opts.name ?? opts.id;
    this.bus = opts.bus;
    this.log = opts.log ?? (() => undefined);
    this.backoff = opts.backoffMs ?? { initial: 1000, max: 60_000 };
    this.silenceMs = opts.silenceMs ?? 75_000;
    this.client = new RemoteClient({ url: opts.url, token: opts.token, fingerprint: opts.fingerprint }, opts.id);
  }

  get url(): string {
    return this.client.endpoint.url;
  }

  /**
   * Capture on the remote sensor through its own API (its capture worker, its store), with the
   * token it was registered with. The request names no sensor: the remote captures into its own
   * store. Its `capture` status events reach this instance over the live link like any other.
   */
  readonly capture: SensorCaptureApi = {
    listInterfaces: () => this.call(() => this.client.getJson('/api/capture/interfaces', {}, CaptureInterfaceListSchema)),
    start: (req: StartCapture) => {
      const { sensor: _mine, ...forRemote } = req;
      return this.call(() => this.client.json('POST', '/api/captures', {}, forRemote, CaptureStatusSchema));
    },
    stop: (id: string) => this.call(() => this.client.json('POST', `/api/captures/${encodeURIComponent(id)}/stop`, {}, {}, CaptureStatusSchema)),
    status: () => this.call(() => this.client.getJson('/api/captures', {}, CaptureStatusListSchema)),
  };

  setPublisher(publish: (e: TaplineEvent) => void): void {
    this.publisher = publish;
  }

  describe(): Sensor {
    return { id: this.id, name: this.name, url: this.client.endpoint.url, status: this.status, message: this.message, status_since: this.statusSince };
  }

  /** Starts the live link (and keeps it up until close()). */
  start(): void {
    void this.connect();
  }

  /** Asks the sensor who it is; the first call also learns its local sensor id. */
  async probe(): Promise<BackendInfo> {
    const info = await this.call(() => this.client.getJson('/api/info', {}, BackendInfoSchema));
    const local = info.sensors.find((s) => s.url === null);
    if (!local) throw new ServiceError(`sensor ${this.id} did not name its local store in /api/info`, 502);
    this.remoteId = local.id;
    return info;
  }

  private async remote(): Promise<string> {
    if (this.remoteId === null) await this.probe();
    return this.remoteId as string;
  }

  /** Maps transport failures to ServiceErrors (502) that name the sensor and say what to do. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      let err: ServiceError;
      if (e instanceof PinMismatchError) err = new ServiceError(`sensor ${this.id}: ${e.message}`, 502, 'if the sensor really has a new certificate, remove the sensor and add it again with the fingerprint its tapline serve prints');
      else if (e instanceof RemoteAuthError) err = new ServiceError(e.message, 502, 'the token may have changed: remove the sensor and add it again with its current token');
      else err = new ServiceError(`sensor ${this.id} is not reachable: ${(e as Error).message}`, 502, 'check that its tapline serve is running and reachable from here');
      err.cause = e;
      throw err;
    }
  }

  private own<T extends { sensor: string }>(x: T): T {
    return { ...x, sensor: this.id };
  }

  private ownEvent(e: TaplineEvent): TaplineEvent {
    if (e.kind === 'flow') return { ...e, sensor: this.id, flow: this.own(e.flow) };
    if (e.kind === 'file') return { ...e, sensor: this.id, file: this.own(e.file) };
    return this.own(e);
  }

  async searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    const sensor = await this.remote();
    const rows = await this.call(() =>
      this.client.getJson(
        '/api/flows',
        {
          host: q.hosts,
          port: q.port === undefined ? undefined : String(q.port),
          proto: q.proto === undefined ? undefined : String(q.proto),
          since: q.since,
          until: q.until,
          community_id: q.community_id,
          limit: q.limit === undefined ? undefined : String(q.limit),
          sensor,
        },
        z.array(FlowRowSchema),
      ),
    );
    return rows.map((r) => this.own(r));
  }

  async searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    const sensor = await this.remote();
    const events = await this.call(() =>
      this.client.getJson(
        '/api/events',
        { kind: q.kind, since: q.since, until: q.until, host: q.host, limit: q.limit === undefined ? undefined : String(q.limit) },
        z.array(EventSchema),
      ),
    );
    // the remote answers for every sensor it federates; keep its own store's events, and not the
    // class-match/ranking events of its classes (this instance ranks with its own)
    return events.filter((e) => e.sensor === sensor && e.kind !== 'class-match' && e.kind !== 'ranking').map((e) => this.ownEvent(e));
  }

  async stats(): Promise<StoreStats> {
    const sensor = await this.remote();
    const all = await this.call(() => this.client.getJson('/api/stats', {}, z.array(StoreStatsSchema)));
    const mine = all.find((s) => s.sensor === sensor);
    if (!mine) throw new ServiceError(`sensor ${this.id} sent no statistics for its store`, 502);
    return this.own(mine);
  }

  async followFlow(flowId: string, maxBytes: number): Promise<FollowResult> {
    const sensor = await this.remote();
    const r = await this.call(() => this.client.getJson(`/api/flows/${encodeURIComponent(flowId)}/follow`, { sensor, max_bytes: String(maxBytes) }, FollowResultSchema));
    return this.own(r);
  }

  async flowFiles(flowId: string): Promise<CarvedFile[]> {
    const sensor = await this.remote();
    const files = await this.call(() => this.client.getJson(`/api/flows/${encodeURIComponent(flowId)}/files`, { sensor }, z.array(CarvedFileSchema)));
    return files.map((f) => this.own(f));
  }

  /** Downloads the file (the remote serves risky types as octet-stream), then types it from its bytes. */
  async fileContent(sha256: string, tmpDir: string): Promise<FileContent> {
    const sensor = await this.remote();
    const dest = join(tmpDir, `remote-file-${randomBytes(8).toString('hex')}`);
    await this.call(() => this.client.download(`/api/files/${encodeURIComponent(sha256)}`, { sensor, download: '1' }, dest));
    try {
      const { size } = await stat(dest);
      return { path: dest, size, mime: (await detectType(dest, size)).mime, temporary: true };
    } catch (e) {
      await rm(dest, { force: true });
      throw e;
    }
  }

  async slice(target: SliceTarget, tmpDir: string): Promise<SliceFile> {
    const sensor = await this.remote();
    const dest = join(tmpDir, `remote-${randomBytes(8).toString('hex')}.pcap`);
    const req =
      'flow' in target
        ? { path: `/api/flows/${encodeURIComponent(target.flow)}/pcap`, query: { sensor } }
        : {
            path: '/pcap',
            query: {
              sip: target.sip,
              spt: target.spt === undefined ? undefined : String(target.spt),
              dip: target.dip,
              dpt: target.dpt === undefined ? undefined : String(target.dpt),
              proto: target.proto === undefined ? undefined : String(target.proto),
              stime: target.stime,
              etime: target.etime,
              sensor,
            },
          };
    const d = await this.call(() => this.client.download(req.path, req.query, dest));
    const pcapng = d.contentType?.startsWith('application/x-pcapng') ?? false;
    return {
      path: dest,
      filename: d.filename ?? `tapline_${this.id}_slice.${pcapng ? 'pcapng' : 'pcap'}`,
      packets: d.packets ?? 0,
      contentType: pcapng ? 'application/x-pcapng' : 'application/vnd.tcpdump.pcap',
    };
  }

  // ---- the live link ----

  private setStatus(status: Status, message: string | null): void {
    if (status !== this.status || message !== this.message) this.log(`sensor ${this.id}: ${status}${message ? ` (${message})` : ''}`);
    if (status !== this.status) this.statusSince = nowTs();
    this.status = status;
    this.message = message;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.setStatus(this.attempt === 0 ? 'connecting' : this.status, this.message);
    try {
      await this.probe();
    } catch (e) {
      this.failed(e);
      return;
    }
    if (this.closed) return;
    const ws = this.client.openLive(this.lastSeq);
    this.socket = ws;
    let failure: unknown = null;
    ws.on('open', () => {
      this.attempt = 0;
      this.setStatus('connected', null);
      this.armSilence(ws);
    });
    ws.on('ping', () => this.armSilence(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.armSilence(ws);
      if (isBinary) return;
      this.deliver(data.toString('utf8'));
    });
    ws.on('unexpected-response', (_req, res) => {
      failure = res.statusCode === 401 || res.statusCode === 403 ? new RemoteAuthError(`sensor ${this.id} refused the live stream (HTTP ${res.statusCode})`) : new Error(`the live stream was refused (HTTP ${res.statusCode})`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (e) => {
      failure ??= e;
    });
    ws.on('close', (code, reason) => {
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      if (this.socket === ws) this.socket = null;
      if (this.closed) return;
      this.failed(failure ?? new Error(`the live stream closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`));
    });
  }

  private deliver(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.log(`sensor ${this.id}: ignored a live message that is not JSON`);
      return;
    }
    const r = EventBatchSchema.safeParse(json);
    if (!r.success) {
      this.log(`sensor ${this.id}: ignored a live message that does not match the API`);
      return;
    }
    this.lastSeq = r.data.seq;
    for (const e of r.data.events) {
      if (e.sensor !== this.remoteId) continue;
      // the remote's class-match and ranking events follow ITS classes; this instance derives its own
      if (e.kind === 'class-match' || e.kind === 'ranking') continue;
      const own = this.ownEvent(e);
      if (this.publisher) this.publisher(own);
      else this.bus.publish(own);
    }
  }

  private armSilence(ws: WebSocket): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => ws.terminate(), this.silenceMs);
    this.silenceTimer.unref();
  }

  /** Records why the link is down and schedules the next try with exponential backoff and jitter. */
  private failed(e: unknown): void {
    if (this.closed) return;
    const err = e instanceof Error ? e : new Error(String(e));
    // a wrong certificate or token will not fix itself: 'error'; anything else is 'offline'
    const cause = err instanceof ServiceError && err.cause !== undefined ? err.cause : err;
    const fatalish = cause instanceof PinMismatchError || cause instanceof RemoteAuthError;
    this.setStatus(fatalish ? 'error' : 'offline', err.message);
    const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.retryTimer = setTimeout(() => void this.connect(), delay * (0.5 + Math.random() * 0.5));
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.socket?.terminate();
    this.socket = null;
    this.client.close();
  }
}
