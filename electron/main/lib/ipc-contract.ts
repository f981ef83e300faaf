/**
 * The IPC contract between the preload (renderer side) and the main process: channel names, the
 * schema of every call's arguments (checked in the main process), of every reply and pushed
 * message (checked in the preload). Built from common/bridge/messages.ts so the limits are the
 * same as the HTTP API's. Environment-free: the preload bundles it.
 */
import { z } from 'zod';
import {
  AddSensorSchema,
  BackendInfoSchema,
  CarvedFileSchema,
  EventBatchSchema,
  EventClassSchema,
  EventSchema,
  EventSearchSchema,
  FlowIdSchema,
  FlowRowSchema,
  FlowSearchSchema,
  FOLLOW_MAX_BYTES,
  FollowResultSchema,
  ImportResultSchema,
  NewEventClassSchema,
  NewThreatListSchema,
  SensorIdSchema,
  SensorSchema,
  SliceTargetSchema,
  StoreStatsSchema,
  ThreatListSchema,
} from '../../../common/bridge/messages.js';
import { CaptureGapsOptionsSchema, CaptureGapsSchema } from '../../../common/capture/capture-gap.js';
import { CaptureIdSchema, CaptureTargetSchema, CaptureInterfaceListSchema, CaptureStatusListSchema, CaptureStatusSchema, StartCaptureSchema } from '../../../common/bridge/capture-messages.js';

/** invoke/handle channels, one per Bridge call (pcapUrl and fileUrl are computed in the preload, see preload.ts). */
export const IPC_CHANNELS = {
  info: 'tapline:info',
  searchFlows: 'tapline:search-flows',
  searchEvents: 'tapline:search-events',
  stats: 'tapline:stats',
  importCaptures: 'tapline:import-captures',
  downloadPcap: 'tapline:download-pcap',
  followStream: 'tapline:follow-stream',
  flowFiles: 'tapline:flow-files',
  subscribe: 'tapline:subscribe',
  unsubscribe: 'tapline:unsubscribe',
  listSensors: 'tapline:list-sensors',
  addSensor: 'tapline:add-sensor',
  removeSensor: 'tapline:remove-sensor',
  listClasses: 'tapline:list-classes',
  createClass: 'tapline:create-class',
  updateClass: 'tapline:update-class',
  deleteClass: 'tapline:delete-class',
  listThreatLists: 'tapline:list-threat-lists',
  createThreatList: 'tapline:create-threat-list',
  updateThreatList: 'tapline:update-threat-list',
  deleteThreatList: 'tapline:delete-threat-list',
  listInterfaces: 'tapline:list-interfaces',
  startCapture: 'tapline:start-capture',
  stopCapture: 'tapline:stop-capture',
  captureStatus: 'tapline:capture-status',
  captureGaps: 'tapline:capture-gaps',
} as const;
export type IpcCall = keyof typeof IPC_CHANNELS;

/** main → renderer pushes (webContents.send). */
export const PUSH_CHANNELS = {
  /** [subscriptionId, EventBatch] */
  events: 'tapline:events',
  /** [SliceTarget]: a tapline:// link asked to open this flow. */
  openFlow: 'tapline:open-flow',
} as const;

export const MAX_IMPORT_PATHS = 256;

/**
 * An absolute path of a capture picked or dropped in the app (POSIX /…, Windows C:\… or \\server\…).
 * No NUL, bounded length. The store's import decides whether it is a readable capture.
 */
export const CapturePathSchema = z
  .string()
  .min(2)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'contains a NUL character')
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\[^\\])/.test(p), 'is not an absolute path');

export const SubscriptionIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Ids of event classes and threat lists (same form as sensor ids). */
export const RecordIdSchema = SensorIdSchema;

/** Each call's argument list, as a tuple: extra or missing arguments are refused. */
export const IPC_ARGS = {
  info: z.tuple([]),
  searchFlows: z.tuple([FlowSearchSchema]),
  searchEvents: z.tuple([EventSearchSchema]),
  stats: z.tuple([]),
  importCaptures: z.tuple([z.array(CapturePathSchema).min(1).max(MAX_IMPORT_PATHS)]),
  downloadPcap: z.tuple([SliceTargetSchema]),
  followStream: z.tuple([FlowIdSchema, z.object({ sensor: SensorIdSchema.optional(), maxBytes: z.number().int().min(1).max(FOLLOW_MAX_BYTES).optional() }).strict()]),
  flowFiles: z.tuple([FlowIdSchema, z.object({ sensor: SensorIdSchema.optional() }).strict()]),
  subscribe: z.tuple([z.object({ since: z.number().int().nonnegative().optional() }).strict()]),
  unsubscribe: z.tuple([SubscriptionIdSchema]),
  listSensors: z.tuple([]),
  addSensor: z.tuple([AddSensorSchema]),
  removeSensor: z.tuple([SensorIdSchema]),
  listClasses: z.tuple([]),
  createClass: z.tuple([NewEventClassSchema]),
  updateClass: z.tuple([RecordIdSchema, NewEventClassSchema]),
  deleteClass: z.tuple([RecordIdSchema]),
  listThreatLists: z.tuple([]),
  createThreatList: z.tuple([NewThreatListSchema]),
  updateThreatList: z.tuple([RecordIdSchema, NewThreatListSchema]),
  deleteThreatList: z.tuple([RecordIdSchema]),
  listInterfaces: z.tuple([CaptureTargetSchema.optional()]),
  startCapture: z.tuple([StartCaptureSchema]),
  stopCapture: z.tuple([CaptureIdSchema, CaptureTargetSchema.optional()]),
  captureStatus: z.tuple([CaptureTargetSchema.optional()]),
  captureGaps: z.tuple([CaptureGapsOptionsSchema.optional()]),
} as const satisfies Record<IpcCall, z.ZodType<unknown[]>>;

