/**
 * The one contract between the renderer and the back end. Two implementations: Electron IPC
 * through the preload's contextBridge, and HTTP + WebSocket for `serve` mode. The renderer only
 * ever sees this interface. Every value crossing it is checked against common/bridge/messages.ts
 * on the receiving side.
 */
import type {
  AddSensor,
  BackendInfo,
  CarvedFile,
  EventBatch,
  EventClass,
  EventSearch,
  FlowRow,
  FlowSearch,
  FollowResult,
  ImportResult,
  NewEventClass,
  NewThreatList,
  Sensor,
  SliceTarget,
  StoreStats,
  TaplineEvent,
  ThreatList,
} from './messages.js';
import type { CaptureInterface, CaptureStatus, CaptureTarget, StartCapture } from './capture-messages.js';
import type { CaptureGaps } from '../capture/capture-gap.js';

/**
 * A capture the analyst dropped or picked. A DOM File satisfies it; the Electron bridge reads
 * the file's path, the HTTP bridge uploads it in chunks (bounded memory).
 */
export interface ImportFile {
  readonly name: string;
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export interface DownloadResult {
  /** Where the slice went (a path on the desktop, the file name in the browser), or null if cancelled. */
  saved: string | null;
}

export type Unsubscribe = () => void;

export interface FollowOptions {
  sensor?: string;
  /** Payload cap, both directions together (default 1 MiB). */
  maxBytes?: number;
}

export interface FileUrlOptions {
  sensor?: string;
  /** As an attachment (a download) rather than an inline preview. */
  download?: boolean;
  /** Suggested file name for the download (the server sanitizes it). */
  name?: string;
}

/**
 * Path and query of a carved file on the API (GET /api/files/{sha256}). The server never serves
 * it as a type a browser renders (HTML, SVG, scripts become text/plain or attachments).
 */
export function filePath(sha256: string, opts: FileUrlOptions = {}): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new BridgeCallError(`fileUrl: "${String(sha256).slice(0, 80)}" is not a SHA-256`);
  const q: string[] = [];
  if (opts.sensor !== undefined) q.push(`sensor=${encodeURIComponent(opts.sensor)}`);
  if (opts.download) q.push('download=1');
  if (opts.name) q.push(`name=${encodeURIComponent(opts.name.slice(0, 200))}`);
  return `/api/files/${sha256}${q.length ? `?${q.join('&')}` : ''}`;
}

export interface Bridge {
  info(): Promise<BackendInfo>;
  searchFlows(q: FlowSearch): Promise<FlowRow[]>;
  searchEvents(q: EventSearch): Promise<TaplineEvent[]>;
  stats(): Promise<StoreStats[]>;
  /** Imports captures; progress and results also arrive as events. */
  importCaptures(files: ImportFile[]): Promise<ImportResult[]>;
  /** Saves the slice of a flow or tuple as a capture file. */
  downloadPcap(target: SliceTarget): Promise<DownloadResult>;
  /** A CapMe-style URL for the slice (for "Copy as CapMe URL"). */
  pcapUrl(target: SliceTarget): string;
  /** Live events in batches; `since` resumes after a sequence number (replay buffer). */
  subscribe(onBatch: (batch: EventBatch) => void, opts?: { since?: number }): Unsubscribe;

  // ---- payload: follow stream and carved files ----
  /** A TCP/UDP flow's reassembled payload in order (both directions, gaps marked). */
  followStream(flowId: string, opts?: FollowOptions): Promise<FollowResult>;
  /** The files carved from a flow (carved on first request). */
  flowFiles(flowId: string, opts?: { sensor?: string }): Promise<CarvedFile[]>;
  /** URL of a carved file's bytes (preview or download); throws when the back end serves no URLs. */
  fileUrl(sha256: string, opts?: FileUrlOptions): string;

  // ---- sensors: this store first, then remote `tapline serve` sensors ----
  listSensors(): Promise<Sensor[]>;
  /** Probes the sensor (pinned certificate, token), persists it, and starts its live link. */
  addSensor(s: AddSensor): Promise<Sensor>;
  removeSensor(id: string): Promise<void>;

  // ---- ranking and classification (applies to live events and to every later search) ----
  listClasses(): Promise<EventClass[]>;
  createClass(c: NewEventClass): Promise<EventClass>;
  updateClass(id: string, c: NewEventClass): Promise<EventClass>;
  deleteClass(id: string): Promise<void>;
  listThreatLists(): Promise<ThreatList[]>;
  createThreatList(l: NewThreatList): Promise<ThreatList>;
  updateThreatList(id: string, l: NewThreatList): Promise<ThreatList>;
  deleteThreatList(id: string): Promise<void>;

  // ---- live capture (capture workers; status also arrives as `capture` events) ----
  // On this store, or with `sensor` on a registered remote `serve` sensor (proxied with its token).
  listInterfaces(opts?: CaptureTarget): Promise<CaptureInterface[]>;
  /** Starts a capture; rejects in words (bad filter, no privilege: the hint says how to grant it). */
  startCapture(req: StartCapture): Promise<CaptureStatus>;
  /** Stops a capture after everything received is written and indexed; the final status. */
  stopCapture(id: string, opts?: CaptureTarget): Promise<CaptureStatus>;
  /** Running and recently finished captures of one sensor (this store by default). */
  captureStatus(opts?: CaptureTarget): Promise<CaptureStatus[]>;
  /**
   * Spans this store's live capture could not record (an ssh feed lost, a restarted remote
   * tcpdump), oldest first; the newest `limit` (default 1000) when there are more.
   */
  captureGaps(opts?: { limit?: number }): Promise<CaptureGaps>;
}

/** The Bridge's methods by name (bridges the renderer did not build are checked against it). */
export const BRIDGE_METHODS = [
  'info',
  'searchFlows',
  'searchEvents',
  'stats',
  'importCaptures',
  'downloadPcap',
  'pcapUrl',
  'subscribe',
  'followStream',
  'flowFiles',
  'fileUrl',
  'listSensors',
  'addSensor',
  'removeSensor',
  'listClasses',
  'createClass',
  'updateClass',
  'deleteClass',
  'listThreatLists',
  'createThreatList',
  'updateThreatList',
  'deleteThreatList',
  'listInterfaces',
  'startCapture',
  'stopCapture',
  'captureStatus',
  'captureGaps',
] as const satisfies readonly (keyof Bridge)[];

/** Thrown by bridge calls: the message says what went wrong, the hint what to do next. */
export class BridgeCallError extends Error {
  constructor(
    message: string,
    readonly hint: string | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'BridgeCallError';
  }
}
