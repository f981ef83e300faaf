/**
 * Every message that crosses a process boundary between the UI and the back end, as zod schemas:
 * each schema is both the TypeScript type and the runtime check on the receiving side (IPC
 * handlers, HTTP handlers, the WebSocket client, the renderer).
 */
import { z } from 'zod';
import { carvedFileRecordSchema } from '../carve/carved-record.js';
import { parseAddressRange } from '../net/address-range.js';
import { CaptureStatusSchema } from './capture-messages.js';

const ts = z.string().regex(/^\d{1,15}(\.\d{1,9})?$/, 'decimal epoch seconds');
const port = z.number().int().min(0).max(65535);

/** Ids of sensors, event classes and threat lists (they appear in URLs and file names). */
export const ID_PATTERN = /^[0-9A-Za-z._-]{1,64}$/;
const ID_MESSAGE = 'letters, digits, . _ - (at most 64)';

/** Negative = likely false positive, 0 = normal, positive = high threat (see common/ranking/). */
export const RankSchema = z.number().int().min(-100).max(100);
/** Labels an event or flow gained from the event classes that matched it (class names, sorted). */
export const ClassLabelsSchema = z.array(z.string().max(100)).max(64);

/** A sensor: the local store or a remote `serve` instance. */
export const SensorSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(200),
  /** null for the local store; the base URL of a remote `serve` sensor. */
  url: z.string().url().nullable(),
  status: z.enum(['connected', 'connecting', 'offline', 'error']),
  message: z.string().nullable(),
  /**
   * Since when the sensor has had this status (decimal epoch seconds): the local store since the
   * services opened, a remote since its link came up or went down (the sensor window's uptime).
   * Optional: sensors of older versions do not send it.
   */
  status_since: ts.nullable().optional(),
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
  /**
   * Rank and class labels under the current threat lists and event classes, computed by the
   * services of the instance answering (a remote sensor's rows are re-ranked locally). Not part
   * of `tapline flows --json`; defaults keep rows of older sensors valid.
   */
  rank: RankSchema.default(0),
  classes: ClassLabelsSchema.default([]),
  /**
   * Log events linked to the flow (correlated at intake, or sniffed from it): node/logs/flow-log-index.ts.
   * Absent from sensors that do not count them.
   */
  log_count: z.number().int().nonnegative().optional(),
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

// ---- follow stream and carved files ----

/** Flow ids as the store names them: <capture id (12 hex)>-<n>. */
export const FLOW_ID_PATTERN = /^[0-9a-f]{12}-\d{1,10}$/;
export const FlowIdSchema = z.string().regex(FLOW_ID_PATTERN, 'a flow id (<12 hex digits>-<number>)');
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 (64 lowercase hex digits)');

/** Default and largest payload a follow request returns (both directions together). */
export const FOLLOW_DEFAULT_MAX_BYTES = 1024 * 1024;
export const FOLLOW_MAX_BYTES = 16 * 1024 * 1024;

const endpoint = z.object({ ip: z.string().max(64), port });

/** One reassembled piece of a stream: dir 0 = client → server, 1 = server → client. */
export const FollowSegmentSchema = z.object({
  dir: z.union([z.literal(0), z.literal(1)]),
  /** Offset of the first byte within its direction's stream. */
  offset: z.number().int().nonnegative(),
  /** The bytes, base64. */
  data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
  /** Bytes missing from the capture immediately before this segment (never invented). */
  gap_before: z.number().int().nonnegative(),
  ts,
});
export type FollowSegment = z.infer<typeof FollowSegmentSchema>;

/** A flow's payload in delivery order (Bridge.followStream, GET /api/flows/{id}/follow). */
export const FollowResultSchema = z.object({
  flow: z.string().max(64),
  sensor: z.string().max(64),
  protocol: z.enum(['tcp', 'udp']),
  client: endpoint,
  server: endpoint,
  segments: z.array(FollowSegmentSchema),
  /** Payload bytes returned per direction [client → server, server → client]. */
  bytes: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  /** Bytes known missing per direction (gaps inside and at the end). */
  gap_bytes: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  /** max_bytes cut the stream short. */
  truncated: z.boolean(),
  max_bytes: z.number().int().positive(),
});
export type FollowResult = z.infer<typeof FollowResultSchema>;

