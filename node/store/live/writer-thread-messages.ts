/**
 * Messages between ThreadedLiveWriter (the capture's thread) and the store writer's thread
 * (writer-thread.ts). One zod schema per message, checked on the receiving side; packet batches
 * are checked per batch (their records by forEachBatchRecord), never per packet. Batches live in
 * shared-memory slots (threaded-writer.ts says why): no message transfers an ArrayBuffer.
 */
import { z } from 'zod';
import { LiveFlowSummaryBatchSchema } from '../../../common/capture/live-flow-summary.js';

const count = z.number().int().nonnegative();
const tsSchema = z.object({ sec: z.number().int(), nsec: z.number().int().min(0).max(999_999_999) });

/** What the thread is started with (workerData): LiveWriterOptions minus the callbacks. */
export const WriterThreadInitSchema = z.object({
  storeDir: z.string().min(1),
  segmentBytes: count.optional(),
  segmentSeconds: z.number().positive().optional(),
  maxStoreBytes: count.optional(),
  maxAgeSeconds: z.number().nonnegative().optional(),
  mode: z.enum(['full', 'conditional']).optional(),
  preAlertPackets: count.optional(),
  /** Conditional mode: alert a flow whose payload contains this text (payloadContainsTrigger). */
  triggerPayload: z.string().optional(),
  /** Conditional mode: rule files whose matches alert a flow (RuleTrigger); either trigger alerts. */
  triggerRules: z.array(z.string().min(1)).optional(),
  ruleClassification: z.string().optional(),
  flushIntervalMs: z.number().positive().optional(),
  directIo: z.boolean().optional(),
  nativeFlows: z.boolean().optional(),
  /** Whether flow summaries are wanted (collecting them costs time). */
  wantFlows: z.boolean(),
  /**
   * Warm the writer's hot path up on generated packets before reporting `opened`
   * (writer-warm-up.ts). Default: on, unless TAPLINE_WRITER_WARMUP=0.
   */
  warmUp: z.boolean().optional(),
  /**
   * The slot-return ring (slot-returns.ts): the thread gives written batch slots back through it
   * instead of a message per batch. Absent: every slot goes back by a `returned` message.
   */
  returns: z.instanceof(SharedArrayBuffer).optional(),
});
export type WriterThreadInit = z.infer<typeof WriterThreadInitSchema>;

export const ToWriterThreadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('link'), link: z.object({ id: count, linkType: count, snapLen: count, name: z.string() }) }),
  /** A batch slot's shared memory, sent once when the slot is created; later messages name its id. */
  z.object({ kind: z.literal('slot'), slot: count, buf: z.instanceof(SharedArrayBuffer) }),
  /** The capture side released the slot (its pool is full): forget it. */
  z.object({ kind: z.literal('drop-slot'), slot: count }),
  /** Slot `slot` holds a batch of len bytes (packet-batch.ts); the thread gives it back with `returned`. */
  z.object({ kind: z.literal('packets'), slot: count, len: count }),
  z.object({ kind: z.literal('gap'), gap: z.object({ from: tsSchema, to: tsSchema, reason: z.string() }) }),
  z.object({ kind: z.literal('alert'), flowKey: z.string() }),
  z.object({ kind: z.literal('flush'), id: count }),
  z.object({ kind: z.literal('close') }),
]);
export type ToWriterThread = z.infer<typeof ToWriterThreadSchema>;

export const WriterThreadStatsSchema = z.object({
  receivedPackets: count,
  receivedBytes: count,
  storedPackets: count,
  storedBytes: count,
  nativeIndexedPackets: count,
  durablePackets: count,
  queuedBytes: count,
  droppedBacklog: count,
  droppedDiskFull: count,
  droppedUnknownLink: count,
  droppedHandoff: count,
  notAlerted: count,
  alertedFlows: count,
  segments: count,
  storeBytes: count,
  activeFlows: count,
  openSegment: z.string().nullable(),
  gaps: count,
  error: z.string().nullable(),
  lastFlushAt: count,
  segmentWrites: z.enum(['direct', 'page-cache']).nullable(),
});

export const FromWriterThreadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('opened') }),
  z.object({ kind: z.literal('open-failed'), message: z.string() }),
  /** A batch slot the thread is done with, handed back for reuse. */
  z.object({ kind: z.literal('returned'), slot: count, packets: count, bytes: count }),
  /** Slots wait in the slot-return ring and the capture side asked to be told (it ran out of slots). */
  z.object({ kind: z.literal('returns-ready') }),
  z.object({ kind: z.literal('stats'), stats: WriterThreadStatsSchema }),
  z.object({ kind: z.literal('flows'), batch: LiveFlowSummaryBatchSchema }),
  z.object({ kind: z.literal('error'), message: z.string() }),
  z.object({ kind: z.literal('log'), line: z.string() }),
  z.object({ kind: z.literal('flushed'), id: count }),
  z.object({ kind: z.literal('closed') }),
]);
export type FromWriterThread = z.infer<typeof FromWriterThreadSchema>;
