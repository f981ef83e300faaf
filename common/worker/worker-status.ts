/**
 * A worker's supervision status as the main process reports it (to the UI, `serve`'s API, logs).
 * A zod schema because it will cross the Bridge; environment-free for the same reason.
 */
import { z } from 'zod';

export const WorkerStateSchema = z.enum([
  /** Spawned, waiting for its `ready` message (a pkexec password prompt lives here too). */
  'starting',
  /** Ready and answering requests. */
  'running',
  /** Exited on its own; a restart is scheduled (`nextRestartInMs`). */
  'backing-off',
  /** stop() was called; waiting for the process to exit (SIGTERM, then SIGKILL). */
  'stopping',
  /** Not running, by request (or never started). */
  'stopped',
  /** Not running: gave up after too many rapid failures; `lastError` says why. start() again to retry. */
  'failed',
]);
export type WorkerState = z.infer<typeof WorkerStateSchema>;

export const WorkerExitSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** Wall-clock time of the exit, ms since the epoch. */
  at: z.number(),
  /** How long that run had been up since it became ready, ms (0 if it never did). */
  uptimeMs: z.number().nonnegative(),
});
export type WorkerExit = z.infer<typeof WorkerExitSchema>;

export const WorkerStatusSchema = z.object({
  name: z.string(),
  state: WorkerStateSchema,
  pid: z.number().int().nullable(),
  /** Restarts since the last start() call. */
  restarts: z.number().int().nonnegative(),
  /** Failures in the current streak (reset by a run that stayed up long enough). */
  rapidFailures: z.number().int().nonnegative(),
  lastExit: WorkerExitSchema.nullable(),
  lastError: z.string().nullable(),
  /** Time since the current run became ready, ms; 0 unless running. */
  uptimeMs: z.number().nonnegative(),
  /** While backing off: time left before the next spawn, ms. */
  nextRestartInMs: z.number().nonnegative().nullable(),
  /** Protocol violations since start(): lines that were not valid messages, and lines over the bound. */
  malformedLines: z.number().int().nonnegative(),
  overlongLines: z.number().int().nonnegative(),
  /** Latest stats the worker reported (validated by its kind's schema) and when, ms since the epoch. */
  stats: z.unknown().nullable(),
  statsAt: z.number().nullable(),
});
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;
