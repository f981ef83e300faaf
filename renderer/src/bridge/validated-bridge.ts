/**
 * Wraps a bridge the renderer did not write (the Electron preload's `window.taplineBridge`) so
 * that everything it returns or delivers is checked against the message schemas, like the HTTP
 * bridge checks what the server sends. A value that fails becomes a BridgeCallError in words.
 */
import { CaptureGapsSchema, type CaptureGaps, type CaptureGapsOptions } from '../../../common/capture/capture-gap.js';
import { z } from 'zod';
import { CaptureInterfaceListSchema, CaptureStatusListSchema, CaptureStatusSchema, type CaptureInterface, type CaptureStatus, type CaptureTarget, type StartCapture } from '../../../common/bridge/capture-messages.js';
import { BRIDGE_METHODS, BridgeCallError, type Bridge, type FileUrlOptions, type FollowOptions, type DownloadResult, type ImportFile, type Unsubscribe } from '../../../common/bridge/bridge.js';
import {
  BackendInfoSchema,
  CarvedFileSchema,
  EventClassSchema,
  EventSchema,
  FlowRowSchema,
  FollowResultSchema,
  ImportResultSchema,
  SensorSchema,
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
import { invalidResponse } from './api-client.js';
import { SlicedBatchIntake, type IntakeEnv } from './sliced-intake.js';
import { takesText, type LiveIntakeFactory } from './worker-intake.js';
import { Listeners, type ConnectionSource, type ConnectionState, type RejectionSource } from './capabilities.js';

const DownloadResultSchema = z.object({ saved: z.string().nullable() });
/** What a delete returns across contextBridge: nothing. */
const NothingSchema = z.union([z.undefined(), z.null()]);

/** Whether a value has every Bridge method (the preload's object, if there is one). */
export function looksLikeBridge(v: unknown): v is Bridge {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return BRIDGE_METHODS.every((m) => typeof o[m] === 'function');
}

/**
 * Errors thrown across Electron's contextBridge arrive as plain Errors: keep the message, and the
 * hint and status when they survived as properties.
 */
export function toBridgeError(e: unknown): BridgeCallError {
  if (e instanceof BridgeCallError) return e;
  const o = typeof e === 'object' && e !== null ? (e as { message?: unknown; hint?: unknown; status?: unknown }) : {};
  return new BridgeCallError(
    typeof o.message === 'string' ? o.message : String(e),
    typeof o.hint === 'string' ? o.hint : null,
    typeof o.status === 'number' ? o.status : null,
  );
}

async function checked<S extends z.ZodType>(call: () => Promise<unknown>, schema: S, what: string): Promise<z.infer<S>> {
  let v: unknown;
  try {
    v = await call();
  } catch (e) {
    throw toBridgeError(e);
  }
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw invalidResponse(what, issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid');
}

export class ValidatedBridge implements Bridge, ConnectionSource, RejectionSource {
  private readonly rejections = new Listeners<string>();

  constructor(
    private readonly inner: Bridge,
    /** Slicing of live batches (default: MessageChannel tasks in a page, timers elsewhere). */
    private readonly intakeEnv?: IntakeEnv,
    /** Where live batches are checked (the live-check worker); default: in the page, in time slices. */
    private readonly liveIntake?: LiveIntakeFactory,
  ) {}

  info(): Promise<BackendInfo> {
    return checked(() => this.inner.info(), BackendInfoSchema, 'info');
  }
  searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    return checked(() => this.inner.searchFlows(q), z.array(FlowRowSchema), 'searchFlows');
  }
  searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    return checked(() => this.inner.searchEvents(q), z.array(EventSchema), 'searchEvents');
  }
  stats(): Promise<StoreStats[]> {
    return checked(() => this.inner.stats(), z.array(StoreStatsSchema), 'stats');
  }
  importCaptures(files: ImportFile[]): Promise<ImportResult[]> {
    return checked(() => this.inner.importCaptures(files), z.array(ImportResultSchema), 'importCaptures');
  }
  downloadPcap(target: SliceTarget): Promise<DownloadResult> {
    return checked(() => this.inner.downloadPcap(target), DownloadResultSchema, 'downloadPcap');
  }
  pcapUrl(target: SliceTarget): string {
    let url: unknown;
    try {
      url = this.inner.pcapUrl(target);
    } catch (e) {
      throw toBridgeError(e);
    }
    if (typeof url !== 'string') throw invalidResponse('pcapUrl', 'not a string');
    return url;
  }
  followStream(flowId: string, opts?: FollowOptions): Promise<FollowResult> {
    return checked(() => this.inner.followStream(flowId, opts), FollowResultSchema, 'followStream');
  }
  flowFiles(flowId: string, opts?: { sensor?: string }): Promise<CarvedFile[]> {
    return checked(() => this.inner.flowFiles(flowId, opts), z.array(CarvedFileSchema), 'flowFiles');
  }
  fileUrl(sha256: string, opts?: FileUrlOptions): string {
    let url: unknown;
    try {
      url = this.inner.fileUrl(sha256, opts);
    } catch (e) {
      throw toBridgeError(e);
    }
    // only http(s) URLs, or the desktop app's own origin, may become <img src> or download links
    if (typeof url !== 'string' || !/^(https?:\/\/|app:\/\/tapline\/)/.test(url)) throw invalidResponse('fileUrl', 'not an http(s) or app://tapline/ URL');
    return url;
  }
  listSensors(): Promise<Sensor[]> {
    return checked(() => this.inner.listSensors(), z.array(SensorSchema), 'listSensors');
  }
  addSensor(s: AddSensor): Promise<Sensor> {
    return checked(() => this.inner.addSensor(s), SensorSchema, 'addSensor');
  }
  async removeSensor(id: string): Promise<void> {
    await checked(() => this.inner.removeSensor(id), NothingSchema, 'removeSensor');
  }
  listClasses(): Promise<EventClass[]> {
    return checked(() => this.inner.listClasses(), z.array(EventClassSchema), 'listClasses');
  }
  createClass(c: NewEventClass): Promise<EventClass> {
    return checked(() => this.inner.createClass(c), EventClassSchema, 'createClass');
  }
  updateClass(id: string, c: NewEventClass): Promise<EventClass> {
    return checked(() => this.inner.updateClass(id, c), EventClassSchema, 'updateClass');
  }
  async deleteClass(id: string): Promise<void> {
    await checked(() => this.inner.deleteClass(id), NothingSchema, 'deleteClass');
  }
  listThreatLists(): Promise<ThreatList[]> {
    return checked(() => this.inner.listThreatLists(), z.array(ThreatListSchema), 'listThreatLists');
  }
  createThreatList(l: NewThreatList): Promise<ThreatList> {
    return checked(() => this.inner.createThreatList(l), ThreatListSchema, 'createThreatList');
  }
  updateThreatList(id: string, l: NewThreatList): Promise<ThreatList> {
    return checked(() => this.inner.updateThreatList(id, l), ThreatListSchema, 'updateThreatList');
  }
  async deleteThreatList(id: string): Promise<void> {
    await checked(() => this.inner.deleteThreatList(id), NothingSchema, 'deleteThreatList');
  }
  listInterfaces(opts?: CaptureTarget): Promise<CaptureInterface[]> {
    return checked(() => this.inner.listInterfaces(opts), CaptureInterfaceListSchema, 'listInterfaces');
  }
  startCapture(req: StartCapture): Promise<CaptureStatus> {
    return checked(() => this.inner.startCapture(req), CaptureStatusSchema, 'startCapture');
  }
  stopCapture(id: string, opts?: CaptureTarget): Promise<CaptureStatus> {
    return checked(() => this.inner.stopCapture(id, opts), CaptureStatusSchema, 'stopCapture');
  }
  captureStatus(opts?: CaptureTarget): Promise<CaptureStatus[]> {
    return checked(() => this.inner.captureStatus(opts), CaptureStatusListSchema, 'captureStatus');
  }
  captureGaps(opts?: CaptureGapsOptions): Promise<CaptureGaps> {
    return checked(() => this.inner.captureGaps(opts), CaptureGapsSchema, 'captureGaps');
  }

  subscribe(onBatch: (batch: EventBatch) => void, opts?: { since?: number }): Unsubscribe {
    // validated and delivered in time slices, so a burst never blocks the page for long
    const onRejected = (d: string) => this.rejections.emit(d);
    const intake = this.liveIntake ? this.liveIntake({ deliver: onBatch, onRejected }) : new SlicedBatchIntake(onBatch, onRejected, this.intakeEnv);
    const stop = this.inner.subscribe((raw: unknown) => void intake.push(raw), opts);
    return () => {
      stop();
      if (takesText(intake)) intake.close();
      else intake.clear();
    };
  }

  /** IPC has no network link to lose. */
  connectionState(): ConnectionState {
    return { kind: 'local' };
  }
  onConnectionChange(): Unsubscribe {
    return () => undefined;
  }
  onRejected(cb: (detail: string) => void): Unsubscribe {
    return this.rejections.add(cb);
  }
}