/** A carved file (common/carve/carved-record.ts) and the sensor that holds its bytes. */
export const CarvedFileSchema = carvedFileRecordSchema.extend({ sensor: z.string().max(64) });
export type CarvedFile = z.infer<typeof CarvedFileSchema>;

// ---- events ----

const eventBase = {
  /** Unique per sensor; the bus's sequence number orders delivery. */
  id: z.string(),
  sensor: z.string(),
  /** When it happened (decimal epoch seconds). */
  ts,
  /** Negative = likely false positive, 0 = normal, positive = high threat. */
  rank: RankSchema,
  /** Names of the event classes that matched (absent when none did). */
  classes: ClassLabelsSchema.optional(),
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

/**
 * An event class matched an event (CEF event type 11 of the seed's list). Emitted by the services
 * next to the event it classified; `rank` is the event's rank after all classes.
 */
export const ClassMatchEventSchema = z.object({
  ...eventBase,
  kind: z.literal('class-match'),
  /** The classified event. */
  event_id: z.string(),
  event_kind: z.string().max(32),
  class_id: z.string().max(64),
  class_name: z.string().max(100),
});
/** Classes changed an event's rank (CEF event type 10); `rank` equals new_rank. */
export const RankingEventSchema = z.object({
  ...eventBase,
  kind: z.literal('ranking'),
  event_id: z.string(),
  event_kind: z.string().max(32),
  old_rank: RankSchema,
  new_rank: RankSchema,
});

/** A file crossed the wire (the seed's CEF event type 6), published when its flow is carved. */
export const FileEventSchema = z.object({ ...eventBase, kind: z.literal('file'), file: CarvedFileSchema });

/**
 * A log message a device sent us (syslog over UDP/TCP/TLS) or that a capture overheard, parsed
 * (common/logs/). `ts` is the time the message states when it parsed, else received_ts. Linked to
 * the flows it names (flow_ids, closest first; docs/LOGS.md).
 */
export const LogEventSchema = z.object({
  ...eventBase,
  kind: z.literal('log'),
  received_ts: ts,
  /** The time stated in the message, null when it states none or it did not parse. */
  event_ts: ts.nullable(),
  /**
   * The message stated its time zone (RFC 3339, epoch ms). When it did not (BSD timestamps),
   * UTC was assumed and correlation uses received_ts instead, which is reliable.
   */
  event_ts_zoned: z.boolean(),
  transport: z.enum(['udp', 'tcp', 'tls', 'capture']),
  /** Who sent it: the peer address and port (for a capture, the packet's source). */
  sender_ip: z.string().max(64).nullable(),
  sender_port: port.nullable(),
  /** The capture flow a sniffed message was read from. */
  capture_flow: z.string().max(64).nullable(),
  format: z.enum(['rfc3164', 'rfc5424', 'cef', 'ossec', 'seed', 'raw']),
  facility: z.number().int().min(0).max(23).nullable(),
  severity: z.number().int().min(0).max(7).nullable(),
  host: z.string().max(255).nullable(),
  app: z.string().max(255).nullable(),
  message: z.string(),
  /** The line as received (invalid UTF-8 shown as U+FFFD). */
  raw: z.string(),
  fields: z.record(z.string().max(128), z.string()),
  src_ip: z.string().max(64).nullable(),
  src_port: port.nullable(),
  dst_ip: z.string().max(64).nullable(),
  dst_port: port.nullable(),
  proto: z.number().int().min(0).max(255).nullable(),
  /** Why the line is raw, or what part of it was not understood. */
  problem: z.string().nullable(),
  /** Correlated flows of the store, best match first. */
  flow_ids: z.array(z.string().max(64)).max(16),
  /**
   * Host names the log gave instead of an address, resolved at intake (node/logs/host-resolver.ts):
   * the side whose address (src_ip/dst_ip) it filled, and how (host discovery data, or DNS when
   * enabled). Absent when nothing was resolved (and in journals written before it existed).
   */
  resolved: z
    .array(z.object({ side: z.enum(['src', 'dst']), name: z.string().max(255), address: z.string().max(64), via: z.enum(['discovery', 'dns']) }))
    .max(2)
    .optional(),
});
export type LogEvent = z.infer<typeof LogEventSchema>;

/**
 * An IDS alert (the seed's CEF IDS event): a rule matched, from Tapline's rule engine
 * (`tapline detect`) or ingested from Suricata's eve.json (`tapline ingest`). Addresses and ports
 * are the triggering data's source and destination; `packet` points at the packet that completed
 * the match (its flow and 0-based index within the flow); `ts` is that packet's time.
 */
export const IdsAlertSchema = z.object({
  source: z.enum(['tapline', 'suricata']),
  gid: z.number().int().nonnegative(),
  sid: z.number().int().nonnegative(),
  rev: z.number().int().nonnegative(),
  msg: z.string().max(1024),
  classtype: z.string().max(100).nullable(),
  priority: z.number().int().min(1).max(255),
  action: z.string().max(16),
  /** The rule's protocol (tcp, udp, http, dns, tls, …). */
  app_proto: z.string().max(16),
  ip_proto: z.number().int().min(0).max(255),
  src_ip: z.string().max(64),
  src_port: port.nullable(),
  dst_ip: z.string().max(64),
  dst_port: port.nullable(),
  flow_id: FlowIdSchema.nullable(),
  community_id: z.string().max(64).nullable(),
  packet: z.object({ capture_id: z.string().max(64), flow_index: z.number().int().nonnegative() }).nullable(),
});
export type IdsAlert = z.infer<typeof IdsAlertSchema>;
export const IdsEventSchema = z.object({ ...eventBase, kind: z.literal('ids'), alert: IdsAlertSchema });

/**
 * Discovery (common/discovery): what a flow reveals about a service (`service`: HTTP server or
 * user agent, TLS SNI/certificate/JA3, SSH/SMTP/FTP banners, DNS question and answers) or about a
 * host (`host`: per address its DNS names, user agents, OS guesses, user names, emails;
 * credentials masked unless asked for). `fields` holds the facts by name.
 */
export const DiscoveryEventSchema = z.object({
  ...eventBase,
  kind: z.literal('discovery'),
  discovery: z.object({
    type: z.enum(['service', 'host']),
    /** http-server, http-user-agent, tls, ssh, smtp, ftp, pop3, imap, dns, or host. */
    what: z.string().max(32),
    host: z.string().max(64),
    port: port.nullable(),
    peer: z.string().max(64).nullable(),
    flow_id: FlowIdSchema.nullable(),
    fields: z.record(z.string().max(64), z.union([z.string().max(4096), z.array(z.string().max(1024)).max(256)])),
  }),
});
export type DiscoveryEvent = z.infer<typeof DiscoveryEventSchema>;

/**
 * A record of an external sensor's log (`tapline ingest`): Suricata eve.json http/dns/tls/
 * fileinfo/flow records, Zeek conn/http/files/dns/ssl logs. Alerts become `ids` events instead.
 * `flow_id` is the stored flow it was linked to (by Community ID, else by 5-tuple and time), or
 * null when none matched; `link` says how.
 */
export const ExternalEventSchema = z.object({
  ...eventBase,
  kind: z.literal('external'),
  external: z.object({
    source: z.enum(['suricata', 'zeek']),
    /** eve event_type, or the Zeek log's path (conn, http, files, …). */
    log: z.string().max(32),
    src_ip: z.string().max(64).nullable(),
    src_port: port.nullable(),
    dst_ip: z.string().max(64).nullable(),
    dst_port: port.nullable(),
    proto: z.string().max(16).nullable(),
    community_id: z.string().max(64).nullable(),
    flow_id: FlowIdSchema.nullable(),
    link: z.enum(['community-id', 'tuple-time', 'tuple']).nullable(),
    fields: z.record(z.string().max(64), z.union([z.string().max(4096), z.array(z.string().max(1024)).max(256)])),
  }),
});
export type ExternalEvent = z.infer<typeof ExternalEventSchema>;

/** A live capture's status and stats (about once a second while it runs; transient, never journaled). */
export const CaptureEventSchema = z.object({ ...eventBase, kind: z.literal('capture'), capture: CaptureStatusSchema });
export type CaptureStatusEvent = z.infer<typeof CaptureEventSchema>;

export const EventSchema = z.discriminatedUnion('kind', [
  LogEventSchema,
  FlowEventSchema,
  FileEventSchema,
  ImportProgressEventSchema,
  ImportEventSchema,
  NoticeEventSchema,
  ClassMatchEventSchema,
  RankingEventSchema,
  IdsEventSchema,
  DiscoveryEventSchema,
  ExternalEventSchema,
  CaptureEventSchema,
]);
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

// ---- sensors ----

/** A remote `tapline serve` to add (Bridge.addSensor, POST /api/sensors). */
export const AddSensorSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, ID_MESSAGE),
    url: z.string().url().max(2048),
    token: z.string().min(16).max(1024).regex(/^[\x21-\x7e]+$/, 'printable characters without spaces'),
    /** SHA-256 certificate fingerprint the sensor printed; required for https, absent for loopback http. */
    fingerprint: z.string().max(200).nullable().optional(),
  })
  .strict();
