/** The local store as a sensor: queries, imports and slices, publishing events on the bus. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FLOW_ID_PATTERN, type CarvedFile, type EventSearch, type FlowRow, type FlowSearch, type FollowResult, type ImportResult, type Sensor, type SliceTarget, type StoreStats, type TaplineEvent } from '../../common/bridge/messages.js';
import { QueryError, parseFlowSearch, parseTime, parseTupleTarget } from '../../common/bridge/query-parse.js';
import { flowToJson } from '../../common/flow/flow-json.js';
import { parseIp } from '../../common/packet/community-id.js';
import { formatTs } from '../../common/time/timestamp.js';
import { carveFlow } from '../../node/carve/carve-flow.js';
import { detectType } from '../../node/carve/detect-type.js';
import { FileStore } from '../../node/carve/file-store.js';
import type { EventJournal } from '../../node/store/event-journal.js';
import { readFlowStream } from '../../node/store/flow-stream.js';
import { storeStats } from '../../node/store/store-stats.js';
import { writeSlice } from '../../node/store/slicer.js';
import type { ImportOptions, ImportResult as StoreImportResult, Store } from '../../node/store/store.js';
import type { GrowingFile } from '../../node/store/growing-file.js';
import { ImportFlowFeed } from './import-flow-feed.js';
import { ServiceError, type FileContent, type SensorBackend, type SliceFile } from './sensor-backend.js';
import { flowSliceName, tupleSliceName } from './slice-names.js';

function nowTs(): string {
  const ms = Date.now();
  return formatTs(Math.floor(ms / 1000), (ms % 1000) * 1e6);
}

export function toImportResult(r: StoreImportResult): ImportResult {
  return {
    path: r.path,
    status: r.status,
    capture_id: r.captureId,
    packets: r.packets,
    flows: r.flows,
    bytes: r.bytes,
    index_bytes: r.indexBytes,
    message: r.message,
  };
}

/**
 * Where the local sensor's events go: the services rank them (common/ranking/), then hand them
 * to the event bus and, when durable, the journal.
 */
export interface EventSink {
  publish(e: TaplineEvent, persist: boolean): void;
}

export class LocalSensor implements SensorBackend {
  private eventNo = 0;
  private files: FileStore | null = null;
  /** Carvings in progress by flow id: concurrent requests share one. */
  private readonly carving = new Map<string, Promise<CarvedFile[]>>();
  /** Content types of carved files seen so far (sha256 → mime), to serve them without sniffing again. */
  private readonly mimes = new Map<string, string | null>();

  constructor(
    readonly id: string,
    private readonly name: string,
    readonly store: Store,
    private readonly sink: EventSink,
    private readonly journal: EventJournal,
  ) {}

  /** When this sensor's services opened (its uptime in the sensor window). */
  private readonly openedAt = nowTs();

  describe(): Sensor {
    return { id: this.id, name: this.name, url: null, status: 'connected', message: null, status_since: this.openedAt };
  }

  private nextId(): string {
    return `${this.id}:${Date.now().toString(36)}:${++this.eventNo}`;
  }

  /** Publishes to live clients and, unless transient, records in the journal (ranked on the way). */
  publish(e: TaplineEvent, persist = true): void {
    this.sink.publish(e, persist);
  }

  notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.publish({ kind: 'notice', id: this.nextId(), sensor: this.id, ts: nowTs(), rank: 0, level, message });
  }

  async searchFlows(q: FlowSearch): Promise<FlowRow[]> {
    let parsed;
    try {
      parsed = parseFlowSearch(q);
    } catch (e) {
      if (e instanceof QueryError) throw new ServiceError(e.message, 400);
      throw e;
    }
    const found = await this.store.findFlows(parsed.query, parsed.limit);
    // rank 0 and no labels here: the services rank every row they return
    return found.map((f) => ({ ...flowToJson(f.id, f.record), sensor: this.id, rank: 0, classes: [] }));
  }

  async searchEvents(q: EventSearch): Promise<TaplineEvent[]> {
    try {
      if (q.host && !parseIp(q.host)) throw new QueryError(`host "${q.host}" is not an IP address`);
      return await this.journal.search({
        kind: q.kind,
        since: q.since ? parseTime(q.since, 'since') : undefined,
        until: q.until ? parseTime(q.until, 'until') : undefined,
        host: q.host,
        limit: q.limit ?? 1000,
      });
    } catch (e) {
      if (e instanceof QueryError) throw new ServiceError(e.message, 400);
      throw e;
    }
  }

  stats(): Promise<StoreStats> {
    return storeStats(this.store, this.id);
  }

  /** Imports capture files already on this machine (paths, or uploads placed in the store). */
  async importPaths(paths: string[]): Promise<ImportResult[]> {
    const results = await this.store.import(paths, this.importOptions());
    return results.map(toImportResult);
  }

  /**
   * Imports an upload while it arrives (Store.importGrowing), with the same events as
   * importPaths; null when it cannot be read that way (import it once complete).
   */
  async importGrowing(file: GrowingFile, fingerprint: string): Promise<ImportResult | null> {
    // while the upload runs the page is also sending it: fewer flow events leave it the time to
    // (the first rows still come at the first read; the search at the end has them all)
    const r = await this.store.importGrowing(file, fingerprint, this.importOptions({ intervalMs: 1000, maxPerSecond: 1000 }));
    return r && toImportResult(r);
  }

  /** Import callbacks: progress, flows while indexing, and the result, as events. */
  private importOptions(rate: { intervalMs?: number; maxPerSecond?: number } = {}): ImportOptions {
    let current = '';
    let lastProgress = 0;
    // flows reach the live stream while each file is indexed (transient: they are in the index)
    const feed = new ImportFlowFeed({ sensor: this.id, publish: (e) => this.publish(e, false), ...rate });
    return {
      onFileStart: (p) => {
        current = p;
      },
      onFlowTable: (captureId, table, done, total) => feed.onTable(captureId, table, done, total),
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - lastProgress < 200 && done < total) return;
        lastProgress = now;
        this.publish({ kind: 'import-progress', id: this.nextId(), sensor: this.id, ts: nowTs(), rank: 0, path: current, bytes_read: done, total_bytes: total }, false);
      },
      onResult: (r) => {
        feed.end();
        this.publish({ kind: 'import', id: this.nextId(), sensor: this.id, ts: nowTs(), rank: 0, result: toImportResult(r) });
      },
    };
  }

  async slice(target: SliceTarget, tmpDir: string): Promise<SliceFile> {
    const tmp = join(tmpDir, `slice-${randomBytes(8).toString('hex')}.pcap`);
    if ('flow' in target) {
      let f;
      try {
        f = await this.store.flowById(target.flow);
      } catch (e) {
        throw new ServiceError((e as Error).message, 400);
      }
      if (!f) throw new ServiceError(`no flow ${target.flow} on sensor ${this.id}`, 404, 'search flows again: the capture may have been removed');
      const r = await writeSlice(this.store, { flows: [f] }, tmp);
      const j = flowToJson(f.id, f.record);
      return {
        path: tmp,
        filename: flowSliceName(f.id, j.client_ip, j.server_ip, { sec: f.record.firstSec, nsec: f.record.firstNsec }, r.format),
        packets: r.packets,
        contentType: r.format === 'pcap' ? 'application/vnd.tcpdump.pcap' : 'application/x-pcapng',
      };
    }
    let q;
    try {
      q = parseTupleTarget(target);
    } catch (e) {
      if (e instanceof QueryError) throw new ServiceError(e.message, 400);
      throw e;
    }
    const flows = await this.store.findTuple(q);
    if (!flows.length) throw new ServiceError(`no flow matches ${target.sip}${target.spt !== undefined ? `:${target.spt}` : ''} <-> ${target.dip}${target.dpt !== undefined ? `:${target.dpt}` : ''} on sensor ${this.id}`, 404, 'widen the time window or check the addresses and ports');
    const r = await writeSlice(this.store, { flows, stime: q.stime, etime: q.etime }, tmp);
    return {
      path: tmp,
      filename: tupleSliceName(target.sip, target.spt, target.dip, target.dpt, q.stime ?? { sec: flows[0].record.firstSec, nsec: 0 }, r.format),
      packets: r.packets,
      contentType: r.format === 'pcap' ? 'application/vnd.tcpdump.pcap' : 'application/x-pcapng',
    };
  }

  private fileStore(): FileStore {
    this.files ??= FileStore.open(this.store.dir);
    return this.files;
  }

  private async flow(flowId: string) {
    if (!FLOW_ID_PATTERN.test(flowId)) throw new ServiceError(`"${flowId}" is not a flow id (<12 hex digits>-<number>)`, 400);
    let f;
    try {
      f = await this.store.flowById(flowId);
    } catch (e) {
      throw new ServiceError((e as Error).message, 400);
    }
    if (!f) throw new ServiceError(`no flow ${flowId} on sensor ${this.id}`, 404, 'search flows again: the capture may have been removed');
    return f;
  }

  async followFlow(flowId: string, maxBytes: number): Promise<FollowResult> {
    const f = await this.flow(flowId);
    let s;
    try {
      s = await readFlowStream(this.store, f, { maxBytes });
    } catch (e) {
      // flowStreamInfo refuses flows without ports (ICMP, non-IP, …)
      if (/not a TCP or UDP flow/.test((e as Error).message)) throw new ServiceError((e as Error).message, 400, 'follow stream works on TCP and UDP flows');
      throw e;
    }
    const gaps: [number, number] = [s.ends[0]?.gapAtEnd ?? 0, s.ends[1]?.gapAtEnd ?? 0];
    for (const seg of s.segments) gaps[seg.dir] += seg.gapBefore;
    return {
      flow: flowId,
      sensor: this.id,
      protocol: s.protocol,
      client: s.client,
      server: s.server,
      segments: s.segments.map((seg) => ({
        dir: seg.dir,
        offset: seg.offset,
        data: Buffer.from(seg.data.buffer, seg.data.byteOffset, seg.data.byteLength).toString('base64'),
        gap_before: seg.gapBefore,
        ts: formatTs(seg.tsSec, seg.tsNsec),
      })),
      bytes: s.bytes,
      gap_bytes: gaps,
      truncated: s.capped,
      max_bytes: maxBytes,
    };
  }

  async flowFiles(flowId: string): Promise<CarvedFile[]> {
    await this.flow(flowId);
    const stored = await this.fileStore().readFlowRecords(flowId);
    if (stored) return this.remember(stored.map((r) => ({ ...r, sensor: this.id })));
    let running = this.carving.get(flowId);
    if (!running) {
      running = this.carveNow(flowId).finally(() => this.carving.delete(flowId));
      this.carving.set(flowId, running);
    }
    return running;
  }

  /** Carves a flow for the first time and publishes a file event per carved file. */
  private async carveNow(flowId: string): Promise<CarvedFile[]> {
    const r = await carveFlow(this.store, flowId);
    const files = this.remember(r.files.map((rec) => ({ ...rec, sensor: this.id })));
    for (const file of files) this.publish({ kind: 'file', id: `${this.id}:file:${file.id}`, sensor: this.id, ts: file.lastTs, rank: 0, file });
    return files;
  }

  private remember(files: CarvedFile[]): CarvedFile[] {
    for (const f of files) this.mimes.set(f.sha256, f.mime);
    return files;
  }

  async fileContent(sha256: string): Promise<FileContent> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ServiceError(`"${sha256}" is not a SHA-256 (64 lowercase hex digits)`, 400);
    const store = this.fileStore();
    const size = store.contentSize(sha256);
    if (size === null) throw new ServiceError(`no carved file ${sha256} on sensor ${this.id}`, 404, 'list the files of its flow first (they are carved on request)');
    const path = store.contentPath(sha256);
    let mime = this.mimes.get(sha256);
    if (mime === undefined) {
      mime = (await detectType(path, size)).mime;
      this.mimes.set(sha256, mime);
    }
    return { path, size, mime, temporary: false };
  }

  async close(): Promise<void> {
    await this.journal.flush();
    await this.store.close();
  }
}
