/** A Bridge for store tests: records calls, answers from queues the test fills. */
import type { Bridge, DownloadResult, ImportFile, Unsubscribe } from '../../../common/bridge/bridge.js';
import type { BackendInfo, EventBatch, EventSearch, FlowRow, FlowSearch, ImportResult, SliceTarget, StoreStats, TaplineEvent } from '../../../common/bridge/messages.js';

export class FakeBridge implements Bridge {
  searches: FlowSearch[] = [];
  /** Resolvers of searchFlows calls not answered yet. */
  pending: { resolve: (rows: FlowRow[]) => void; reject: (e: unknown) => void }[] = [];
  imports: ImportFile[][] = [];
  importAnswer: ((files: ImportFile[]) => Promise<ImportResult[]>) | null = null;
  listener: ((b: EventBatch) => void) | null = null;

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
  subscribe(onBatch: (b: EventBatch) => void): Unsubscribe {
    this.listener = onBatch;
    return () => {
      this.listener = null;
    };
  }
  /** Answers the oldest unanswered search. */
  answer(rows: FlowRow[]): void {
    const p = this.pending.shift();
    if (!p) throw new Error('no search pending');
    p.resolve(rows);
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
