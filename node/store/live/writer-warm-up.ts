/**
 * Warms the live writer's hot path up before a capture's first packet. A fresh writer thread
 * otherwise compiles its per-packet code (decoders, flow table, indexer, borrowRuns) and its
 * per-snapshot code (index encoder) while the first packets arrive: V8's optimizing compiler
 * runs beside the capture, and rare paths (first rotation, first rehash, the reuse of a closed
 * segment's indexer, snapshot branches) deoptimize and recompile later in the capture.
 *
 * Here the real code runs on generated packets (warm-up-traffic.ts) in the real batch layout,
 * through a dry LiveWriter (LiveWriter.dry: no store, no file, no flow summary emitted), with
 * small segments so that it rotates, reuses indexers, rehashes tables and encodes snapshots and
 * final indexes. Everything it builds is dropped when it returns, but for its indexers (reset,
 * handed to the capture's writer) and V8's compiled code and type feedback. Bounded by packets
 * and by wall time.
 *
 * Off with TAPLINE_WRITER_WARMUP=0 (or the writer thread's `warmUp: false`); a larger number
 * sets the packets to run (for measuring; the wall-time bound stays).
 */
import { LiveWriter, type SpareIndexer } from './live-writer.js';
import { writeBatch } from './write-batch.js';
import { fillWarmUpBatch, warmUpTraffic } from './warm-up-traffic.js';

export interface WarmUpOptions {
  /** Packets to run (default 12 000). */
  packets?: number;
  /** Stop after this much wall time even if fewer packets ran (default 1 s: on a loaded machine the thread gets a fraction of a core). */
  maxMs?: number;
  /** Whether the capture wants flow summaries (their collection is warmed too). */
  summaries?: boolean;
}

export interface WarmUpReport {
  packets: number;
  batches: number;
  snapshots: number;
  /** Segments the dry writer closed (each a final index encoded). */
  segments: number;
  wallMs: number;
  /**
   * The dry writer's indexers and encoders, reset: for the capture's writer (LiveWriter.adoptSpares),
   * so that its segments run on the very objects the warm-up compiled its code for.
   */
  spares: SpareIndexer[];
}

const BATCH_BYTES = 1 << 20;
const SLOTS = 4;
/** Segments of the warm-up: several rotations within its packets. */
const WARM_SEGMENT_BYTES = 2 * 1024 * 1024;
/**
 * Flows: the table grows past its first 1024 columns and rehashes its slots in each segment, and
 * each TCP flow gets to its FIN and a new connection's SYN within the default packets.
 */
const WARM_FLOWS = 1500;
/**
 * A snapshot after every batch: a warm-up segment (2 MiB, about two batches) then gets a
 * snapshot before its final index, so later encodes re-encode flows an earlier one wrote (the
 * branches a capture's snapshots take from its second one on). Every other batch left most
 * segments with one encode of new flows only: the encoder deoptimized mid-capture, and V8's
 * compiler threads used 0.19 against 0.16 µs per packet (harness, 4 alternating pairs).
 */
const BATCHES_PER_SNAPSHOT = 1;

/**
 * The warm-up TAPLINE_WRITER_WARMUP asks for: null when it turns it off (0, false, off), the
 * packets to run when it is a number above 1, else the defaults (unset, 1, true, on).
 */
export function warmUpFromEnv(env: Record<string, string | undefined>): WarmUpOptions | null {
  const v = env.TAPLINE_WRITER_WARMUP?.trim().toLowerCase();
  if (v === '0' || v === 'false' || v === 'off') return null;
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 1 ? { packets: Math.min(n, 10_000_000) } : {};
}

export async function warmUpLiveWriter(opts: WarmUpOptions = {}): Promise<WarmUpReport> {
  const target = opts.packets ?? 12_000;
  const maxMs = opts.maxMs ?? 1000;
  const started = performance.now();
  const w = LiveWriter.dry({ segmentBytes: WARM_SEGMENT_BYTES, summaries: opts.summaries });
  w.link({ id: 0, linkType: 1, snapLen: 262_144, name: 'warm-up' });
  // shared memory, as the capture thread's batch slots, and several of them in turn: the record
  // view's buffer changes between batches as in a capture (a store never made in the warm-up
  // has no type feedback, and its first execution mid-capture deoptimizes the indexing loop)
  const slots = Array.from({ length: SLOTS }, () => new Uint8Array(new SharedArrayBuffer(BATCH_BYTES)));
  const views = slots.map((b) => new DataView(b.buffer));
  const traffic = warmUpTraffic(WARM_FLOWS, Date.now());
  let packets = 0;
  let batches = 0;
  let snapshots = 0;
  while (packets < target && performance.now() - started < maxMs) {
    const batch = slots[batches % SLOTS];
    const len = fillWarmUpBatch(batch, views[batches % SLOTS], 0, traffic);
    packets += writeBatch(w, batch, len).packets;
    if (++batches % BATCHES_PER_SNAPSHOT === 0) {
      await w.flush();
      snapshots++;
    }
  }
  await w.close();
  return { packets, batches, snapshots, segments: w.stats().segments, wallMs: performance.now() - started, spares: w.takeSpares() };
}
