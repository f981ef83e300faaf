/**
 * A LiveStoreWriter whose work (decode, index, segment writes, index flushes, rotation,
 * retention) runs in a worker thread (writer-thread.ts), so the thread that drains the capture
 * source (libpcap's kernel ring, an ssh or PCAP-over-IP socket) is never held up by an index
 * flush: it only copies each packet into a batch buffer.
 *
 * Batches are slots of shared memory (one SharedArrayBuffer of BATCH_BYTES each, sent to the
 * thread once when created, then named by id): nothing is transferred per batch. Transferring
 * ArrayBuffers back and forth detached one per batch, and the first detach in an isolate makes V8
 * throw away its optimized code of every typed-array access (the decoder, the flow table, the
 * index encoders: all of the writer) and recompile it with detach checks, for good. Written
 * slots come back through a ring in shared memory (slot-returns.ts), read here whenever a buffer
 * is taken, not by a message that wakes this thread per batch.
 *
 * The hand-off is bounded: batches of BATCH_BYTES, at most MAX_IN_FLIGHT_BYTES of them handed
 * over and not yet given back. When the writer falls that far behind, packets are dropped here
 * and counted in stats().droppedHandoff, separately from the kernel's and the writer's own drops.
 *
 * stats() is synchronous: it combines this side's counters with the writer thread's latest
 * (sent every 200 ms, and after every flush and at close, where they are exact).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LiveGap, LiveLink, LivePacket } from '../../../common/capture/live-packet-sink.js';
import type { LiveStoreWriter } from './live-writer-api.js';
import { emptyLiveWriterStats, type LiveFlowSummary, type LiveWriterStats } from './live-writer-options.js';
import { BATCH_RUN_HEADER, appendBatchRecordFrom, batchRecordLength, endBatchRun, startBatchRun } from './packet-batch.js';
import { SlotReturnReader, createSlotReturns } from './slot-returns.js';
import { FromWriterThreadSchema, type ToWriterThread, type WriterThreadInit } from './writer-thread-messages.js';

const BATCH_BYTES = 1 << 20;
/** The default hand-off ring: batches with the writer thread, queued or being replayed. */
const MAX_IN_FLIGHT_BYTES = 128 * 1024 * 1024;
/**
 * Returned batch slots kept for reuse. The native capture thread holds 8 and the writer thread
 * up to a few waiting for the disk: a pool smaller than what circulates meant a fresh zeroed
 * 1 MiB buffer (and its GC) for every batch beyond it. Slots beyond it are released.
 */
const POOL_BATCHES = 32;

export interface ThreadedWriterOptions extends Omit<WriterThreadInit, 'storeDir' | 'wantFlows' | 'returns'> {
  /** Size of the hand-off ring, bytes (default 128 MiB; at least two batches of 1 MiB). */
  handoffBytes?: number;
  /**
   * false: every written slot comes back by a `returned` message, seen when this thread's event
   * loop turns (the path a full slot-return ring falls back to), instead of through the ring.
   */
  slotReturnRing?: boolean;
  onFlows?: (batch: LiveFlowSummary[]) => void;
  onError?: (error: Error) => void;
  log?: (line: string) => void;
}

