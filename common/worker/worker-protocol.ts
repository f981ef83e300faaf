/**
 * The worker protocol: line-delimited JSON on stdio between the main process (the supervisor)
 * and a worker process (the capture worker and any later one).
 *
 * Framing: one JSON object per line, UTF-8, `\n`-terminated, at most `maxLineBytes` (default
 * 1 MiB) per line. Both sides validate every line they receive against these schemas; a line that
 * fails is counted and reported, never acted on, and never ends the session.
 *
 * Parent → worker (on the worker's stdin):
 *   {"type":"request","id":7,"method":"stats","params":{...}}
 *   {"type":"cancel","id":7}                          the parent stopped waiting (timeout); advisory
 * Worker → parent (on the worker's stdout; stderr is free-form diagnostics, shown to the user):
 *   {"type":"ready","protocol":1,"info":{...}}        once, when it can take requests
 *   {"type":"response","id":7,"ok":true,"result":{...}}
 *   {"type":"response","id":7,"ok":false,"error":{"code":"bad-filter","message":"..."}}
 *   {"type":"stats","stats":{...}}                    unsolicited, latest wins
 *   {"type":"event","event":{...}}                    unsolicited
 *
 * Lifetime rules a worker MUST follow:
 *   1. Exit promptly when stdin reaches end-of-file. This is how a worker learns that its parent
 *      died (the kernel closes the pipe's write end with the parent, even after kill -9), and how
 *      an unprivileged parent stops a worker it cannot signal (one started through pkexec runs as
 *      root). Without it a privileged capture process would outlive the app.
 *   2. Exit promptly on SIGTERM (the parent follows up with SIGKILL after a grace period).
 *   3. Exit when a write to stdout fails (EPIPE): the parent is gone.
 *   4. Answer every request with exactly one response carrying its id; ignore (and may log on
 *      stderr) anything it cannot validate.
 *
 * The payloads (`params`, `result`, `stats`, `event`, `info`) are validated by a second schema
 * per worker kind, given as a `WorkerProtocolSpec`.
 */
import { z } from 'zod';

export const WORKER_PROTOCOL_VERSION = 1;

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const method = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'method name');

export const WorkerRequestSchema = z.strictObject({
  type: z.literal('request'),
  id,
  method,
  /** Absent for methods without parameters (JSON has no undefined). */
  params: z.unknown().optional(),
});
export const WorkerCancelSchema = z.strictObject({ type: z.literal('cancel'), id });

/** What a worker accepts on stdin. */
export const ParentMessageSchema = z.discriminatedUnion('type', [WorkerRequestSchema, WorkerCancelSchema]);
export type ParentMessage = z.infer<typeof ParentMessageSchema>;

export const WorkerErrorSchema = z.strictObject({
  code: z.string().min(1).max(64),
  message: z.string().max(4096),
});
export type WorkerError = z.infer<typeof WorkerErrorSchema>;

export const WorkerReadySchema = z.strictObject({
  type: z.literal('ready'),
  protocol: z.number().int().positive(),
  info: z.unknown().optional(),
});
export const WorkerResponseSchema = z.discriminatedUnion('ok', [
  z.strictObject({ type: z.literal('response'), id, ok: z.literal(true), result: z.unknown().optional() }),
  z.strictObject({ type: z.literal('response'), id, ok: z.literal(false), error: WorkerErrorSchema }),
]);
export const WorkerStatsSchema = z.strictObject({ type: z.literal('stats'), stats: z.unknown() });
export const WorkerEventSchema = z.strictObject({ type: z.literal('event'), event: z.unknown() });

/** What the parent accepts on a worker's stdout. */
export const WorkerMessageSchema = z.discriminatedUnion('type', [WorkerReadySchema, WorkerResponseSchema, WorkerStatsSchema, WorkerEventSchema]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** One method a worker kind offers: the schema of its params (checked by the worker) and of its result (checked by the parent). */
export interface WorkerMethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly params: P;
  readonly result: R;
}

/** The typed payloads of one worker kind. */
export interface WorkerProtocolSpec {
  readonly methods: Readonly<Record<string, WorkerMethodSpec>>;
  readonly stats: z.ZodType;
  readonly event: z.ZodType;
  /** The `info` of the ready message; anything when absent. */
  readonly ready?: z.ZodType;
}

/** Identity helper that keeps the literal method names for typed `request()` calls. */
export function defineWorkerProtocol<const S extends WorkerProtocolSpec>(spec: S): S {
  return spec;
}

export type MethodName<S extends WorkerProtocolSpec> = keyof S['methods'] & string;
export type ParamsIn<S extends WorkerProtocolSpec, M extends MethodName<S>> = z.input<S['methods'][M]['params']>;
export type ResultOf<S extends WorkerProtocolSpec, M extends MethodName<S>> = z.output<S['methods'][M]['result']>;
export type StatsOf<S extends WorkerProtocolSpec> = z.output<S['stats']>;
export type EventOf<S extends WorkerProtocolSpec> = z.output<S['event']>;

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string };

/** Short, single-line description of a zod failure (for counters and notices, never the raw input). */
export function describeZodError(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return 'invalid';
  const where = first.path.length ? first.path.map(String).join('.') + ': ' : '';
  const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : '';
  return `${where}${first.message}${more}`.slice(0, 300);
}

function decodeWith<T>(schema: z.ZodType<T>, line: string): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = schema.safeParse(value);
  return r.success ? { ok: true, message: r.data } : { ok: false, error: describeZodError(r.error) };
}

/** Parent side: parse and validate one line from a worker's stdout. */
export function decodeWorkerMessage(line: string): Decoded<WorkerMessage> {
  return decodeWith(WorkerMessageSchema, line);
}

/** Worker side: parse and validate one line from stdin. */
export function decodeParentMessage(line: string): Decoded<ParentMessage> {
  return decodeWith(ParentMessageSchema, line);
}

/** One protocol line. JSON.stringify escapes control characters, so the result has exactly one newline, at the end. */
export function encodeMessage(message: ParentMessage | WorkerMessage): string {
  return JSON.stringify(message) + '\n';
}
