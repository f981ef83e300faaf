/**
 * The capture worker's payloads on the worker protocol (worker-protocol.ts): the methods
 * `interfaces`, `start`, `stop`, `stats`, the once-a-second stats message and the events. One zod
 * schema per message: the worker checks params, the supervisor checks results, stats and events.
 */
import { z } from 'zod';
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
  /** Ring bound on total bytes (livestore writer). */
  maxStoreBytes: int.positive().optional(),
  /** Ring bound on age, seconds (livestore writer). */
  maxAgeSec: int.positive().optional(),
  mode: z.enum(['full', 'conditional']).optional(),
  /** Rotate the current segment at this size. */
  segmentBytes: int.min(1024 * 1024).optional(),
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
  /** Bytes of capture data the store holds for this capture. */
  storeBytes: count,
  /** Flows with a packet in the last minute and not ended; null when not tracked. */
  activeFlows: nullableCount,
  reconnects: count,
});
export type CaptureStats = z.infer<typeof CaptureStatsSchema>;

export const StartResultSchema = z.strictObject({ source: z.string(), storeDir: z.string() });
export const StopResultSchema = z.strictObject({ stats: CaptureStatsSchema, segments: z.array(z.string()) });

const ts = z.strictObject({ sec: int, nsec: int.min(0).max(999_999_999) });

export const LiveFlowSummarySchema = z.strictObject({
  state: z.enum(['start', 'update', 'end']),
  proto: int.min(0).max(255),
  vlan: int.nullable(),
  clientIp: z.string(),
  clientPort: int.nullable(),
  serverIp: z.string(),
  serverPort: int.nullable(),
  firstTs: ts,
  lastTs: ts,
  packets: count,
  bytes: count,
  tcpFlags: count,
});

export const CaptureEventSchema = z.discriminatedUnion('kind', [
  /** The capture ended without a stop request (input ended, source failed). */
  z.strictObject({ kind: z.literal('capture-ended'), reason: z.enum(['eof', 'error']), message: z.string().max(4096) }),
  z.strictObject({ kind: z.literal('gap'), from: ts, to: ts, reason: z.string().max(4096) }),
  /** A closed segment was indexed into the store (status as `tapline import` prints it). */
  z.strictObject({ kind: z.literal('segment'), path: z.string(), packets: count, status: z.string(), message: z.string().nullable() }),
  /** Flow summaries of the last second (start, update, end); `pending` more wait for the next batch. */
  z.strictObject({ kind: z.literal('flows'), flows: z.array(LiveFlowSummarySchema).max(1000), pending: count }),
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
