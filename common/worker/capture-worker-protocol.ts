/**
 * The capture worker's payloads on the worker protocol (worker-protocol.ts): the methods
 * `interfaces`, `start`, `stop`, `stats`, the once-a-second stats message and the events. One zod
 * schema per message: the worker checks params, the supervisor checks results, stats and events.
 */
import { z } from 'zod';
import { LiveFlowSummarySchema } from '../capture/live-flow-summary.js';
import { defineWorkerProtocol } from './worker-protocol.js';

const int = z.number().int();
const count = int.nonnegative();
const nullableCount = count.nullable();

export const InterfaceInfoSchema = z.strictObject({
  name: z.string(),
  description: z.string().nullable(),
  addresses: z.array(z.strictObject({ addr: z.string(), netmask: z.string().nullable() })),
  linkType: int.nullable(),
  up: z.boolean().nullable(),
  operState: z.string().nullable(),
  loopback: z.boolean(),
});
export const InterfaceListSchema = z.strictObject({ interfaces: z.array(InterfaceInfoSchema), source: z.string() });

const ifaceName = z.string().min(1).max(64);
const filter = z.string().max(65536);
const snapLen = int.min(64).max(262144);

export const LibpcapStartSchema = z.strictObject({
  kind: z.literal('libpcap'),
  iface: ifaceName,
  filter: filter.optional(),
  snapLen: snapLen.optional(),
  promiscuous: z.boolean().optional(),
  bufferSize: int.min(65536).max(0x7fffffff).optional(),
});
export const SshStartSchema = z.strictObject({
  kind: z.literal('ssh'),
  destination: z.string().min(1).max(320),
  port: int.min(1).max(65535).optional(),
  remoteIface: ifaceName,
  filter: filter.optional(),
  sudo: z.boolean().optional(),
  snapLen: snapLen.optional(),
  promiscuous: z.boolean().optional(),
  knownHostsFile: z.string().min(1).max(4096).optional(),
  hostKeyFingerprint: z.string().max(100).optional(),
  identityFile: z.string().min(1).max(4096).optional(),
});
export const PcapOverIpStartSchema = z.strictObject({
  kind: z.literal('pcap-over-ip'),
  host: z.string().min(1).max(255),
  port: int.min(1).max(65535),
});
export const CaptureSourceSchema = z.discriminatedUnion('kind', [LibpcapStartSchema, SshStartSchema, PcapOverIpStartSchema]);
export type CaptureSourceConfig = z.infer<typeof CaptureSourceSchema>;

export const CaptureStoreOptionsSchema = z.strictObject({
  dir: z.string().min(1).max(4096),
  /** Ring bound on the live segments' total bytes. */
  maxStoreBytes: int.positive().optional(),
  /** Ring bound on age, seconds. */
  maxAgeSec: int.positive().optional(),
  mode: z.enum(['full', 'conditional']).optional(),
  /** Conditional mode: a flow alerts on a packet whose payload contains this text. */
  triggerPayload: z.string().min(1).max(1024).optional(),
  /**
   * Conditional mode: Snort/Suricata rule files (absolute paths, read by the worker); a flow alerts
   * on the packet that completes a rule match (the rule engine's RuleTrigger). With
   * triggerPayload too, either alerts.
   */
  triggerRules: z.array(z.string().min(2).max(4096).refine((p) => p.startsWith('/'), 'an absolute path')).min(1).max(16).optional(),
  /** The classification config for triggerRules' classtypes (absolute path; the shipped one when absent). */
  ruleClassification: z.string().min(2).max(4096).refine((p) => p.startsWith('/'), 'an absolute path').optional(),
  /** Conditional mode: packets kept from before each flow's alert (default 10). */
  preAlertPackets: int.min(0).max(100_000).optional(),
  /** Rotate the current segment at this size. */
  segmentBytes: int.min(1024 * 1024).optional(),
  /**
   * false: send no `flows` events (the CLI, which shows only counts): building, cloning and
   * checking a summary per changed flow every second is a large share of the worker's CPU.
   * Default true.
   */
  flowSummaries: z.boolean().optional(),
});
export type CaptureStoreOptions = z.infer<typeof CaptureStoreOptionsSchema>;

export const StartParamsSchema = z.strictObject({ source: CaptureSourceSchema, store: CaptureStoreOptionsSchema });
export type StartParams = z.infer<typeof StartParamsSchema>;

export const CaptureStatsSchema = z.strictObject({
  running: z.boolean(),
  source: z.string().nullable(),
  elapsedMs: count,
  packets: count,
  bytes: count,
  kernelDrops: nullableCount,
  ifDrops: nullableCount,
  /** Packets written to the store (conditional mode stores fewer than received). */
  storedPackets: count,
  /** Packets whose bytes are on disk under a durable index (sliceable). */
  durablePackets: count,
  /** Packets the store writer dropped (disk full, write queue full). */
  storeDrops: count,
  /**
   * Packets dropped between the capture thread and the store writer's thread because the
   * hand-off ring was full (the writer fell behind): counted apart from kernel and store drops.
   */
  handoffDrops: count.optional(),
  /** Bytes of live segments and their indexes in the store. */
  storeBytes: count,
  /** Flows in the open segment; null before the store writer runs. */
  activeFlows: nullableCount,
  reconnects: count,
  /** Set while the store writer cannot write (disk full...); it resumes by itself. */
  storeError: z.string().nullable(),
  /** How the store writer writes segment data: O_DIRECT, or through the page cache (no addon, a filesystem without O_DIRECT). */
  segmentWrites: z.enum(['direct', 'page-cache']).nullable().optional(),
});
export type CaptureStats = z.infer<typeof CaptureStatsSchema>;

export const StartResultSchema = z.strictObject({ source: z.string(), storeDir: z.string() });
export const StopResultSchema = z.strictObject({ stats: CaptureStatsSchema });

const ts = z.strictObject({ sec: int, nsec: int.min(0).max(999_999_999) });

export const CaptureEventSchema = z.discriminatedUnion('kind', [
  /** The capture ended without a stop request (input ended, source failed). */
  z.strictObject({ kind: z.literal('capture-ended'), reason: z.enum(['eof', 'error']), message: z.string().max(4096) }),
  z.strictObject({ kind: z.literal('gap'), from: ts, to: ts, reason: z.string().max(4096) }),
  /** The store writer stopped writing (disk full, I/O error); it resumes by itself. */
  z.strictObject({ kind: z.literal('store-error'), message: z.string().max(4096) }),
  /** Flow summaries from the store writer (start, update, end; common/capture/live-flow-summary.ts), at most 1000 a message. */
  z.strictObject({ kind: z.literal('flows'), flows: z.array(LiveFlowSummarySchema).max(1000) }),
]);
export type CaptureEvent = z.infer<typeof CaptureEventSchema>;

export const CaptureReadySchema = z.strictObject({ pid: int, libpcap: z.string().nullable(), uid: int.nullable() });

export const captureWorkerProtocol = defineWorkerProtocol({
  methods: {
    interfaces: { params: z.strictObject({}).optional(), result: InterfaceListSchema },
    start: { params: StartParamsSchema, result: StartResultSchema },
    stop: { params: z.strictObject({}).optional(), result: StopResultSchema },
    stats: { params: z.strictObject({}).optional(), result: CaptureStatsSchema.nullable() },
  },
  stats: CaptureStatsSchema,
  event: CaptureEventSchema,
  ready: CaptureReadySchema,
});
export type CaptureWorkerProtocol = typeof captureWorkerProtocol;
