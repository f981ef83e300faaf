/**
 * The live store writer: packets from a capture source are appended to pcap/pcapng segments
 * under STORE/segments/, indexed as they arrive by the import pipeline's own parser → decoder →
 * flow table, and made durable (segment data fdatasync'ed, then the open segment's index
 * replaced atomically) every flush interval. Segments rotate by size and time; a ring bounded by
 * bytes and age deletes the oldest ones, index first.
 *
 * Records (copied into a memory buffer, or borrowed runs of a capture batch) are written into the
 * segment file synchronously when submitted: a `pwrite` into the page cache, which does not wait
 * for the disk (a kill -9 loses nothing written). Everything that waits for the disk (data syncs,
 * snapshot and final index files, retention) runs on one serialized chain of asynchronous
 * operations. A snapshot covers the bytes submitted when it is taken, all written before it is
 * queued, so an index on disk never points past data on disk.
 */
import { close as closeFd, fdatasync, ftruncate, openSync, writeSync } from 'node:fs';
import { appendFile, mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveGap, LiveLink, LivePacket } from '../../../common/capture/live-packet-sink.js';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { PacketRecord } from '../../../common/capture/packet-record.js';
import type { CaptureParser } from '../../../common/capture/capture-types.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import type { EncodedIndex, IndexMetaInput } from '../../../common/index/index-writer.js';
import { formatTs } from '../../../common/time/timestamp.js';
import { TAPLINE_VERSION } from '../../version.js';
import { captureFingerprint } from '../capture-fingerprint.js';
import { nativeCrc32, writeIndexFile } from '../index-file.js';
import { StoreLock } from '../store-lock.js';
import { Store } from '../store.js';
import { gapsPath } from './capture-gaps.js';
import { ConditionalFilter } from './conditional-filter.js';
import { FlowSummaryTracker } from './flow-summaries.js';
import { LiveIndexEncoder } from './live-index-encoder.js';
import { NativeStretchIndexer } from './native-stretch.js';
import { BATCH_RECORD_HEADER, batchRecordEnd } from './packet-batch.js';
import { segmentDirectIo, type SegmentIo, type SegmentIoHandle } from './segment-direct-io.js';
import type { LiveStoreWriter } from './live-writer-api.js';
import { emptyLiveWriterStats, type LiveFlowSummary, type LiveWriterOptions, type LiveWriterStats } from './live-writer-options.js';
import { enforceRetention } from './retention.js';
import { writeAllChunks } from './write-chunks.js';
import { pcapRecordLength, pcapngRecordLength, segmentHeader, writePcapRecord, writePcapngRecord } from './segment-encoder.js';
import {
  listSegments,
  newSegmentId,
  segmentCapturePath,
  segmentIndexPath,
  segmentLiveIndexPath,
  segmentsDir,
  type SegmentFormat,
} from './segment-files.js';
import { repairSegment, repairTornSegments } from './segment-repair.js';

const BUFFER_BYTES = 1 << 20;
const DEFAULT_FLUSH_MS = 500;
/**
 * Written buffers kept for reuse. A fresh 1 MiB ArrayBuffer per buffer is external memory V8
 * answers with frequent full GCs at line rate. Buffers are written synchronously, so one comes
 * back as soon as it is submitted and the pool rarely holds more than one; the bound stays.
 */
const POOL_BUFFERS = 32;
/** Free space needed before writing resumes after a disk-full stop. */
const RESUME_FREE_BYTES = 4 * 1024 * 1024;
/**
 * Closed segments' indexers (with their flow tables) and index encoders kept for the next
 * segments once their final index is written. Two: a segment's final index is built off the
 * write chain while the next segment fills, so at short segments two may be in flight.
 */
const SPARE_INDEXERS = 2;

/** A closed segment's indexer (with its flow table) and index encoder, reset for another segment. */
export interface SpareIndexer {
  indexer: CaptureIndexer;
  snapshots: LiveIndexEncoder;
}

interface Segment {
  id: string;
  format: SegmentFormat;
  path: string;
  /** pcap: the one link type; pcapng: link id → interface index. */
  linkType: number;
  ifaceOf: Map<number, number>;
  indexer: CaptureIndexer;
  /**
   * pcapng segments: every chunk goes through the parser to the indexer. pcap segments: only the
   * header does (file info, interface); the writer hands each record to the indexer itself as
   * it stores it (indexRecord), in the same walk that stores it, instead of the parser walking
   * every record a second time.
   */
  parser: CaptureParser;
  /** Encodes the segment's snapshots and its final index incrementally. */
  snapshots: LiveIndexEncoder;
  summaries: FlowSummaryTracker;
  /**
   * The segment file's descriptor, opened by its first write (the header). Data is written
   * synchronously from this thread (see writeChunk); syncs, closing and truncation are
   * asynchronous, off this thread.
   */
  fd: number | null;
  /**
   * The same file opened with O_DIRECT (segment-direct-io.ts), when the addon and the filesystem
   * allow it: data is then staged and written around the page cache, and is in the file only
   * once flushed (each snapshot, and when the segment closes).
   */
  direct: SegmentIoHandle | null;
  /** A data write failed: later chunks of the segment are not written; fail() is queued. */
  writeFailed: boolean;
  /** Bytes handed to the parser and written (the next record's file offset). */
  submitted: number;
  /** Bytes confirmed in the file (with O_DIRECT: as of the last flush; always a chunk boundary). */
  written: number;
  /** Packets handed over; packets covered by the last durable index. */
  packets: number;
  durablePackets: number;
  /** `submitted` when the last snapshot was taken. */
  snapshotAt: number;
  startedMs: number;
  newestSec: number;
  failed: boolean;
  header: Uint8Array;
  /** A snapshot is encoded and waits in the write chain. */
  snapshotQueued: boolean;
  /** A datasync in flight (one at a time, off the write chain). */
  syncing: Promise<void> | null;
}

