/**
 * When to restart a worker that exited on its own, and when to give up. Pure functions so the
 * arithmetic is tested without processes and the supervisor only applies the decision.
 *
 * A failure is "rapid" when the worker ran for less than `stableAfterMs` (or never became
 * ready). Consecutive rapid failures grow the delay (initial × factor^(n−1), capped); a run that
 * stayed up for `stableAfterMs` resets the count, so a worker that crashes once a day is restarted
 * after `initialDelayMs` every time. After `maxRapidFailures` consecutive rapid failures the
 * supervisor stops trying: restarting a worker that dies at once (missing capability, bad
 * install) forever only hides the reason.
 */

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** A run at least this long counts as healthy and resets the failure count. */
  stableAfterMs: number;
  /** Give up after this many consecutive rapid failures (≥ 1). */
  maxRapidFailures: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  stableAfterMs: 60_000,
  maxRapidFailures: 8,
});

export function resolveRestartPolicy(p: Partial<RestartPolicy> = {}): RestartPolicy {
  const r: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...p };
  const finite = (n: number): boolean => Number.isFinite(n) && n >= 0;
  if (!finite(r.initialDelayMs) || !finite(r.maxDelayMs) || !finite(r.stableAfterMs)) throw new RangeError('restart delays must be finite and ≥ 0');
  if (!(r.factor >= 1) || !Number.isFinite(r.factor)) throw new RangeError('restart factor must be ≥ 1');
  if (!Number.isInteger(r.maxRapidFailures) || r.maxRapidFailures < 1) throw new RangeError('maxRapidFailures must be an integer ≥ 1');
  if (r.maxDelayMs < r.initialDelayMs) r.maxDelayMs = r.initialDelayMs;
  return r;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; rapidFailures: number }
  | { action: 'give-up'; rapidFailures: number };

/**
 * @param previousRapidFailures consecutive rapid failures before this exit
 * @param uptimeMs how long the run that just ended was up (0 if it never became ready)
 */
export function decideRestart(policy: RestartPolicy, previousRapidFailures: number, uptimeMs: number): RestartDecision {
  const rapidFailures = uptimeMs >= policy.stableAfterMs ? 1 : previousRapidFailures + 1;
  if (rapidFailures >= policy.maxRapidFailures && uptimeMs < policy.stableAfterMs) return { action: 'give-up', rapidFailures };
  return { action: 'restart', delayMs: backoffDelay(policy, rapidFailures), rapidFailures };
}

/** Delay before restart number `n` of a run of failures (n ≥ 1). */
export function backoffDelay(policy: RestartPolicy, n: number): number {
  // Math.pow overflows to Infinity for large n; min() keeps it at the cap.
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * Math.pow(policy.factor, Math.max(0, n - 1)));
}
