/**
 * Every message that crosses a process boundary between the UI and the back end, as zod schemas:
 * each schema is both the TypeScript type and the runtime check on the receiving side (IPC
 * handlers, HTTP handlers, the WebSocket client, the renderer).
 */
import { z } from 'zod';

const ts = z.string().regex(/^\d{1,15}(\.\d{1,9})?$/, 'decimal epoch seconds');
const port = z.number().int().min(0).max(65535);

/** A sensor: the local store or a remote `serve` instance. */
export const SensorSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(200),
  /** null for the local store; the base URL of a remote `serve` sensor. */
  url: z.string().url().nullable(),
  status: z.enum(['connected', 'connecting', 'offline', 'error']),
  message: z.string().nullable(),
});
export type Sensor = z.infer<typeof SensorSchema>;

/** A flow as the CLI prints it (`flows --json`), plus the sensor that holds it. */
export const FlowRowSchema = z.object({
  id: z.string(),
  sensor: z.string(),
  kind: z.enum(['ip', 'non-ip', 'undecoded', 'malformed']),
  proto: z.number().int().nullable(),
  client_ip: z.string().nullable(),
  client_port: port.nullable(),
  server_ip: z.string().nullable(),
  server_port: port.nullable(),
  first_ts: ts,
  last_ts: ts,
  packets: z.number().nonnegative(),
  bytes: z.number().nonnegative(),
  client_packets: z.number().nonnegative(),
  client_bytes: z.number().nonnegative(),
  server_packets: z.number().nonnegative(),
  server_bytes: z.number().nonnegative(),
  community_id: z.string().nullable(),
  vlan: z.number().int().nullable(),
  tcp_flags: z.number().int().nullable(),
  icmp_type: z.number().int().nullable(),
  icmp_code: z.number().int().nullable(),
  l2_type: z.number().int().nullable(),
  fragmented: z.boolean(),
  note: z.string().nullable(),
});
export type FlowRow = z.infer<typeof FlowRowSchema>;

/** Flow search as the UI and `GET /api/flows` send it (strings are parsed by the back end). */
export const FlowSearchSchema = z
  .object({
    hosts: z.array(z.string().max(64)).max(8).optional(),
    port: port.optional(),
    proto: z.union([z.number().int().min(0).max(255), z.string().max(16)]).optional(),
    since: z.string().max(64).optional(),
    until: z.string().max(64).optional(),
    community_id: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
    /** Restrict to one sensor id; all sensors when absent. */
    sensor: z.string().max(64).optional(),
  })
  .strict();
export type FlowSearch = z.infer<typeof FlowSearchSchema>;

/** What to slice: one flow by id, or a CapMe-style tuple with an inclusive time window. */
export const SliceTargetSchema = z.union([
  z.object({ flow: z.string().max(64), sensor: z.string().max(64).optional() }).strict(),
  z
    .object({
      sip: z.string().max(64),
      spt: port.optional(),
      dip: z.string().max(64),
      dpt: port.optional(),
      proto: z.union([z.number().int().min(0).max(255), z.string().max(16)]).optional(),
      stime: z.string().max(64).optional(),
      etime: z.string().max(64).optional(),
      sensor: z.string().max(64).optional(),
    })
    .strict(),
]);
export type SliceTarget = z.infer<typeof SliceTargetSchema>;

export const CaptureSummarySchema = z.object({
  id: z.string(),
  path: z.string(),
  size: z.number(),
  packets: z.number(),
  flows: z.number(),
  index_bytes: z.number(),
  first_ts: ts.nullable(),
  last_ts: ts.nullable(),
  damage: z.string().nullable(),
  available: z.boolean(),
});
export type CaptureSummary = z.infer<typeof CaptureSummarySchema>;

export const StoreStatsSchema = z.object({
  sensor: z.string(),
  captures: z.array(CaptureSummarySchema),
  total: z.object({ size: z.number(), packets: z.number(), flows: z.number(), index_bytes: z.number() }),
});
export type StoreStats = z.infer<typeof StoreStatsSchema>;

export const ImportResultSchema = z.object({
  path: z.string(),
  status: z.enum(['indexed', 'reindexed', 'unchanged', 'relinked', 'duplicate', 'failed']),
  capture_id: z.string().nullable(),
  packets: z.number(),
  flows: z.number(),
  bytes: z.number(),
  index_bytes: z.number(),
  message: z.string().nullable(),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

// ---- events ----

const eventBase = {
  /** Unique per sensor; the bus's sequence number orders delivery. */
  id: z.string(),
  sensor: z.string(),
  /** When it happened (decimal epoch seconds). */
  ts,
  /** Negative = likely false positive, 0 = normal, positive = high threat. */
  rank: z.number().int().min(-100).max(100),
};

export const FlowEventSchema = z.object({ ...eventBase, kind: z.literal('flow'), flow: FlowRowSchema });
export const ImportProgressEventSchema = z.object({
  ...eventBase,
  kind: z.literal('import-progress'),
  path: z.string(),
  bytes_read: z.number(),
  total_bytes: z.number(),
});
export const ImportEventSchema = z.object({ ...eventBase, kind: z.literal('import'), result: ImportResultSchema });
export const NoticeEventSchema = z.object({
  ...eventBase,
  kind: z.literal('notice'),
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});

export const EventSchema = z.discriminatedUnion('kind', [FlowEventSchema, ImportProgressEventSchema, ImportEventSchema, NoticeEventSchema]);
export type TaplineEvent = z.infer<typeof EventSchema>;

/** What the live stream delivers, at most every 100 ms. */
export const EventBatchSchema = z.object({
  /** Sequence number of the last event in the batch; resume with since = seq. */
  seq: z.number().int().nonnegative(),
  events: z.array(EventSchema),
  /** Events the client missed because they fell out of the replay buffer. */
  missed: z.number().int().nonnegative(),
});
export type EventBatch = z.infer<typeof EventBatchSchema>;

export const EventSearchSchema = z
  .object({
    kind: z.string().max(32).optional(),
    since: z.string().max(64).optional(),
    until: z.string().max(64).optional(),
    host: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type EventSearch = z.infer<typeof EventSearchSchema>;

export const BackendInfoSchema = z.object({
  version: z.string(),
  sensors: z.array(SensorSchema),
  /** Where slices and API links point (serve mode base URL, or the desktop's loopback API). */
  api_base: z.string().nullable(),
});
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

/** An error the back end reports to the UI: what went wrong and what to do next. */
export const BridgeErrorSchema = z.object({ error: z.string(), hint: z.string().nullable().optional() });
export type BridgeError = z.infer<typeof BridgeErrorSchema>;