export type AddSensor = z.input<typeof AddSensorSchema>;

export const SensorIdSchema = z.string().regex(ID_PATTERN, ID_MESSAGE);

// ---- ranking and classification (docs/ARCHITECTURE.md, "Ranking and classification") ----

/** Event kinds a class may name: the kinds the services classify (derived and progress events are not). */
export const CLASSIFIABLE_KINDS = ['flow', 'notice', 'import', 'log'] as const;

export function isAddressOrCidr(text: string): boolean {
  return text.length <= 64 && parseAddressRange(text) !== null;
}

const addressOrCidr = z.string().max(64).refine(isAddressOrCidr, 'is not an IP address or CIDR block');

/** What a class matches: every criterion given must hold (an empty match is refused). */
export const ClassMatchSchema = z
  .object({
    /** Rule signature id (IDS events). */
    sid: z.number().int().min(1).max(4_294_967_295).optional(),
    /** Case-insensitive text in the event's message. */
    message_contains: z.string().min(1).max(200).optional(),
    /** An IP address or CIDR block on either side. */
    address: addressOrCidr.optional(),
    /** A port on either side. */
    port: port.optional(),
    sensor: z.string().regex(ID_PATTERN, ID_MESSAGE).optional(),
    kind: z.enum(CLASSIFIABLE_KINDS).optional(),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), 'give at least one thing to match');
