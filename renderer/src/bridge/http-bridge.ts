/**
 * The Bridge over HTTP + WebSocket, for `tapline serve` (the same UI as the desktop app, in a
 * browser). Everything it receives is checked against common/bridge/messages.ts.
 * Its environment (fetch, WebSocket, timers, how to start a download) is injected: the browser
 * wiring is in select-bridge.ts, and tests run it in Node.
 */
import { CaptureGapsOptionsSchema, CaptureGapsSchema, type CaptureGaps, type CaptureGapsOptions } from '../../../common/capture/capture-gap.js';
import { z } from 'zod';
import {
  CaptureIdSchema,
  CaptureInterfaceListSchema,
  CaptureStatusListSchema,
  CaptureStatusSchema,
  CaptureTargetSchema,
  StartCaptureSchema,
  type CaptureInterface,
  type CaptureStatus,
  type CaptureTarget,
  type StartCapture,
} from '../../../common/bridge/capture-messages.js';
import { BridgeCallError, filePath, type Bridge, type FileUrlOptions, type FollowOptions, type DownloadResult, type ImportFile, type Unsubscribe } from '../../../common/bridge/bridge.js';
import {
  AddSensorSchema,
  BackendInfoSchema,
  CarvedFileSchema,
  FlowIdSchema,
  FollowResultSchema,
  EventClassSchema,
  EventSchema,
  EventSearchSchema,
  FlowRowSchema,
  FlowSearchSchema,
  ImportResultSchema,
  NewEventClassSchema,
  NewThreatListSchema,
  SensorIdSchema,
  SensorSchema,
  SliceTargetSchema,
  StoreStatsSchema,
  ThreatListSchema,
  type AddSensor,
  type BackendInfo,
  type CarvedFile,
  type FollowResult,
  type EventBatch,
  type EventClass,
  type EventSearch,
  type FlowRow,
  type FlowSearch,
  type ImportResult,
  type NewEventClass,
  type NewThreatList,
  type Sensor,
  type SliceTarget,
  type StoreStats,
  type TaplineEvent,
  type ThreatList,
} from '../../../common/bridge/messages.js';
import { ApiClient, type FetchLike, type QueryValue } from './api-client.js';
import { Listeners, type ConnectionSource, type ConnectionState, type RejectionSource, type ServerFileSource, type TransferProgress, type TransferSource } from './capabilities.js';
import { ImportServerFileSchema, ServerFileSchema, type ServerFile } from '../../../common/bridge/server-files.js';
import type { LiveIntakeFactory } from './worker-intake.js';
import { LiveSocket, type SocketFactory } from './live-socket.js';
import { uploadAndImport } from './upload.js';

export interface HttpBridgeEnv {
  /** The server's origin, e.g. location.origin. */
  origin: string;
  fetch: FetchLike;
  openSocket: SocketFactory;
  /** Starts a browser download of url (an <a download> navigation). */
  startDownload(url: string, filename: string): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  now(): number;
  random(): number;
  /** Bytes per upload chunk (8 MiB; smaller in tests). */
  chunkBytes?: number;
  /** Where live batches are checked (the live-check worker); default: in the page, in time slices. */
  liveIntake?: LiveIntakeFactory;
}

/** Checks what the UI is about to send, so a mistake is reported here in words, not as a 400. */
function checkRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new BridgeCallError(
    `The ${what} is not valid: ${issue ? `${issue.path.join('.') || 'value'} ${issue.message}` : 'invalid'}.`,
    'Correct the highlighted field and try again.',
    null,
  );
}

/** "?sensor=<id>" for a capture call on a remote sensor, "" for this store (checked first). */
function sensorQuery(opts: CaptureTarget): string {
  const { sensor } = checkRequest(CaptureTargetSchema, opts, 'capture options');
  return sensor === undefined ? '' : `?sensor=${encodeURIComponent(sensor)}`;
}

export function flowSearchQuery(q: FlowSearch): Record<string, QueryValue> {
  return {
    host: q.hosts ?? [],
    port: q.port,
    proto: q.proto,
    since: q.since,
    until: q.until,
    community_id: q.community_id,
    limit: q.limit,
    sensor: q.sensor,
  };
}

export function sliceQuery(t: SliceTarget): { path: string; query: Record<string, QueryValue> } {
  if ('flow' in t) return { path: `/api/flows/${encodeURIComponent(t.flow)}/pcap`, query: { sensor: t.sensor } };
  return {
    path: '/pcap',
    query: { sip: t.sip, spt: t.spt, dip: t.dip, dpt: t.dpt, proto: t.proto, stime: t.stime, etime: t.etime, sensor: t.sensor },
  };
}

