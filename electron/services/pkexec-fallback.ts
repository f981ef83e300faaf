/**
 * The pkexec fallback, shared by the app's CaptureService and `tapline capture --elevate`: start
 * the capture with the normal worker; only when that worker answers `permission-denied` and the
 * caller allows elevation, start it again as exactly `pkexec WORKER` (the packaged worker
 * executable; polkit asks for an administrator password). The caller's process never runs as
 * root. Plain Node: no `electron` import.
 */
import { CaptureRequestError, packagedWorkerExecutable, pkexecWorkerLaunch } from './capture-controller.js';
import { ServiceError } from './sensor-backend.js';

export type WorkerLaunch = { command: string; args: string[] };

/** A pkexec worker is ready only once the administrator password was typed: give the user time. */
export const PKEXEC_READY_MS = 5 * 60_000;

/** Failures of the supervision (the worker never answered), as opposed to the worker's own error codes. */
const SUPERVISION_FAILURES = new Set(['not-running', 'stopped', 'exited', 'timeout', 'busy', 'too-large', 'invalid-response']);

/**
 * The executable the fallback runs: `configured` when given (null: this installation has none),
 * else the packaged worker (packagedWorkerExecutable()). Throws a 403 in words when there is none.
 */
export function pkexecWorkerExecutable(configured?: string | null): string {
  const worker = configured === undefined ? packagedWorkerExecutable() : configured;
  if (worker === null) {
    throw new ServiceError(
      'the capture worker has no capture privilege, and this installation has no packaged worker executable to run through pkexec',
      403,
      'build it (npm run build:worker) or install the package; or grant the capabilities (docs/CAPTURE.md)',
    );
  }
  return worker;
}

/**
 * A failed `pkexec WORKER` start in words when pkexec itself refused (no pkexec, authentication
 * dismissed): then the worker never answered. The worker's own refusals are returned unchanged.
 */
function describePkexecFailure(e: unknown, worker: string): unknown {
  if (e instanceof CaptureRequestError && SUPERVISION_FAILURES.has(e.code)) {
    const noPkexec = /ENOENT/.test(e.message);
    return new ServiceError(
      `pkexec did not start the capture worker ${worker}: ${e.message}`,
      403,
      noPkexec
        ? 'pkexec is not installed (package pkexec or polkit); or grant the worker its capabilities instead (docs/CAPTURE.md)'
        : "administrator authentication failed or was dismissed, or no polkit authentication agent runs in this session (pkexec needs one on the sensor's own screen); see docs/CAPTURE.md",
    );
  }
  return e;
}

export interface PkexecFallbackOptions<T> {
  /** Allow the pkexec fallback (the request's `elevate`, the CLI's --elevate). */
  elevate: boolean;
  /** The normal worker launch. */
  launch: WorkerLaunch;
  /** See pkexecWorkerExecutable. */
  pkexecWorker?: string | null;
  /**
   * Starts a worker with `launch` and asks it to capture; must close its worker when it fails.
   * readyTimeoutMs is set for the pkexec attempt (a password prompt counts).
   */
  attempt: (launch: WorkerLaunch, readyTimeoutMs?: number) => Promise<T>;
  /** Told before pkexec runs (for the log). */
  onElevate?: (worker: string) => void;
}

/**
 * Runs `attempt` with the normal launch, and again through `pkexec WORKER` when the worker has no
 * capture privilege and elevation is allowed. Rejects with the worker's error, or a ServiceError
 * (403) when there is no worker to elevate or pkexec did not start it.
 */
export async function startWithPkexecFallback<T>(o: PkexecFallbackOptions<T>): Promise<T> {
  try {
    return await o.attempt(o.launch);
  } catch (e) {
    if (!(o.elevate && e instanceof CaptureRequestError && e.code === 'permission-denied')) throw e;
  }
  const worker = pkexecWorkerExecutable(o.pkexecWorker);
  o.onElevate?.(worker);
  try {
    return await o.attempt(pkexecWorkerLaunch(worker), PKEXEC_READY_MS);
  } catch (e2) {
    throw describePkexecFailure(e2, worker);
  }
}
