/** A Bridge for store tests: records calls, answers from queues the test fills. */
import { BridgeCallError, filePath, type Bridge, type FileUrlOptions, type FollowOptions, type DownloadResult, type ImportFile, type Unsubscribe } from '../../../common/bridge/bridge.js';
import {
  NewEventClassSchema,
  NewThreatListSchema,
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
import type { CaptureInterface, CaptureStatus, CaptureTarget, StartCapture } from '../../../common/bridge/capture-messages.js';
import type { CaptureGaps } from '../../../common/capture/capture-gap.js';

export class FakeBridge implements Bridge {
  searches: FlowSearch[] = [];
  /** Resolvers of searchFlows calls not answered yet. */
  pending: { resolve: (rows: FlowRow[]) => void; reject: (e: unknown) => void }[] = [];
  imports: ImportFile[][] = [];
  importAnswer: ((files: ImportFile[]) => Promise<ImportResult[]>) | null = null;
  listener: ((b: EventBatch) => void) | null = null;
  /** In-memory sensors, classes and threat lists (validated like the back end does). */
  sensorList: Sensor[] = [{ id: 'lab', name: 'Lab sensor', url: null, status: 'connected', message: null }];
  classList: EventClass[] = [];
  threatLists: ThreatList[] = [];
  /** Every state-changing call, in order: [method, ...args]. */
  changes: unknown[][] = [];
  /** When set, the next state-changing call fails with it. */
  failNext: BridgeCallError | null = null;
  private nextId = 1;

  private change(call: string, ...args: unknown[]): void {
    this.changes.push([call, ...args]);
    const f = this.failNext;
    this.failNext = null;
    if (f) throw f;
  }

  info(): Promise<BackendInfo> {
    return Promise.resolve({ version: 'test', sensors: [{ id: 'lab', name: 'Lab sensor', url: null, status: 'connected', message: null }], api_base: null });
  }
  searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    this.searches.push(q);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  searchEvents(_q: EventSearch): Promise<TaplineEvent[]> {
    return Promise.resolve([]);
  }
  stats(): Promise<StoreStats[]> {
    return Promise.resolve([]);
  }
  importCaptures(files: ImportFile[]): Promise<ImportResult[]> {
    this.imports.push(files);
    return this.importAnswer ? this.importAnswer(files) : Promise.resolve([]);
  }
  downloadPcap(_t: SliceTarget): Promise<DownloadResult> {
    return Promise.resolve({ saved: 'x.pcap' });
  }
  pcapUrl(_t: SliceTarget): string {
    return 'http://x/pcap';
  }
  /** Answers of followStream and flowFiles by flow id (tests fill them); missing ones reject with 404. */
  follows = new Map<string, FollowResult>();
  files = new Map<string, CarvedFile[]>();
  followStream(flowId: string, _opts?: FollowOptions): Promise<FollowResult> {
    const r = this.follows.get(flowId);
    return r ? Promise.resolve(structuredClone(r)) : Promise.reject(new BridgeCallError(`no flow ${flowId}`, null, 404));
  }
  flowFiles(flowId: string): Promise<CarvedFile[]> {
    const r = this.files.get(flowId);
    return r ? Promise.resolve(structuredClone(r)) : Promise.reject(new BridgeCallError(`no flow ${flowId}`, null, 404));
  }
  fileUrl(sha256: string, opts?: FileUrlOptions): string {
    return `http://x${filePath(sha256, opts)}`;
  }
  subscribe(onBatch: (b: EventBatch) => void): Unsubscribe {
    this.listener = onBatch;
    return () => {
      this.listener = null;
    };
  }
  async listSensors(): Promise<Sensor[]> {
    return this.sensorList.map((x) => ({ ...x }));
  }
  async addSensor(input: AddSensor): Promise<Sensor> {
    this.change('addSensor', input);
    const s: Sensor = { id: input.id, name: input.id, url: input.url, status: 'connecting', message: null };
    this.sensorList.push(s);
    return { ...s };
  }
  async removeSensor(id: string): Promise<void> {
    this.change('removeSensor', id);
    this.sensorList = this.sensorList.filter((s) => s.id !== id);
  }
  async listClasses(): Promise<EventClass[]> {
    return structuredClone(this.classList);
  }
  async createClass(c: NewEventClass): Promise<EventClass> {
    this.change('createClass', c);
    const made: EventClass = { id: `class-${this.nextId++}`, ...NewEventClassSchema.parse(c) };
    this.classList.push(made);
    return structuredClone(made);
  }
  async updateClass(id: string, c: NewEventClass): Promise<EventClass> {
    this.change('updateClass', id, c);
    const made: EventClass = { id, ...NewEventClassSchema.parse(c) };
    this.classList = this.classList.map((x) => (x.id === id ? made : x));
    return structuredClone(made);
  }
  async deleteClass(id: string): Promise<void> {
    this.change('deleteClass', id);
    this.classList = this.classList.filter((x) => x.id !== id);
  }
  async listThreatLists(): Promise<ThreatList[]> {
    return structuredClone(this.threatLists);
  }
  async createThreatList(l: NewThreatList): Promise<ThreatList> {
    this.change('createThreatList', l);
    const made: ThreatList = { id: `list-${this.nextId++}`, ...NewThreatListSchema.parse(l) };
    this.threatLists.push(made);
    return structuredClone(made);
  }
  async updateThreatList(id: string, l: NewThreatList): Promise<ThreatList> {
    this.change('updateThreatList', id, l);
    const made: ThreatList = { id, ...NewThreatListSchema.parse(l) };
    this.threatLists = this.threatLists.map((x) => (x.id === id ? made : x));
    return structuredClone(made);
  }
  async deleteThreatList(id: string): Promise<void> {
    this.change('deleteThreatList', id);
    this.threatLists = this.threatLists.filter((x) => x.id !== id);
  }
  async listInterfaces(_opts?: CaptureTarget): Promise<CaptureInterface[]> {
    return [{ name: 'lo', description: null, addresses: ['127.0.0.1'], up: true, loopback: true }];
  }
  async startCapture(req: StartCapture): Promise<CaptureStatus> {
    this.change('startCapture', req);
    throw new BridgeCallError('the fake bridge does not capture');
  }
  async stopCapture(id: string, _opts?: CaptureTarget): Promise<CaptureStatus> {
    this.change('stopCapture', id);
    throw new BridgeCallError(`no capture ${id}`);
  }
  async captureStatus(_opts?: CaptureTarget): Promise<CaptureStatus[]> {
    return [];
  }
  /** What captureGaps answers (tests set it). */
  gaps: CaptureGaps = { gaps: [], total: 0, unreadableLines: 0 };
  /** When set, captureGaps fails with it. */
  gapsFailure: BridgeCallError | null = null;
  async captureGaps(opts?: { limit?: number }): Promise<CaptureGaps> {
    if (this.gapsFailure) throw this.gapsFailure;
    const g = this.gaps;
    return opts?.limit !== undefined && g.gaps.length > opts.limit ? { ...g, gaps: g.gaps.slice(-opts.limit) } : g;
  }
  /** Answers the oldest unanswered search. */
  answer(rows: FlowRow[]): void {
    const p = this.pending.shift();
    if (!p) throw new Error('no search pending');
    p.resolve(rows);
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