export type ClassMatch = z.infer<typeof ClassMatchSchema>;

/** Rank changes a user may type: small steps on the priority scale (priority 1 is +3). */
export const RankStepSchema = z.number().int().min(-10).max(10);

/** Names show as labels in one line (the grid joins them): no control characters. */
const labelName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const classFields = {
  name: labelName,
  match: ClassMatchSchema,
  /** Raises (positive) or lowers (negative) the rank of what matches... */
  rank_delta: RankStepSchema.optional(),
  /** ...or sets it; exactly one of the two. */
  set_rank: RankStepSchema.optional(),
  enabled: z.boolean().default(true),
};
const oneEffect = (c: { rank_delta?: number; set_rank?: number }): boolean => (c.rank_delta === undefined) !== (c.set_rank === undefined);
const ONE_EFFECT = { message: 'give either rank_delta or set_rank', path: ['rank_delta'] };

/** A class as the UI creates or replaces it (the id is the back end's). */
export const NewEventClassSchema = z.object(classFields).strict().refine(oneEffect, ONE_EFFECT);
export type NewEventClass = z.input<typeof NewEventClassSchema>;
export const EventClassSchema = z
  .object({ id: z.string().regex(ID_PATTERN, ID_MESSAGE), ...classFields })
  .strict()
  .refine(oneEffect, ONE_EFFECT);
export type EventClass = z.infer<typeof EventClassSchema>;

/** Entries a threat list may hold (a JSON body is at most 1 MiB). */
export const MAX_THREAT_ENTRIES = 20_000;

const threatListFields = {
  name: z.string().trim().min(1, 'must not be empty').max(100),
  /** The rank a flow or event touching a listed address gets (added to the rule priority's). */
  rank: RankStepSchema,
  /** IP addresses and CIDR blocks. */
  entries: z.array(addressOrCidr).max(MAX_THREAT_ENTRIES),
  enabled: z.boolean().default(true),
};
export const NewThreatListSchema = z.object(threatListFields).strict();
export type NewThreatList = z.input<typeof NewThreatListSchema>;
export const ThreatListSchema = z.object({ id: z.string().regex(ID_PATTERN, ID_MESSAGE), ...threatListFields }).strict();
export type ThreatList = z.infer<typeof ThreatListSchema>;

/** An error the back end reports to the UI: what went wrong and what to do next. */
export const BridgeErrorSchema = z.object({ error: z.string(), hint: z.string().nullable().optional() });
export type BridgeError = z.infer<typeof BridgeErrorSchema>;
