/**
 * The environment a timed Tapline command runs in, and what Node's own start-up costs on this
 * machine.
 *
 * Why: this machine sets NODE_EXTRA_CA_CERTS (its package proxy's certificate bundle, 144
 * certificates). Node parses that file and builds a root store at every process start, before any
 * JavaScript runs: 60-140 ms of CPU per start here, which `node -e 0` shows (it more than doubles
 * its time). No Tapline command that a suite times makes a TLS connection, and a user's machine
 * does not normally set the variable, so suites that time a whole Tapline process (start-up
 * included, against a reference tool's whole process) run it without that one variable, and
 * print Node's start-up both ways in the same run so the difference is on record.
 * BENCH_KEEP_NODE_ENV=1 keeps the environment as it is.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { envBool } from './env.js';
import { median } from './measure.js';

/** Variables removed from a timed Tapline command's environment (see above). */
const START_UP_ONLY = ['NODE_EXTRA_CA_CERTS'] as const;

/** The environment for a timed Tapline command; undefined (inherit) when nothing is removed. */
export function taplineEnv(): NodeJS.ProcessEnv | undefined {
  if (envBool('BENCH_KEEP_NODE_ENV', false) || START_UP_ONLY.every((k) => process.env[k] === undefined)) return undefined;
  const env = { ...process.env };
  for (const k of START_UP_ONLY) delete env[k];
  return env;
}

/** What the timed commands' environment leaves out, for the report ('' when nothing). */
export function taplineEnvNote(): string {
  const env = taplineEnv();
  if (!env) return '';
  return START_UP_ONLY.filter((k) => process.env[k] !== undefined)
    .map((k) => `${k}=${process.env[k]}`)
    .join(' ');
}

/**
 * Median wall time of `node -e 0` with the inherited environment and with the timed commands'
 * environment, alternating (runs each); null when they are the same environment.
 */
export function nodeStartMs(runs = 5): { inherited: number; timed: number } | null {
  const env = taplineEnv();
  if (!env) return null;
  const once = (e: NodeJS.ProcessEnv): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['-e', '0'], { env: e, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node -e 0 exited with ${r.status ?? r.signal}`);
    return performance.now() - t0;
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(once(process.env));
    b.push(once(env));
  }
  return { inherited: median(a), timed: median(b) };
}