const EMPTY = new Uint8Array(0);

const settle = (resolve: () => void, reject: (e: Error) => void) => (e: NodeJS.ErrnoException | null): void => (e ? reject(e) : resolve());
/** fdatasync, ftruncate and close of a descriptor on libuv's pool (they wait for the disk; writes do not). */
const datasyncFd = (fd: number): Promise<void> => new Promise((res, rej) => fdatasync(fd, settle(res, rej)));
const truncateFd = (fd: number, len: number): Promise<void> => new Promise((res, rej) => ftruncate(fd, len, settle(res, rej)));
const closeFdAsync = (fd: number): Promise<void> => new Promise((res, rej) => closeFd(fd, settle(res, rej)));

export class LiveWriter implements LiveStoreWriter {
  /** Stores this process writes: the lock file alone cannot refuse a second writer of the same pid. */
  private static readonly openStores = new Set<string>();
  private readonly links = new Map<number, LiveLink>();
  private seg: Segment | null = null;
  private buf = new Uint8Array(BUFFER_BYTES);
  private view = new DataView(this.buf.buffer);
  private bufLen = 0;
  private readonly pool: Uint8Array<ArrayBuffer>[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Closed segments whose final index is being built (off the write chain), by id. */
  private readonly finalizing = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private stoppedError: Error | null = null;
  /** Segments whose writing failed and that still need a final index. */
  private readonly needRepair = new Map<string, string>();
  private readonly cond: ConditionalFilter | null;
  private readonly usedIds = new Set<string>();
  private unknownLinkLogged = false;
  /** The record view handed to a pcap segment's indexer (reused: no object per packet). */
  private readonly rec = new PacketRecord();
  /** Indexes stretches of packets of existing flows in C (null: every packet in TypeScript). */
  private readonly native: NativeStretchIndexer | null;
  /** borrowRuns' batch (set during one call). */
  private runSrc: Uint8Array = EMPTY;
  private readonly st: LiveWriterStats = emptyLiveWriterStats();
  /** Bytes of each closed segment, for retention passes (closed segments never change). */
  private readonly closedSizes = new Map<string, number>();
  /**
   * Reset indexers and encoders of closed segments (see SPARE_INDEXERS): a fresh table, offset
   * arena and encoder per segment cost tens of MB of garbage per million packets, and a fresh
   * decoded packet per segment a round of V8 deoptimizations.
   */
  private readonly spare: SpareIndexer[] = [];
  /**
   * A dry writer's closed segments whose final index is not encoded yet: a real writer builds a
   * final index off the write chain while the next segment fills, so two indexers are in use at
   * a rotation; the dry writer keeps one closed segment pending likewise (see dryClosed).
   */
  private readonly dryPending: Segment[] = [];
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  private readonly flushMs: number;
  private readonly log: (line: string) => void;
  /**
   * A writer of no store (LiveWriter.dry, the writer thread's warm-up): every in-memory step runs
   * as for a real store (indexing, runs, rotations, snapshot and final index encodes, the reuse of
   * closed segments' indexers), but nothing is queued on the write chain: no file is opened,
   * written or deleted, and no flow summary is emitted.
   */
  private readonly dry: boolean;
  /** The addon's O_DIRECT segment writer (segment-direct-io.ts), or null: through the page cache. */
  private readonly io: SegmentIo | null;
  /** The filesystem refused O_DIRECT once: later segments do not ask again. */
  private directRefused = false;

  private constructor(
    readonly storeDir: string,
    private readonly lock: StoreLock | null,
    private readonly opts: LiveWriterOptions,
  ) {
    this.dry = lock === null;
    this.log = opts.log ?? (() => undefined);
    this.io = this.dry || opts.directIo === false ? null : segmentDirectIo().io;
    const maxBytes = opts.maxStoreBytes ?? 0;
    const maxAge = opts.maxAgeSeconds ?? 0;
    // A ring deletes whole segments: keep them at most a quarter of each bound, so the store
    // holds at least three quarters of what it may and never exceeds a bound by more than one.
    // each flush re-encodes the open segment's whole index (≈ 0.1 s per 128 MiB of packets on a
    // loaded core): the default keeps that cost and the index lag small
    let segBytes = opts.segmentBytes ?? 128 * 1024 * 1024;
    if (maxBytes > 0) segBytes = Math.min(segBytes, Math.max(64 * 1024, Math.floor(maxBytes / 4)));
    let segSec = opts.segmentSeconds ?? 300;
    if (maxAge > 0) segSec = Math.min(segSec, Math.max(1, maxAge / 4));
    this.segmentBytes = segBytes;
    this.segmentMs = segSec * 1000;
    // snapshots are incremental (live-index-encoder.ts), so flushing twice a second costs little
    // and halves the time a packet waits for the index (the lag target is 2 s)
    this.flushMs = Math.min(1000, Math.max(10, opts.flushIntervalMs ?? DEFAULT_FLUSH_MS));
    const native = opts.nativeFlows === false ? { indexer: null, reason: 'switched off (nativeFlows: false)' } : NativeStretchIndexer.load();
    this.native = native.indexer;
    if (native.reason !== null && !this.dry) this.log(`packets of existing flows are indexed in TypeScript: ${native.reason}`);
    const mode = opts.mode ?? 'full';
    if (mode === 'conditional' && !opts.trigger) this.log('conditional mode without a trigger: only flows alerted through alert(flowKey) are stored');
    this.cond = mode === 'conditional' ? new ConditionalFilter(opts.trigger ?? null, opts.preAlertPackets ?? 10, (p) => this.store(p)) : null;
  }

  /**
   * Opens the live store of storeDir (created when absent): takes the segments lock (one live
   * writer per store), repairs segments a crashed writer left, applies retention, starts the
   * flush timer.
   */
  static async open(storeDir: string, opts: LiveWriterOptions = {}): Promise<LiveWriter> {
    // a store a live capture creates is a normal store (store.json) that queries can open
    const key = resolve(storeDir);
    if (LiveWriter.openStores.has(key)) throw new Error(`${storeDir}: another live writer is running (in this process)`);
    await (await Store.open(storeDir, { create: true, log: opts.log })).close();
    await mkdir(segmentsDir(storeDir), { recursive: true });
    const lock = await acquireWriterLock(storeDir);
    try {
      const log = opts.log ?? (() => undefined);
      await repairTornSegments(storeDir, log);
      const w = new LiveWriter(storeDir, lock, opts);
      LiveWriter.openStores.add(key);
      for (const s of await listSegments(storeDir, true)) w.usedIds.add(s.id);
      await w.retention();
      w.timer = setInterval(() => w.tick(), w.flushMs);
      w.timer.unref();
      return w;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /**
   * A writer that touches no store (see `dry`): for warming the hot path up on generated packets
   * before a capture. Options as open()'s; onFlows, onError and trigger are ignored (no flow of
   * it reaches anyone), and there is no flush timer: the caller calls flush() to take snapshots.
   */
  static dry(opts: Pick<LiveWriterOptions, 'segmentBytes' | 'log' | 'nativeFlows'> & { summaries?: boolean } = {}): LiveWriter {
    // summaries: flow summaries are collected at each snapshot as for a capture that wants them,
    // then dropped with the snapshot (a dry writer never emits)
    const onFlows = opts.summaries ? (): void => undefined : undefined;
    return new LiveWriter('(warm-up: no store)', null, { segmentBytes: opts.segmentBytes, log: opts.log, mode: 'full', onFlows, nativeFlows: opts.nativeFlows });
  }

  /**
   * A closed dry writer's reset indexers and encoders (at most two), for the capture's writer
   * (adoptSpares): its segments then run on the objects the warm-up's code was compiled for.
   */
  takeSpares(): SpareIndexer[] {
    if (!this.dry || !this.closed) throw new Error('takeSpares: only a closed dry writer gives its indexers away');
    return this.spare.splice(0);
  }

  /**
   * Indexers and encoders reset by another writer (a closed dry writer's takeSpares), used for
   * the next segments before any fresh one. Reset objects index as fresh ones do
   * (tests/unit/live-store/segment-reuse.test.ts).
   */
  adoptSpares(spares: SpareIndexer[]): void {
    for (const x of spares) if (this.spare.length < SPARE_INDEXERS) this.spare.push(x);
  }

  // ---- LivePacketSink ----

  link(l: LiveLink): void {
    const prev = this.links.get(l.id);
    this.links.set(l.id, { ...l });
    const s = this.seg;
    if (!s || (prev && prev.linkType === l.linkType)) return;
    // a link the open segment cannot describe (a link that changed type, another link type in a
    // pcap segment, a new interface of a pcapng segment): the next packet starts a new segment
    if (prev || s.format === 'pcapng' || l.linkType !== s.linkType) this.rotate();
  }

  packet(p: LivePacket): void {
    this.st.receivedPackets++;
    this.st.receivedBytes += p.origLen;
    if (this.closed) return;
    if (this.stoppedError) {
      this.st.droppedDiskFull++;
      return;
    }
    const link = this.links.get(p.linkId);
    if (!link) {
      if (!this.unknownLinkLogged) this.log(`packet on link ${p.linkId}, which the source never announced: dropped`);
      this.unknownLinkLogged = true;
      this.st.droppedUnknownLink++;
      return;
    }
    if (this.cond) this.cond.packet(p, link.linkType);
    else this.store(p);
  }

  /**
   * A batch from the capture thread (packet-batch.ts): pcap records of one link in src[0, len),
   * the same bytes a pcap segment holds. Equivalent to packet() for each record, but while the
   * segment is pcap of this link's type and no conditional filter applies, the runs of records
   * are indexed and written from src itself (no copy, no re-encode per packet). Segment data is
   * written before this returns (see writeChunk), so nothing of src is held afterwards: `written`
   * is always null (kept in the signature for callers that wait for a write when there is one).
   * Returns the packets and their original bytes. Throws on a record running past len (a bug).
   */
  packetRunBorrowed(linkId: number, src: Uint8Array, len: number): { packets: number; bytes: number; written: Promise<void> | null } {
    const v = new DataView(src.buffer, src.byteOffset, len);
    const link = this.links.get(linkId);
    const links = [...this.links.values()];
    // one pcap link type for every link: every segment is pcap of that type (see startSegment)
    const runs = !this.closed && !this.stoppedError && !this.cond && link !== undefined && links.every((l) => l.linkType === link.linkType);
    if (runs) return this.borrowRuns(src, v, len);
    let packets = 0;
    let bytes = 0;
    const p: LivePacket = { linkId, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, data: src.subarray(0, 0) };
    for (let at = 0; at < len; ) {
      const end = batchRecordEnd(v, at, len);
      const origLen = v.getUint32(at + 12, true);
      packets++;
      bytes += origLen;
      p.tsSec = v.getUint32(at, true);
      p.tsNsec = v.getUint32(at + 4, true);
      p.capLen = end - at - BATCH_RECORD_HEADER;
      p.origLen = origLen;
      p.data = src.subarray(at + BATCH_RECORD_HEADER, end);
      this.packet(p);
      at = end;
    }
    return { packets, bytes, written: null };
  }

  /** The runs path of packetRunBorrowed: records written from src as whole runs, no copy. */
  private borrowRuns(src: Uint8Array, v: DataView, len: number): { packets: number; bytes: number; written: Promise<void> | null } {
    let packets = 0;
    let bytes = 0;
    // the pending run src[runFrom, runTo), contiguous in the open segment after this.buf's bytes;
    // flushed by a method, not a closure made per call: a fresh closure each batch made V8 drop
    // this loop's optimized code ("wrong call target") and recompile it
    this.runSrc = src;
    let runFrom = -1;
    let runTo = 0;
    const nat = this.native;
    if (nat !== null) nat.setBatch(src);
    for (let at = 0; at < len; ) {
      const open = this.seg;
      // packets of existing flows, as many as follow here, in C (native-stretch.ts); it stops at
      // the first record the code below must take (new flow, general decoder, segment end)
      if (nat !== null && open !== null && open.packets > 0 && open.linkType === 1 && open.indexer.nativeEligible) {
        const runStart = runFrom >= 0 && runTo === at ? runFrom : at;
        const stop = nat.run(open.indexer, at, len, open.submitted + this.bufLen - runStart, this.segmentBytes);
        if (stop > at) {
          const n = nat.takenPackets;
          const orig = nat.takenOrigBytes;
          packets += n;
          bytes += orig;
          this.st.receivedPackets += n;
          this.st.receivedBytes += orig;
          open.packets += n;
          // a max rather than a store behind a branch: a store the warm-up never reached
          // deoptimized this loop at the capture's first new second (no type feedback)
          const newest = nat.takenNewestRawSec;
          open.newestSec = newest > open.newestSec ? newest : open.newestSec;
          this.st.storedPackets += n;
          this.st.storedBytes += stop - at;
          this.st.nativeIndexedPackets += n;
          runFrom = runStart;
          runTo = stop;
          at = stop;
          if (at >= len) break;
        }
      }
      const end = batchRecordEnd(v, at, len);
      const origLen = v.getUint32(at + 12, true);
      packets++;
      bytes += origLen;
      this.st.receivedPackets++;
      this.st.receivedBytes += origLen;
      const rec = end - at;
      let s = this.seg;
      const pending = runFrom >= 0 ? runTo - runFrom : 0;
      if (s && s.packets > 0 && s.submitted + this.bufLen + pending + rec > this.segmentBytes) {
        runFrom = this.flushRun(runFrom, runTo);
        this.rotate();
        s = null;
      }
      if (!s) {
        runFrom = this.flushRun(runFrom, runTo);
        s = this.startSegment();
      }
      if (runFrom >= 0 && runTo === at) runTo = end;
      else {
        runFrom = this.flushRun(runFrom, runTo);
        runFrom = at;
        runTo = end;
      }
      s.packets++;
      const tsSec = v.getUint32(at, true);
      if (tsSec > s.newestSec) s.newestSec = tsSec;
      // the run is written right after this.buf's bytes: that is where this record lands
      this.indexRecord(s, src, at, s.submitted + this.bufLen + (at - runFrom), tsSec, v.getUint32(at + 4, true), rec - BATCH_RECORD_HEADER, origLen);
      this.st.storedPackets++;
      this.st.storedBytes += rec;
      at = end;
    }
    runFrom = this.flushRun(runFrom, runTo);
    this.runSrc = EMPTY;
    return { packets, bytes, written: null };
  }

  /** Hands the run runSrc[from, to) (none when from < 0) to the write chain, after this.buf's bytes; returns -1 (no run pending). */
  private flushRun(from: number, to: number): number {
    if (from < 0) return -1;
    // records this.buf holds (the per-packet path's) go first: file order
    this.submit();
    this.writeChunk(this.seg as Segment, this.runSrc.subarray(from, to), false);
    return -1;
  }

  gap(g: LiveGap): void {
    this.st.gaps++;
    const line = `${JSON.stringify({ from: formatTs(g.from.sec, g.from.nsec), to: formatTs(g.to.sec, g.to.nsec), reason: g.reason, segment: this.seg?.id ?? null })}\n`;
    this.enqueue(() => appendFile(gapsPath(this.storeDir), line));
  }

  alert(flowKey: string): void {
    this.cond?.alert(flowKey);
  }

  // ---- control ----

  flush(): Promise<void> {
    this.tick();
    return this.settled();
  }

  /** The write chain as it is now, then every final index it started. */
  private async settled(): Promise<void> {
    await this.chain;
    while (this.finalizing.size) await Promise.all(this.finalizing.values());
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.tick();
    this.cond?.finish();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.seg) this.closeSegment();
    // a dry writer's segment still waiting for its final index (see dryClosed)
    while (this.dryPending.length) this.dryFinalize(this.dryPending.shift() as Segment);
    await this.settled();
    this.enqueue(() => this.retention());
    await this.chain;
    await this.lock?.release();
    LiveWriter.openStores.delete(resolve(this.storeDir));
  }

  stats(): LiveWriterStats {
    this.st.openSegment = this.seg?.id ?? null;
    this.st.activeFlows = this.seg?.indexer.table.count ?? 0;
    // segment data is written as it is submitted (writeChunk): only this.buf's records wait
    this.st.queuedBytes = this.bufLen;
    if (this.cond) {
      this.st.notAlerted = this.cond.notAlerted;
      this.st.alertedFlows = this.cond.alertedFlows;
    }
    return { ...this.st };
  }

  // ---- the append path (synchronous) ----

  private store(p: LivePacket): void {
    const link = this.links.get(p.linkId) as LiveLink;
    let s = this.seg;
    if (s && (s.format === 'pcap' ? link.linkType !== s.linkType : !s.ifaceOf.has(p.linkId))) {
      this.rotate();
      s = null;
    }
    const len = s?.format === 'pcapng' ? pcapngRecordLength(p.capLen) : pcapRecordLength(p.capLen);
    if (s && s.packets > 0 && s.submitted + this.bufLen + len > this.segmentBytes) {
      this.rotate();
      s = null;
    }
    if (!s) s = this.startSegment();
    const need = s.format === 'pcapng' ? pcapngRecordLength(p.capLen) : pcapRecordLength(p.capLen);
    if (this.bufLen + need > this.buf.length) {
      this.submit();
      if (need > this.buf.length) this.newBuffer(need);
    }
    s.packets++;
    const data = p.data.length === p.capLen ? p.data : p.data.subarray(0, p.capLen);
    if (s.format === 'pcap') {
      const at = this.bufLen;
      this.bufLen += writePcapRecord(this.buf, this.view, at, p.tsSec, p.tsNsec, data, p.origLen);
      this.indexRecord(s, this.buf, at, s.submitted + at, p.tsSec, p.tsNsec, data.length, p.origLen);
    } else this.bufLen += writePcapngRecord(this.buf, this.view, this.bufLen, s.ifaceOf.get(p.linkId) as number, p.tsSec, p.tsNsec, data, p.origLen);
    if (p.tsSec > s.newestSec) s.newestSec = p.tsSec;
    this.st.storedPackets++;
    this.st.storedBytes += need;
  }

  private newBuffer(min = BUFFER_BYTES): void {
    // written buffers come back to a small pool: a fresh 1 MiB per buffer costs GC time at line rate
    this.buf = min <= BUFFER_BYTES && this.pool.length ? (this.pool.pop() as Uint8Array<ArrayBuffer>) : new Uint8Array(Math.max(min, BUFFER_BYTES));
    this.view = new DataView(this.buf.buffer);
    this.bufLen = 0;
  }

  private startSegment(): Segment {
    const links = [...this.links.values()].sort((a, b) => a.id - b.id);
    const format: SegmentFormat = links.every((l) => l.linkType === links[0].linkType) ? 'pcap' : 'pcapng';
    const id = newSegmentId(Date.now(), (x) => this.usedIds.has(x));
    this.usedIds.add(id);
    const reused = this.spare.pop();
    const indexer = reused?.indexer ?? new CaptureIndexer();
    const snapshots = reused?.snapshots ?? new LiveIndexEncoder(indexer.table, nativeCrc32);
    const header = segmentHeader(format, links);
    const s: Segment = {
      id,
      format,
      path: segmentCapturePath(this.storeDir, id, format),
      linkType: links[0].linkType,
      ifaceOf: new Map(links.map((l, i) => [l.id, i])),
      indexer,
      parser: createCaptureParser(indexer),
      snapshots,
      summaries: new FlowSummaryTracker(id, indexer.table),
      fd: null,
      direct: null,
      writeFailed: false,
      submitted: 0,
      written: 0,
      packets: 0,
      durablePackets: 0,
      snapshotAt: 0,
      startedMs: Date.now(),
      newestSec: 0,
      failed: false,
      header,
      syncing: null,
      snapshotQueued: false,
    };
    this.seg = s;
    // pcap: the parser reads the header only (file info, interface); records are indexed as stored
    if (format === 'pcap') s.parser.push(header);
    // the header is the segment's first chunk, queued now rather than copied into this.buf: it
    // was written as a chunk of its own anyway (the batch path's first run submitted it), and
    // that submit() of a non-empty buffer, once per segment inside the batch loop, kept
    // deoptimizing the loop's compiled code (its buffer slicing had no type feedback there)
    this.writeChunk(s, header, false);
    return s;
  }

  /**
   * Hands the pcap record at buf[at] (header + capLen bytes), stored at file offset fileOffset of
   * pcap segment s, to its indexer: what the pcap parser would deliver for it, nanosecond
   * fractions past a second carried into the seconds as the parser does.
   */
  private indexRecord(s: Segment, buf: Uint8Array, at: number, fileOffset: number, tsSec: number, tsNsec: number, capLen: number, origLen: number): void {
    const r = this.rec;
    if (tsNsec >= 1e9) {
      const carry = Math.floor(tsNsec / 1e9);
      tsSec += carry;
      tsNsec -= carry * 1e9;
    }
    r.index = s.packets - 1;
    r.recordOffset = fileOffset;
    r.recordLength = BATCH_RECORD_HEADER + capLen;
    r.linkType = s.linkType;
    r.tsSec = tsSec;
    r.tsNsec = tsNsec;
    r.capLen = capLen;
    r.origLen = origLen;
    r.dataOffset = fileOffset + BATCH_RECORD_HEADER;
    r.setSource(buf, at + BATCH_RECORD_HEADER);
    s.indexer.onPacket(r);
  }

  /** Hands the buffered records of the open segment to the index and the write chain. */
  private submit(): void {
    const s = this.seg;
    if (!s || this.bufLen === 0) return;
    const chunk = this.buf.subarray(0, this.bufLen);
    this.newBuffer();
    this.writeChunk(s, chunk, true);
  }

  /**
   * Indexes `chunk` (whole records, or the segment header) and writes it at the segment's next
   * offset, now, on this thread (`pwrite` into the page cache: it does not wait for the disk);
   * the chunk is the caller's again when this returns, and a pooled one (this writer's buffer)
   * goes back to the pool. Written synchronously rather than through the write chain: each
   * asynchronous 1 MiB write cost a libuv round trip (a pool thread woken, a completion, a
   * promise and the chain's closures) for the same copy into the page cache, and a data write
   * never waits for anything the chain does (snapshots and final indexes only need their data
   * written before them, which an earlier write is). A failed write stops the segment's writes
   * here and queues fail() on the chain, as a failed asynchronous write did.
   */
  private writeChunk(s: Segment, chunk: Uint8Array, pooled: boolean): void {
    // pcap: header and records were indexed when stored (startSegment, indexRecord)
    if (s.format === 'pcapng') s.parser.push(chunk);
    const at = s.submitted;
    s.submitted += chunk.length;
    if (this.dry) s.written = s.submitted; // a dry writer's chunk counts as written at once
    else if (!s.failed && !s.writeFailed) {
      try {
        if (s.fd === null) this.openSegmentFile(s);
        if (s.direct) (this.io as SegmentIo).segmentAppend(s.direct, chunk);
        else {
          const fd = s.fd as number;
          let done = 0;
          while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done, at + done);
          s.written = s.submitted;
        }
      } catch (e) {
        // s.written stays at the last whole chunk: fail() cuts the file back to it
        s.writeFailed = true;
        this.enqueue(() => this.fail(s, e as Error));
      }
    }
    if (pooled && chunk.buffer.byteLength === BUFFER_BYTES && this.pool.length < POOL_BUFFERS) this.pool.push(new Uint8Array(chunk.buffer as ArrayBuffer));
  }

  /** Creates the segment's file; with the addon, opens it for O_DIRECT writes too. */
  private openSegmentFile(s: Segment): void {
    s.fd = openSync(s.path, 'w', 0o644);
    this.st.segmentWrites = 'page-cache';
    if (!this.io || this.directRefused) return;
    try {
      s.direct = this.io.segmentOpen(s.path, s.fd);
      this.st.segmentWrites = 'direct';
    } catch (e) {
      // e.g. tmpfs: no O_DIRECT; this writer stops asking
      this.directRefused = true;
      this.log(`live store: segment data through the page cache (${(e as Error).message})`);
    }
  }

  /**
   * Puts everything staged for s's O_DIRECT writes into the file (before a snapshot covers it or
   * the segment closes). A failure stops the segment's writes as a failed write does; false then.
   */
  private flushDirect(s: Segment): boolean {
    if (!s.direct) return true;
    if (s.writeFailed || s.failed) return false;
    try {
      const io = this.io as SegmentIo;
      io.segmentFlush(s.direct);
      // a direct write the device refused (EINVAL) moved the handle to the page cache for good
      if (!io.segmentDirect(s.direct)) this.st.segmentWrites = 'page-cache';
      s.written = s.submitted;
      return true;
    } catch (e) {
      s.writeFailed = true;
      this.enqueue(() => this.fail(s, e as Error));
      return false;
    }
  }

  /** Releases s's O_DIRECT descriptor and staging (flushDirect first, unless failing). */
  private closeDirect(s: Segment): void {
    if (!s.direct) return;
    (this.io as SegmentIo).segmentClose(s.direct);
    s.direct = null;
  }

  private rotate(): void {
    if (this.seg) this.closeSegment();
  }

  /**
   * Ends the open segment: its remaining records are written and covered by a last snapshot, in
   * the write chain's order; its final index (data datasync'ed, fingerprint, incremental encode, index
   * fsynced) is then built off the chain, so the next segment's writes and snapshots never wait
   * for a whole segment's sync (that wait was the live index's worst lag).
   */
  private closeSegment(): void {
    const s = this.seg as Segment;
    this.submit();
    this.flushDirect(s);
    this.closeDirect(s);
    this.seg = null;
    const summaries = this.opts.onFlows ? s.summaries.collect(s.newestSec, true) : [];
    this.snapshot(s, []);
    if (this.dry) return this.dryClosed(s);
    this.enqueue(async () => {
      if (s.failed || s.fd === null) return; // never written: nothing on disk
      const done = this.finalize(s, summaries).finally(() => this.finalizing.delete(s.id));
      this.finalizing.set(s.id, done);
    });
  }

  private async finalize(s: Segment, summaries: LiveFlowSummary[]): Promise<void> {
    try {
      if (s.failed || s.fd === null) return;
      await s.syncing;
      const fd = s.fd;
      await datasyncFd(fd);
      s.fd = null;
      await closeFdAsync(fd);
      const fp = await captureFingerprint(s.path);
      await writeIndexFile(segmentIndexPath(this.storeDir, s.id), this.finalIndex(s, fp));
      await rm(segmentLiveIndexPath(this.storeDir, s.id), { force: true });
      this.st.durablePackets += s.packets - s.durablePackets;
      s.durablePackets = s.packets;
      this.emit(summaries);
      // every index of s is written: its indexer and encoder can serve a later segment
      this.keepForReuse(s);
    } catch (e) {
      await this.fail(s, e as Error);
    }
  }

  /** A closed segment's final index: the parser and indexer finished, then the incremental encoder. */
  private finalIndex(s: Segment, fp: { fingerprint: string; size: number; mtimeMs: number }): EncodedIndex {
    s.parser.end();
    s.indexer.finish();
    // the incremental encoder again: encodeIndex here re-encoded the whole segment on the
    // writer's thread at every rotation (0.1-0.6 s of CPU per 128 MiB under load), the
    // largest stall in the live index lag; the result differs only in offset-list slack
    return s.snapshots.encode(this.metaInput(s, fp));
  }

  /**
   * A dry writer's segment closed: its final index waits until the next segment has closed too
   * (or the writer closes), so the warm-up runs two indexers (with their tables and encoders) as
   * a capture does, and hands both to the capture's writer (takeSpares). With one indexer reset
   * and reused throughout, the capture's first fresh indexer was the second object of its
   * classes: V8 dropped the code compiled for the first (field constness) and recompiled the
   * hot path mid-capture.
   */
  private dryClosed(s: Segment): void {
    this.dryPending.push(s);
    while (this.dryPending.length > (this.closed ? 0 : 1)) this.dryFinalize(this.dryPending.shift() as Segment);
  }

  /** finalize() of a dry writer: the final index is encoded (and dropped), the indexer kept for reuse. */
  private dryFinalize(s: Segment): void {
    this.finalIndex(s, { fingerprint: liveFingerprint(s.id), size: s.submitted, mtimeMs: 0 });
    s.durablePackets = s.packets;
    // no retention pass counts segments here: the closed segments of a dry writer
    this.st.segments++;
    this.keepForReuse(s);
  }

  /** Keeps a closed segment's indexer and encoder, reset, for a later segment (once every index of s is written). */
  private keepForReuse(s: Segment): void {
    // a closed dry writer keeps its indexers for takeSpares (the capture's writer)
    if (this.spare.length >= SPARE_INDEXERS || (this.closed && !this.dry)) return;
    s.indexer.reset();
    s.snapshots.reset();
    this.spare.push({ indexer: s.indexer, snapshots: s.snapshots });
  }

  // ---- the flush tick ----

  private tick(): void {
    if (this.closed) return;
    if (this.stoppedError) {
      this.enqueue(() => this.tryResume());
      return;
    }
    const s = this.seg;
    if (s && Date.now() - s.startedMs >= this.segmentMs) {
      this.rotate();
    } else if (s) {
      this.submit();
      this.snapshot(s, null);
    }
    this.cond?.sweep();
    this.enqueue(async () => {
      await this.retention();
      this.st.lastFlushAt = Date.now();
    });
  }

  /**
   * Queues a snapshot index of s covering every byte submitted so far (when anything changed).
   * One snapshot waits or is being written at a time: when the disk lags, the next one covers
   * more instead. The encoder's buffers back the snapshot until it is written, which that rule
   * also guarantees. `summaries`: the flow summaries to emit once it is durable (null: collect).
   */
  private snapshot(s: Segment, summaries: LiveFlowSummary[] | null): void {
    if (s.submitted === s.snapshotAt || s.snapshotQueued || s.failed) return;
    // the snapshot may only cover bytes that are in the file
    if (!this.flushDirect(s)) return;
    s.snapshotAt = s.submitted;
    s.snapshotQueued = true;
    // taken now: covers exactly the bytes queued before it
    const snap = s.snapshots.encode(this.metaInput(s, null));
    const packets = s.packets;
    const batch = summaries ?? (this.opts.onFlows ? s.summaries.collect(s.newestSec, false) : []);
    if (this.dry) {
      // encoded and dropped: the encoder's buffers are free again at once
      s.snapshotQueued = false;
      return;
    }
    this.enqueue(async () => {
      try {
        if (s.failed || s.fd === null) return;
        await writeSnapshot(segmentLiveIndexPath(this.storeDir, s.id), snap);
        this.syncInBackground(s);
        if (packets > s.durablePackets) {
          this.st.durablePackets += packets - s.durablePackets;
          s.durablePackets = packets;
        }
        this.emit(batch);
      } catch (e) {
        await this.fail(s, e as Error);
      } finally {
        s.snapshotQueued = false;
      }
    });
  }

  private metaInput(s: Segment, fp: { fingerprint: string; size: number; mtimeMs: number } | null): IndexMetaInput {
    const ix = s.indexer;
    const info = ix.fileInfo;
    const header = s.format === 'pcap' ? segmentHeaderHex(s) : null;
    return {
      writer: TAPLINE_VERSION,
      createdAt: new Date().toISOString(),
      // an open segment has no stable content yet: its identity is the segment id and the
      // bytes this snapshot covers (documented in docs/INDEX-FORMAT.md)
      source: fp ? { path: s.path, ...fp } : { path: s.path, fingerprint: liveFingerprint(s.id), size: indexedBytes(s), mtimeMs: 0 },
      format: info?.format ?? s.format,
      compressed: null,
      pcapHeaderHex: header,
      nanosecond: info?.nanosecond ?? true,
      littleEndian: info?.littleEndian ?? true,
      interfaces: ix.interfaces,
      packets: ix.packets,
      bytes: ix.bytes,
      indexedBytes: indexedBytes(s),
      firstTs: ix.firstTs,
      lastTs: ix.lastTs,
      damage: null,
      counts: { nonIpPackets: ix.nonIpPackets, undecodedPackets: ix.undecodedPackets, malformedPackets: ix.malformedPackets },
    };
  }

  // ---- failures (disk full, I/O errors) ----

  /**
   * Writing a segment failed: cut it back to what was written whole, stop writing (packets are
   * counted as dropped), and resume once the disk has room. The segment's packets on disk stay
   * indexed: its last snapshot is valid, and its final index is built when space returns.
   */
  private async fail(s: Segment, e: Error): Promise<void> {
    if (s.failed) return;
    s.failed = true;
    this.closeDirect(s);
    const code = (e as NodeJS.ErrnoException).code;
    const msg = code === 'ENOSPC' ? `disk full: live capture stopped writing to ${this.storeDir} (${e.message}); it resumes when space is freed` : `live store write failed: ${e.message}; writing stopped, retrying every second`;
    this.stoppedError = new Error(msg);
    this.st.error = msg;
    const lost = s.packets - s.durablePackets;
    if (this.seg === s) {
      this.seg = null;
      this.bufLen = 0;
    }
    this.st.storedPackets -= lost;
    this.st.droppedDiskFull += lost;
    try {
      if (s.fd !== null) {
        const fd = s.fd;
        await s.syncing;
        await truncateFd(fd, s.written).catch(() => undefined);
        s.fd = null;
        await closeFdAsync(fd).catch(() => undefined);
      }
    } finally {
      this.needRepair.set(s.id, s.path);
    }
    this.log(msg);
    this.opts.onError?.(this.stoppedError);
  }

  private async tryResume(): Promise<void> {
    await this.retention();
    const fs = await statfs(segmentsDir(this.storeDir)).catch(() => null);
    if (!fs || fs.bavail * fs.bsize < RESUME_FREE_BYTES) return;
    for (const [id, path] of this.needRepair) {
      try {
        const exists = await stat(path).then(
          () => true,
          () => false,
        );
        if (exists) await repairSegment(this.storeDir, id, path);
        this.needRepair.delete(id);
      } catch {
        return; // still no room for its index: try again next tick
      }
    }
    this.stoppedError = null;
    this.st.error = null;
    this.log(`live store ${this.storeDir}: writing resumed`);
  }

  /**
   * Pushes the open segment's data to stable storage once per flush, without holding up the
   * index: a kill -9 loses nothing written (the page cache survives the process), and after a
   * power loss the segment is repaired from what actually reached the disk, never read through
   * its snapshot (snapshots are used only while their writer runs).
   */
  private syncInBackground(s: Segment): void {
    if (s.syncing || s.fd === null) return;
    s.syncing = datasyncFd(s.fd)
      .catch((e: Error) => this.log(`live store: datasync of ${s.path} failed: ${e.message}`))
      .finally(() => {
        s.syncing = null;
      });
  }

  private async retention(): Promise<void> {
    const r = await enforceRetention(this.storeDir, {
      maxStoreBytes: this.opts.maxStoreBytes ?? 0,
      maxAgeSeconds: this.opts.maxAgeSeconds ?? 0,
      openSegment: this.seg?.id ?? null,
      busy: this.finalizing,
      log: this.log,
      closedSizes: this.closedSizes,
    });
    this.st.segments = r.segments;
    this.st.storeBytes = r.bytes;
  }

  private emit(batch: LiveFlowSummary[]): void {
    if (batch.length && this.opts.onFlows) this.opts.onFlows(batch);
  }

  private enqueue(op: () => Promise<unknown>): void {
    // a dry writer has no store: retention passes and gap lines are skipped with the rest
    if (this.dry) return;
    this.chain = this.chain.then(op).then(
      () => undefined,
      (e: unknown) => {
        this.log(`live store: ${(e as Error).message}`);
      },
    );
  }
}

/**
 * The segments lock. A reader repairing torn segments holds it for a moment too, so a busy lock
 * is retried for a few seconds before it is taken to mean another live writer.
 */
async function acquireWriterLock(storeDir: string): Promise<StoreLock> {
  let last: Error | null = null;
  for (let i = 0; i < 20; i++) {
    try {
      return await StoreLock.acquire(segmentsDir(storeDir));
    } catch (e) {
      last = e as Error;
      if (!/is being written by process/.test(last.message)) throw last;
      await sleep(250);
    }
  }
  throw new Error(`${storeDir}: another live writer is running (${last?.message ?? 'lock busy'})`);
}

/**
 * Replaces an open segment's snapshot index: temp file + rename, so a reader sees the old one or
 * the new one, never a mix. Not fsynced: a snapshot is only read while its writer runs (after a
 * crash the segment is re-indexed from its packets), so syncing it would only add lag.
 */
async function writeSnapshot(path: string, index: EncodedIndex): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const fh = await open(temp, 'w', 0o644);
  try {
    await writeAllChunks(fh, index.chunks);
    await fh.close();
    await rename(temp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw e;
  }
}

/**
 * Bytes of s the index covers. A snapshot or final index is encoded after submit(), when every
 * record indexed has been handed to the write chain: for pcap that is everything submitted.
 */
function indexedBytes(s: Segment): number {
  return s.format === 'pcap' ? s.submitted : s.parser.consumed;
}

/** The pcap global header the segment was started with (what slices of it copy). */
function segmentHeaderHex(s: Segment): string {
  return Buffer.from(s.header).toString('hex');
}

/** The fingerprint field of an open segment's snapshot index: a stable identity, not a content hash. */
function liveFingerprint(id: string): string {
  return id.padStart(64, '0');
}