/** A file name for the browser to suggest; the server's Content-Disposition name wins when it sends one. */
export function suggestedPcapName(t: SliceTarget): string {
  const safe = (s: string): string => s.replace(/[^0-9A-Za-z.-]+/g, '-');
  if ('flow' in t) return `tapline_flow-${safe(t.flow)}.pcap`;
  const ep = (ip: string, p?: number): string => (p === undefined ? safe(ip) : `${safe(ip)}_${p}`);
  return `tapline_${ep(t.sip, t.spt)}-${ep(t.dip, t.dpt)}.pcap`;
}

export class HttpBridge implements Bridge, ConnectionSource, TransferSource, RejectionSource, ServerFileSource {
  private readonly api: ApiClient;
  private state: ConnectionState = { kind: 'connecting' };
  private readonly stateListeners = new Listeners<ConnectionState>();
  private readonly transferListeners = new Listeners<TransferProgress>();
  private readonly rejectionListeners = new Listeners<string>();

  constructor(private readonly env: HttpBridgeEnv) {
    this.api = new ApiClient(env.fetch, env.origin);
  }

  info(): Promise<BackendInfo> {
    return this.api.getJson('/api/info', BackendInfoSchema);
  }

  /** async: an invalid search rejects like any other failure instead of throwing. */
  async searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    const checked = checkRequest(FlowSearchSchema, q, 'flow search');
    return this.api.getJson('/api/flows', z.array(FlowRowSchema), flowSearchQuery(checked));
  }

  async searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    const c = checkRequest(EventSearchSchema, q, 'event search');
    return this.api.getJson('/api/events', z.array(EventSchema), { kind: c.kind, since: c.since, until: c.until, host: c.host, limit: c.limit });
  }

  stats(): Promise<StoreStats[]> {
    return this.api.getJson('/api/stats', z.array(StoreStatsSchema));
  }

  /**
   * Uploads and imports the files one after another (one file's memory at a time). A file that
   * fails becomes a 'failed' result with the reason, and the others go on; a lost session stops
   * the whole batch (every later file would fail the same way).
   */
  async importCaptures(files: ImportFile[]): Promise<ImportResult[]> {
    const results: ImportResult[] = [];
    for (const file of files) {
      try {
        const r = await uploadAndImport(
          this.api,
          file,
          {
            onUploaded: (sent, total) => this.transferListeners.emit({ file, phase: 'uploading', sent, total }),
            onIndexing: () => this.transferListeners.emit({ file, phase: 'indexing', sent: file.size, total: file.size }),
          },
          this.env.chunkBytes,
        );
        results.push(r);
      } catch (e) {
        if (e instanceof BridgeCallError && e.status === 401) throw e;
        const err = e instanceof BridgeCallError ? e : new BridgeCallError((e as Error).message);
        results.push({
          path: file.name,
          status: 'failed',
          capture_id: null,
          packets: 0,
          flows: 0,
          bytes: 0,
          index_bytes: 0,
          message: err.hint ? `${err.message} ${err.hint}` : err.message,
        });
      }
    }
    return results;
  }

  listServerFiles(): Promise<ServerFile[]> {
    return this.api.getJson('/api/server-files', z.array(ServerFileSchema));
  }

  /** Imports a file of the server's import directory in place: no upload, flows arrive while it is indexed. */
  async importServerFile(name: string): Promise<ImportResult> {
    const body = checkRequest(ImportServerFileSchema, { name }, 'server file import');
    return this.api.postJson('/api/server-files/import', body, ImportResultSchema);
  }

  async downloadPcap(target: SliceTarget): Promise<DownloadResult> {
    const t = checkRequest(SliceTargetSchema, target, 'slice request');
    const name = suggestedPcapName(t);
    this.env.startDownload(this.pcapUrl(t), name);
    return { saved: name };
  }

  pcapUrl(target: SliceTarget): string {
    const { path, query } = sliceQuery(target);
    return this.api.url(path, query);
  }

  async followStream(flowId: string, opts: FollowOptions = {}): Promise<FollowResult> {
    const id = checkRequest(FlowIdSchema, flowId, 'flow id');
    return this.api.getJson(`/api/flows/${id}/follow`, FollowResultSchema, { sensor: opts.sensor, max_bytes: opts.maxBytes });
  }

  async flowFiles(flowId: string, opts: { sensor?: string } = {}): Promise<CarvedFile[]> {
    const id = checkRequest(FlowIdSchema, flowId, 'flow id');
    return this.api.getJson(`/api/flows/${id}/files`, z.array(CarvedFileSchema), { sensor: opts.sensor });
  }

  fileUrl(sha256: string, opts: FileUrlOptions = {}): string {
    return `${this.env.origin.replace(/\/+$/, '')}${filePath(sha256, opts)}`;
  }

  subscribe(onBatch: (batch: EventBatch) => void, opts: { since?: number } = {}): Unsubscribe {
    const wsOrigin = this.env.origin.replace(/^http/, 'ws');
    const socket = new LiveSocket(
      {
        openSocket: this.env.openSocket,
        setTimer: this.env.setTimer,
        clearTimer: this.env.clearTimer,
        now: this.env.now,
        random: this.env.random,
        probeLoggedOut: () => this.probeLoggedOut(),
        liveIntake: this.env.liveIntake,
      },
      {
        url: (since) => `${wsOrigin}/api/live${since === undefined ? '' : `?since=${since}`}`,
        onBatch,
        onState: (s) => this.setState(s),
        onRejected: (detail) => this.rejectionListeners.emit(detail),
        since: opts.since,
      },
    );
    socket.start();
    return () => socket.stop();
  }

  // ---- sensors ----

  listSensors(): Promise<Sensor[]> {
    return this.api.getJson('/api/sensors', z.array(SensorSchema));
  }

  async addSensor(input: AddSensor): Promise<Sensor> {
    return this.api.postJson('/api/sensors', checkRequest(AddSensorSchema, input, 'sensor'), SensorSchema);
  }

  async removeSensor(id: string): Promise<void> {
    await this.api.delete(`/api/sensors/${encodeURIComponent(checkRequest(SensorIdSchema, id, 'sensor id'))}`);
  }

  // ---- ranking and classification ----

  listClasses(): Promise<EventClass[]> {
    return this.api.getJson('/api/classes', z.array(EventClassSchema));
  }

  async createClass(c: NewEventClass): Promise<EventClass> {
    return this.api.postJson('/api/classes', checkRequest(NewEventClassSchema, c, 'event class'), EventClassSchema);
  }

  async updateClass(id: string, c: NewEventClass): Promise<EventClass> {
    return this.api.putJson(`/api/classes/${encodeURIComponent(checkRequest(SensorIdSchema, id, 'class id'))}`, checkRequest(NewEventClassSchema, c, 'event class'), EventClassSchema);
  }

  async deleteClass(id: string): Promise<void> {
    await this.api.delete(`/api/classes/${encodeURIComponent(checkRequest(SensorIdSchema, id, 'class id'))}`);
  }

  listThreatLists(): Promise<ThreatList[]> {
    return this.api.getJson('/api/threat-lists', z.array(ThreatListSchema));
  }

  async createThreatList(l: NewThreatList): Promise<ThreatList> {
    return this.api.postJson('/api/threat-lists', checkRequest(NewThreatListSchema, l, 'threat list'), ThreatListSchema);
  }

  async updateThreatList(id: string, l: NewThreatList): Promise<ThreatList> {
    return this.api.putJson(`/api/threat-lists/${encodeURIComponent(checkRequest(SensorIdSchema, id, 'threat list id'))}`, checkRequest(NewThreatListSchema, l, 'threat list'), ThreatListSchema);
  }

  async deleteThreatList(id: string): Promise<void> {
    await this.api.delete(`/api/threat-lists/${encodeURIComponent(checkRequest(SensorIdSchema, id, 'threat list id'))}`);
  }

  // ---- live capture ----

  async listInterfaces(opts: CaptureTarget = {}): Promise<CaptureInterface[]> {
    return this.api.getJson(`/api/capture/interfaces${sensorQuery(opts)}`, CaptureInterfaceListSchema);
  }

  async startCapture(req: StartCapture): Promise<CaptureStatus> {
    return this.api.postJson('/api/captures', checkRequest(StartCaptureSchema, req, 'capture'), CaptureStatusSchema);
  }

  async stopCapture(id: string, opts: CaptureTarget = {}): Promise<CaptureStatus> {
    return this.api.postJson(`/api/captures/${encodeURIComponent(checkRequest(CaptureIdSchema, id, 'capture id'))}/stop${sensorQuery(opts)}`, {}, CaptureStatusSchema);
  }

  async captureStatus(opts: CaptureTarget = {}): Promise<CaptureStatus[]> {
    return this.api.getJson(`/api/captures${sensorQuery(opts)}`, CaptureStatusListSchema);
  }

  async captureGaps(opts: CaptureGapsOptions = {}): Promise<CaptureGaps> {
    const { limit } = checkRequest(CaptureGapsOptionsSchema, opts, 'capture gap options');
    return this.api.getJson(`/api/captures/gaps${limit !== undefined ? `?limit=${limit}` : ''}`, CaptureGapsSchema);
  }

  connectionState(): ConnectionState {
    return this.state;
  }

  onConnectionChange(cb: (s: ConnectionState) => void): Unsubscribe {
    return this.stateListeners.add(cb);
  }

  onTransferProgress(cb: (p: TransferProgress) => void): Unsubscribe {
    return this.transferListeners.add(cb);
  }

  onRejected(cb: (detail: string) => void): Unsubscribe {
    return this.rejectionListeners.add(cb);
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.stateListeners.emit(s);
  }

  private async probeLoggedOut(): Promise<boolean> {
    try {
      await this.info();
      return false;
    } catch (e) {
      return e instanceof BridgeCallError && e.status === 401;
    }
  }
}