export const DownloadResultSchema = z.object({ saved: z.string().nullable() }).strict();

/** What each call returns on success. */
export const IPC_RESULTS = {
  info: BackendInfoSchema,
  searchFlows: z.array(FlowRowSchema),
  searchEvents: z.array(EventSchema),
  stats: z.array(StoreStatsSchema),
  importCaptures: z.array(ImportResultSchema),
  downloadPcap: DownloadResultSchema,
  followStream: FollowResultSchema,
  flowFiles: z.array(CarvedFileSchema),
  subscribe: SubscriptionIdSchema,
  unsubscribe: z.boolean(),
  listSensors: z.array(SensorSchema),
  addSensor: SensorSchema,
  removeSensor: z.null(),
  listClasses: z.array(EventClassSchema),
  createClass: EventClassSchema,
  updateClass: EventClassSchema,
  deleteClass: z.null(),
  listThreatLists: z.array(ThreatListSchema),
  createThreatList: ThreatListSchema,
  updateThreatList: ThreatListSchema,
  deleteThreatList: z.null(),
  listInterfaces: CaptureInterfaceListSchema,
  startCapture: CaptureStatusSchema,
  stopCapture: CaptureStatusSchema,
  captureStatus: CaptureStatusListSchema,
  captureGaps: CaptureGapsSchema,
} as const satisfies Record<IpcCall, z.ZodType>;

export type IpcArgs<C extends IpcCall> = z.infer<(typeof IPC_ARGS)[C]>;
export type IpcResult<C extends IpcCall> = z.infer<(typeof IPC_RESULTS)[C]>;

export const EventPushSchema = z.tuple([SubscriptionIdSchema, EventBatchSchema]);
export const OpenFlowPushSchema = z.tuple([SliceTargetSchema]);

/**
 * Every reply is an envelope: Electron's invoke only carries an Error's message across, and the
 * Bridge promises a hint and a status too.
 */
export const IpcFailureSchema = z
  .object({ ok: z.literal(false), error: z.string().max(4000), hint: z.string().max(2000).nullable(), status: z.number().int().nullable() })
  .strict();
export type IpcFailure = z.infer<typeof IpcFailureSchema>;
export const IpcReplySchema = z.union([z.object({ ok: z.literal(true), value: z.unknown() }).strict(), IpcFailureSchema]);
export type IpcReply = z.infer<typeof IpcReplySchema>;

export class IpcArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcArgumentError';
  }
}

/** One line per problem: "0.limit: Too big: expected number to be <=100000". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}

/** Validates a call's arguments as the main process receives them; throws IpcArgumentError. */
export function parseIpcArgs<C extends IpcCall>(call: C, args: readonly unknown[]): IpcArgs<C> {
  if (!Object.hasOwn(IPC_ARGS, call)) throw new IpcArgumentError(`unknown bridge call ${String(call)}`);
  const r = IPC_ARGS[call].safeParse(args);
  if (!r.success) throw new IpcArgumentError(`invalid arguments for ${call}: ${describeIssues(r.error)}`);
  return r.data as IpcArgs<C>;
}

/** Validates a reply as the preload receives it: a failure, or a value matching the call's schema. */
export function parseIpcReply<C extends IpcCall>(call: C, reply: unknown): { ok: true; value: IpcResult<C> } | IpcFailure {
  const env = IpcReplySchema.safeParse(reply);
  if (!env.success) return { ok: false, error: `malformed reply to ${call}`, hint: null, status: null };
  if (!env.data.ok) return env.data;
  const v = IPC_RESULTS[call].safeParse(env.data.value);
  if (!v.success) return { ok: false, error: `invalid reply to ${call}: ${describeIssues(v.error)}`, hint: null, status: null };
  return { ok: true, value: v.data as IpcResult<C> };
}

/**
 * Errors reach the page through contextBridge, which copies only an Error's message. The hint
 * rides on a second line ("hint: …") so the UI can show both; parseBridgeErrorMessage splits it.
 */
export function bridgeErrorMessage(f: Pick<IpcFailure, 'error' | 'hint'>): string {
  return f.hint ? `${f.error}\nhint: ${f.hint}` : f.error;
}

export function parseBridgeErrorMessage(message: string): { error: string; hint: string | null } {
  const i = message.indexOf('\nhint: ');
  return i < 0 ? { error: message, hint: null } : { error: message.slice(0, i), hint: message.slice(i + 7) };
}
