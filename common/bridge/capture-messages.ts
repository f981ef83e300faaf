/**
 * Live capture as the Bridge sees it (listInterfaces, startCapture, stopCapture, captureStatus,
 * the `capture` status event): one zod schema per message, the type and the receiving side's
 * check. API field names are snake_case like the rest of the HTTP API. Imports nothing from
 * common/worker (that protocol imports messages.ts; a cycle would break module evaluation).
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const ts = z.string().regex(/^\d{1,15}(\.\d{1,9})?$/, 'decimal epoch seconds');

/** An interface name as libpcap and ip(8) print them: no spaces, no leading dash. */
export const InterfaceNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z_.:@][0-9A-Za-z_.:@+-]*$/, 'an interface name (letters, digits, . _ : @ + -)');

/** A BPF filter expression: text on one line (the worker compiles it and refuses it in words). */
export const BpfFilterSchema = z
  .string()
  .max(4096)
  .refine((f) => !/[\0\r\n]/.test(f), 'a filter is one line of text');

/**
 * A path on the sensor (key file, known_hosts). Only paths cross the API, never key material:
 * a value that looks like a key is refused so nobody pastes one by mistake.
 */
export const SensorPathSchema = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0\r\n]*$/, 'an absolute path on the sensor')
  .refine((p) => !/PRIVATE KEY|BEGIN |ssh-(rsa|ed25519|dss) /.test(p), 'give the path of a key file on the sensor, never the key itself');

export const CaptureInterfaceSchema = z.object({
  name: z.string().max(256),
  description: z.string().max(1024).nullable(),
  addresses: z.array(z.string().max(128)).max(256),
  up: z.boolean().nullable(),
  loopback: z.boolean(),
});
export type CaptureInterface = z.infer<typeof CaptureInterfaceSchema>;

export const IfaceSourceSchema = z
  .object({
    kind: z.literal('iface'),
    iface: InterfaceNameSchema,
    filter: BpfFilterSchema.optional(),
    snaplen: z.number().int().min(64).max(262144).optional(),
    promiscuous: z.boolean().optional(),
  })
  .strict();

export const SshSourceSchema = z
  .object({
    kind: z.literal('ssh'),
    /** user@host (an option-like value is refused: it would reach ssh's command line). */
    destination: z
      .string()
      .min(1)
      .max(320)
      .regex(/^(?:[A-Za-z0-9._][A-Za-z0-9._-]{0,63}@)?[A-Za-z0-9_.:[\]-]{1,255}$/, 'user@host')
      .refine((d) => !d.startsWith('-'), 'user@host'),
    port: z.number().int().min(1).max(65535).optional(),
    remote_iface: InterfaceNameSchema,
    filter: BpfFilterSchema.optional(),
    sudo: z.boolean().optional(),
    snaplen: z.number().int().min(64).max(262144).optional(),
    known_hosts_file: SensorPathSchema.optional(),
    host_key_fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/=]{20,64}$/, 'SHA256:<base64> as ssh-keygen -l prints it').optional(),
    identity_file: SensorPathSchema.optional(),
  })
  .strict();

export const CaptureSourceRequestSchema = z.discriminatedUnion('kind', [IfaceSourceSchema, SshSourceSchema]);
export type CaptureSourceRequest = z.infer<typeof CaptureSourceRequestSchema>;

/**
 * Which sensor a capture call is for: a remote `serve` sensor registered here (its id), or this
 * instance's own store when absent. Same pattern as messages.ts ID_PATTERN (not imported: that
 * module imports this one).
 */
export const CaptureSensorSchema = z.string().regex(/^[0-9A-Za-z._-]{1,64}$/, 'a sensor id (letters, digits, . _ -)');

/** The options of listInterfaces, stopCapture and captureStatus: which sensor. */
export const CaptureTargetSchema = z.object({ sensor: CaptureSensorSchema.optional() }).strict();
export type CaptureTarget = z.infer<typeof CaptureTargetSchema>;

/** Bridge.startCapture / POST /api/captures. */
export const StartCaptureSchema = z
  .object({
    /** The sensor that captures (a registered remote's id); this store when absent. */
    sensor: CaptureSensorSchema.optional(),
    source: CaptureSourceRequestSchema,
    /** Ring bound on the live segments' bytes. */
    max_store_bytes: z.number().int().min(1024 * 1024).max(2 ** 50).optional(),
    /** Ring bound on age, seconds. */
    max_age_sec: z.number().int().min(1).max(10 * 365 * 86400).optional(),
    /**
     * The user allows the pkexec fallback for this start: when the worker has no capture
     * privilege, the sensor starts it again as `pkexec WORKER` (polkit asks for an administrator
     * password on the sensor's own screen; docs/CAPTURE.md).
     */
    elevate: z.boolean().optional(),
  })
  .strict();
export type StartCapture = z.infer<typeof StartCaptureSchema>;

export const CaptureIdSchema = z.string().regex(/^cap-[0-9a-z]{1,16}$/, 'a capture id (cap-…)');

export const CaptureStatusSchema = z.object({
  id: CaptureIdSchema,
  state: z.enum(['starting', 'running', 'stopping', 'stopped', 'failed']),
  /** What is captured, in words ("lo", "ssh admin@tap1 eth1"). */
  source: z.string().max(1024),
  filter: z.string().max(4096).nullable(),
  started_at: ts,
  stopped_at: ts.nullable(),
  packets: count,
  bytes: count,
  /** Over the last stats interval. */
  packets_per_sec: z.number().nonnegative(),
  bytes_per_sec: z.number().nonnegative(),
  kernel_drops: count.nullable(),
  if_drops: count.nullable(),
  store_drops: count,
  /** Packets dropped between the capture thread and the store writer's thread (writer behind); absent from older sensors. */
  handoff_drops: count.optional(),
  stored_packets: count,
  store_bytes: count,
  active_flows: count.nullable(),
  /** Flow events not sent to live clients because the rate bound was reached (they are stored and searchable). */
  flow_events_skipped: count,
  /** Why the capture failed or what is wrong now, in words; with what to do next. */
  error: z.string().max(4096).nullable(),
  hint: z.string().max(2048).nullable(),
});
export type CaptureStatus = z.infer<typeof CaptureStatusSchema>;

export const CaptureStatusListSchema = z.array(CaptureStatusSchema);
export const CaptureInterfaceListSchema = z.array(CaptureInterfaceSchema);