/** The thread's entry: the built .js next to this module, or the .ts source under tsx. */
function threadEntry(): { entry: string | URL; eval: boolean } {
  const js = new URL('./writer-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { entry: js, eval: false };
  const ts = new URL('./writer-thread.ts', import.meta.url);
  // Running from source (tests, tsx): a worker thread does not inherit tsx's loader, so the
  // thread registers it before importing its entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => m.register()).then(() => import(${JSON.stringify(ts.href)}));`;
  return { entry: code, eval: true };
}


export class ThreadedLiveWriter implements LiveStoreWriter {
  /** Stores written from this process: the writer thread's own check sees only its thread. */
  private static readonly openStores = new Set<string>();
  /** Batch slots by id (views of their SharedArrayBuffers), and the id of each view. */
  private readonly slots = new Map<number, Uint8Array>();
  private readonly slotIds = new Map<Uint8Array, number>();
  private nextSlot = 0;
  /** Ids of free slots. */
  private readonly pool: number[] = [];
  /** The slot the copying path (packetFrom) fills. */
  private slot = -1;
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0)) as DataView<ArrayBufferLike>;
  private len = 0;
  /** The link of the current batch's last run, and where that run starts. */
  private batchLink = 0;
  private runAt = 0;
  private inFlight = 0;
  private postScheduled = false;
  private received = 0;
  private receivedBytes = 0;
  private droppedHandoff = 0;
  /** A packet was dropped for want of ring room; the current batch waits to be handed over. */
  private ringFull = false;
  private threadStats = emptyLiveWriterStats();
  private flushId = 0;
  private readonly flushWaiters = new Map<number, () => void>();
  private closing: Promise<void> | null = null;
  private resolveClosed!: () => void;
  private readonly closed = new Promise<void>((r) => (this.resolveClosed = r));
  private threadGone = false;
  /** Bytes of empty batch buffers lent out (takeBatchBuffer) and not handed over yet. */
  private lent = 0;
  private bufferFree: (() => void) | null = null;

  /** A slot the writer thread gave back through the ring (a method bound once: drained per batch). */
  private readonly onReturned = (slot: number): void => {
    this.inFlight -= BATCH_BYTES;
    this.releaseSlot(slot);
  };

  private constructor(
    private readonly key: string,
    private readonly worker: Worker,
    private readonly opts: Pick<ThreadedWriterOptions, 'onFlows' | 'onError' | 'log'>,
    private readonly maxInFlight: number,
    /** Written slots come back through this ring (slot-returns.ts), read when a buffer is taken. */
    private readonly returns: SlotReturnReader,
  ) {}

  /** Starts the writer thread and opens the store there; rejects with the thread's error. */
  static async open(storeDir: string, opts: ThreadedWriterOptions = {}): Promise<ThreadedLiveWriter> {
    const key = resolve(storeDir);
    if (ThreadedLiveWriter.openStores.has(key)) throw new Error(`${storeDir}: another live writer is running (in this process)`);
    const { onFlows, onError, log, handoffBytes, slotReturnRing, ...rest } = opts;
    const maxInFlight = Math.max(2 * BATCH_BYTES, handoffBytes ?? MAX_IN_FLIGHT_BYTES);
    // room for every slot that can be out at once (in flight, lent, pooled), twice over; a full
    // ring only means a message per slot, as before
    const returns = createSlotReturns(Math.min(1 << 20, 2 * (Math.ceil(maxInFlight / BATCH_BYTES) + POOL_BATCHES + 16)));
    const init: WriterThreadInit = { ...rest, storeDir, wantFlows: onFlows !== undefined, returns: slotReturnRing === false ? undefined : returns };
    const { entry, eval: isEval } = threadEntry();
    ThreadedLiveWriter.openStores.add(key);
    const worker = new Worker(entry, { eval: isEval, workerData: init, name: 'tapline-live-writer' });
    const w = new ThreadedLiveWriter(key, worker, { onFlows, onError, log }, maxInFlight, new SlotReturnReader(returns));
    try {
      await w.started();
    } catch (e) {
      ThreadedLiveWriter.openStores.delete(key);
      await worker.terminate();
      throw e;
    }
    return w;
  }

  private started(): Promise<void> {
    return new Promise((resolveOpen, rejectOpen) => {
      let opened = false;
      this.worker.on('message', (raw: unknown) => {
        const m = FromWriterThreadSchema.parse(raw);
        switch (m.kind) {
          case 'opened':
            opened = true;
            resolveOpen();
            return;
          case 'open-failed':
            rejectOpen(new Error(m.message));
            return;
          case 'returned':
            this.inFlight -= BATCH_BYTES;
            this.releaseSlot(m.slot);
            this.bufferFree?.();
            return;
          case 'returns-ready':
            this.returns.drain(this.onReturned);
            this.bufferFree?.();
            return;
          case 'stats':
            this.threadStats = m.stats;
            return;
          case 'flows':
            this.opts.onFlows?.(m.batch as LiveFlowSummary[]);
            return;
          case 'error':
            this.opts.onError?.(new Error(m.message));
            return;
          case 'log':
            this.opts.log?.(m.line);
            return;
          case 'flushed':
            this.flushWaiters.get(m.id)?.();
            this.flushWaiters.delete(m.id);
            return;
          case 'closed':
            this.resolveClosed();
            return;
        }
      });
      this.worker.on('error', (e) => {
        // an uncaught error in the thread (a bug): nothing more gets written; say so once
        const msg = `live store writer thread failed: ${e.message}`;
        if (!opened) rejectOpen(new Error(msg));
        else this.opts.onError?.(new Error(msg));
        this.threadStats = { ...this.threadStats, error: msg };
      });
      this.worker.on('exit', () => {
        this.threadGone = true;
        if (!opened) rejectOpen(new Error('live store writer thread exited before opening the store'));
        for (const done of this.flushWaiters.values()) done();
        this.flushWaiters.clear();
        this.resolveClosed();
      });
    });
  }

  // ---- LivePacketSink (the capture thread's hot path) ----

  link(l: LiveLink): void {
    // packets before the link go first: the writer sees everything in the source's order
    this.postBatch();
    this.send({ kind: 'link', link: { ...l } });
  }

  packet(p: LivePacket): void {
    this.packetFrom(p.linkId, p.tsSec, p.tsNsec, p.data, Math.min(p.capLen, p.data.length), p.origLen);
  }

  /** The capture loop's fast path (FastPacketSink): fields as arguments, bytes src[0, capLen). */
  packetFrom(linkId: number, tsSec: number, tsNsec: number, src: Uint8Array, capLen: number, origLen: number): void {
    this.received++;
    this.receivedBytes += origLen;
    if (this.closing !== null) return;
    if (this.threadGone) {
      // the writer thread died (a bug, reported through onError): what arrives now is lost, counted
      this.droppedHandoff++;
      return;
    }
    if (this.ringFull) {
      // drops stay contiguous: nothing is added to a batch that waits for ring room
      this.postBatch();
      if (this.len > 0) {
        this.droppedHandoff++;
        return;
      }
      this.ringFull = false;
    }
    // a new run (8-byte header) when the batch is empty or the link changes
    const newRun = this.len === 0 || linkId !== this.batchLink;
    const need = batchRecordLength(capLen) + (newRun ? BATCH_RUN_HEADER : 0);
    if (this.slot < 0) this.useSlot(this.takeSlot());
    if (this.len + need > this.buf.length) {
      this.postBatch();
      if (this.len + need > this.buf.length) {
        // the ring is full (or the packet is larger than a batch, which snap lengths rule out)
        this.ringFull = this.len > 0;
        this.droppedHandoff++;
        return;
      }
    }
    if (this.len === 0 || linkId !== this.batchLink) {
      this.runAt = this.len;
      this.batchLink = linkId;
      this.len = startBatchRun(this.view, this.len, linkId);
    }
    this.len = appendBatchRecordFrom(this.buf, this.view, this.len, tsSec, tsNsec, src, capLen, origLen);
    endBatchRun(this.view, this.runAt, this.len);
    if (!this.postScheduled) {
      // one hand-off per turn of the event loop: a libpcap dispatch delivers its whole burst first
      this.postScheduled = true;
      setImmediate(() => {
        this.postScheduled = false;
        this.postBatch();
      });
    }
  }

  // ---- BatchPacketSink (the native capture thread fills whole batches) ----

  takeBatchBuffer(): Uint8Array | null {
    if (this.threadGone || this.closing !== null) return null;
    this.returns.drain(this.onReturned);
    if (this.inFlight + this.lent + this.len + BATCH_BYTES > this.maxInFlight) {
      // out of room: ask the thread to say when it gives a slot back (onBatchBufferFree's
      // listener then asks again), then look once more in case one came back meanwhile
      this.returns.wantWake();
      this.returns.drain(this.onReturned);
      if (this.inFlight + this.lent + this.len + BATCH_BYTES > this.maxInFlight) return null;
    }
    const b = this.slots.get(this.takeSlot()) as Uint8Array;
    this.lent += BATCH_BYTES;
    return b;
  }

  onBatchBufferFree(listener: (() => void) | null): void {
    this.bufferFree = listener;
  }

  /** A batch filled by the native capture thread, in a buffer from takeBatchBuffer: handed over by its slot id. */
  packetBatch(buf: Uint8Array, len: number, packets: number, bytes: number): void {
    const slot = this.slotIds.get(buf);
    if (slot === undefined) throw new Error('packetBatch: not a buffer from takeBatchBuffer');
    this.lent = Math.max(0, this.lent - BATCH_BYTES);
    this.received += packets;
    this.receivedBytes += bytes;
    if (this.closing !== null || this.threadGone) {
      if (this.threadGone) this.droppedHandoff += packets;
      this.releaseSlot(slot);
      return;
    }
    // packets of the copying path go first; its batch goes even over the bound (order matters more)
    this.postBatch(true);
    this.inFlight += BATCH_BYTES;
    this.send({ kind: 'packets', slot, len });
  }

  /** A free slot: from the pool, or a new one, whose memory the writer thread gets once, now. */
  private takeSlot(): number {
    const free = this.pool.pop();
    if (free !== undefined) return free;
    const id = this.nextSlot++;
    const mem = new SharedArrayBuffer(BATCH_BYTES);
    const view = new Uint8Array(mem);
    this.slots.set(id, view);
    this.slotIds.set(view, id);
    this.send({ kind: 'slot', slot: id, buf: mem });
    return id;
  }

  /** A slot back from the writer thread (or never handed over): pooled, or released beyond the pool. */
  private releaseSlot(id: number): void {
    if (this.pool.length < POOL_BATCHES) {
      this.pool.push(id);
      return;
    }
    const view = this.slots.get(id);
    if (view) this.slotIds.delete(view);
    this.slots.delete(id);
    this.send({ kind: 'drop-slot', slot: id });
  }

  private useSlot(id: number): void {
    this.slot = id;
    this.buf = this.slots.get(id) as Uint8Array;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.len = 0;
  }

  gap(g: LiveGap): void {
    this.postBatch();
    this.send({ kind: 'gap', gap: { from: { ...g.from }, to: { ...g.to }, reason: g.reason } });
  }

  alert(flowKey: string): void {
    this.postBatch();
    this.send({ kind: 'alert', flowKey });
  }

  /**
   * Hands the current batch over and takes a fresh buffer. When the ring is full the current
   * batch stays (len unchanged) and the caller drops the packet that does not fit.
   */
  private postBatch(overBound = false): void {
    if (this.len === 0 || this.threadGone) return;
    this.returns.drain(this.onReturned);
    if (!overBound && this.inFlight + BATCH_BYTES > this.maxInFlight) return;
    this.inFlight += BATCH_BYTES;
    this.send({ kind: 'packets', slot: this.slot, len: this.len });
    this.useSlot(this.takeSlot());
  }

  private send(m: ToWriterThread): void {
    if (this.threadGone) return;
    this.worker.postMessage(m);
  }

  // ---- control ----

  flush(): Promise<void> {
    this.postBatch();
    if (this.threadGone) return Promise.resolve();
    const id = ++this.flushId;
    return new Promise((done) => {
      this.flushWaiters.set(id, done);
      this.send({ kind: 'flush', id });
    });
  }

  close(): Promise<void> {
    if (this.closing === null) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // the last batch may wait for ring room: it is handed over as the writer gives batches back
    while (this.len > 0 && !this.threadGone) {
      this.postBatch();
      if (this.len > 0) await new Promise((r) => setTimeout(r, 5));
    }
    this.send({ kind: 'close' });
    await this.closed;
    await this.worker.terminate();
    ThreadedLiveWriter.openStores.delete(this.key);
  }

  stats(): LiveWriterStats {
    this.returns.drain(this.onReturned);
    const t = this.threadStats;
    return {
      ...t,
      receivedPackets: this.received,
      receivedBytes: this.receivedBytes,
      queuedBytes: t.queuedBytes + this.inFlight + this.len,
      droppedHandoff: this.droppedHandoff,
    };
  }
}

export function openThreadedLiveWriter(storeDir: string, opts: ThreadedWriterOptions = {}): Promise<ThreadedLiveWriter> {
  return ThreadedLiveWriter.open(storeDir, opts);
}
