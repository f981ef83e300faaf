/**
 * The main process's handle on the capture worker: one supervised worker process
 * (WorkerSupervisor + the capture worker protocol), started on first use, with typed methods
 * and events. `tapline capture` uses it; the desktop services can own one the same way (not
 * wired into the Bridge yet). Plain Node: no `electron` import.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureWorkerProtocol, type CaptureEvent, type CaptureStats, type StartParams } from '../../common/worker/capture-worker-protocol.js';
import type { ResultOf } from '../../common/worker/worker-protocol.js';
import type { WorkerStatus } from '../../common/worker/worker-status.js';
import { WorkerRequestError, WorkerSupervisor } from './worker-supervisor.js';

type P = typeof captureWorkerProtocol;

export class CaptureWorkerLaunchError extends Error {
  override readonly name = 'CaptureWorkerLaunchError';
}

/** The packaged worker's file name (build/scripts/build-capture-worker.mjs, capture-worker/sea/packaged-layout.ts). */
export const PACKAGED_WORKER_NAME = 'tapline-capture-worker';

/** Electron sets process.resourcesPath (the installed app's resources/); plain Node does not. */
function electronResourcesPath(): string | undefined {
  const r = (process as { resourcesPath?: unknown }).resourcesPath;
  return typeof r === 'string' && r !== '' ? r : undefined;
}

/**
 * The packaged capture worker executable (the one that carries file capabilities, and the only
 * program the pkexec fallback runs), or null when this installation has none: the installed
 * app's resources/capture-worker/ first, else this tree's dist/capture-worker-bin/ (built by
 * `npm run build:worker`; this module is electron/services/ in the sources and
 * dist/electron/services/ when built).
 */
export function packagedWorkerExecutable(
  opts: { resourcesPath?: string; moduleUrl?: string; exists?: (path: string) => boolean } = {},
): string | null {
  const exists = opts.exists ?? existsSync;
  const resources = opts.resourcesPath ?? electronResourcesPath();
  const moduleDir = fileURLToPath(new URL('.', opts.moduleUrl ?? import.meta.url));
  const candidates = [
    ...(resources ? [join(resources, 'capture-worker', PACKAGED_WORKER_NAME)] : []),
    // sources: electron/services -> REPO/dist/capture-worker-bin; built: dist/electron/services -> dist/capture-worker-bin
    join(moduleDir, '../../dist/capture-worker-bin', PACKAGED_WORKER_NAME),
    join(moduleDir, '../../capture-worker-bin', PACKAGED_WORKER_NAME),
  ];
  return candidates.find((c) => exists(c)) ?? null;
}

/**
 * How to run the capture worker: TAPLINE_CAPTURE_WORKER (a program path, or a JSON argv such as
 * ["pkexec", "/opt/tapline/capture-worker"]); else, in the installed desktop app, the packaged
 * worker executable (Electron's binary cannot run scripts: its runAsNode fuse is off); else this
 * build's capture-worker/main under the same node and loader.
 */
export function captureWorkerLaunch(env: NodeJS.ProcessEnv = process.env, resourcesPath: string | undefined = electronResourcesPath()): { command: string; args: string[] } {
  const override = env.TAPLINE_CAPTURE_WORKER;
  if (override && override.trimStart().startsWith('[')) {
    let argv: unknown;
    try {
      argv = JSON.parse(override);
    } catch {
      argv = null;
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a): a is string => typeof a === 'string' && a !== '')) {
      throw new CaptureWorkerLaunchError('TAPLINE_CAPTURE_WORKER must be a program path or a JSON array of strings');
    }
    return { command: argv[0], args: argv.slice(1) };
  }
  if (override) return { command: override, args: [] };
  if (resourcesPath !== undefined) {
    const packaged = join(resourcesPath, 'capture-worker', PACKAGED_WORKER_NAME);
    if (existsSync(packaged)) return { command: packaged, args: [] };
  }
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const worker = fileURLToPath(new URL(`../../capture-worker/main.${ext}`, import.meta.url));
  return { command: process.execPath, args: [...process.execArgv, worker] };
}

/**
 * The pkexec fallback's command: `pkexec WORKER`, nothing else. pkexec (polkit) asks for an
 * administrator password, clears the environment and runs WORKER as root; polkit's action
 * org.tapline.capture-worker (build/linux/org.tapline.capture-worker.policy) names exactly the
 * installed worker. Only the packaged executable is ever run this way: never node with a script.
 */
export function pkexecWorkerLaunch(workerExecutable: string): { command: string; args: string[] } {
  if (!workerExecutable.startsWith('/')) throw new CaptureWorkerLaunchError(`pkexec needs the worker's absolute path, not ${workerExecutable}`);
  return { command: 'pkexec', args: [workerExecutable] };
}

export interface CaptureControllerEvents {
  stats: [CaptureStats];
  event: [CaptureEvent];
  status: [WorkerStatus];
  /** A line of the worker's stderr (diagnostics for the user). */
  stderr: [string];
  /** The worker process died (not when we stopped it); the capture, if any, has ended. */
  'worker-exit': [string];
}

/** A worker's error response or a supervision failure, with the worker's code when it gave one. */
export class CaptureRequestError extends Error {
  override readonly name = 'CaptureRequestError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export class CaptureController extends EventEmitter<CaptureControllerEvents> {
  private readonly sup: WorkerSupervisor<P>;
  private started = false;
  private closing = false;

  /** How long the worker may take to be ready, and a start to be answered (a pkexec password prompt counts). */
  private readonly startTimeoutMs: number;

  constructor(opts: { launch?: { command: string; args: string[] }; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {}) {
    super();
    const launch = opts.launch ?? captureWorkerLaunch();
    this.startTimeoutMs = 60_000 + (opts.readyTimeoutMs ?? 0);
    this.sup = new WorkerSupervisor({
      name: 'capture worker',
      command: launch.command,
      args: launch.args,
      env: opts.env,
      protocol: captureWorkerProtocol,
      // A restarted worker would not resume its capture: one run; its failure is the answer.
      restart: { maxRapidFailures: 1 },
      requestTimeoutMs: 60_000,
      readyTimeoutMs: opts.readyTimeoutMs,
    });
    this.sup.on('stats', (s) => this.emit('stats', s));
    this.sup.on('event', (e) => this.emit('event', e));
    this.sup.on('stderr', (l) => this.emit('stderr', l));
    this.sup.on('status', (s) => {
      this.emit('status', s);
      if (!this.closing && (s.state === 'failed' || (s.state === 'backing-off' && s.lastExit))) {
        this.emit('worker-exit', `capture worker exited: ${s.lastError ?? JSON.stringify(s.lastExit)}`);
      }
    });
  }

  private ensureStarted(): void {
    if (!this.started) {
      this.started = true;
      this.sup.start();
    }
  }

  /** Maps supervision failures and worker error responses to CaptureRequestError. */
  private async wrap<T>(request: () => Promise<T>): Promise<T> {
    this.ensureStarted();
    try {
      return await request();
    } catch (e) {
      if (e instanceof WorkerRequestError) throw new CaptureRequestError(e.message, e.workerCode ?? e.reason);
      throw e;
    }
  }

  interfaces(): Promise<ResultOf<P, 'interfaces'>> {
    return this.wrap(() => this.sup.request('interfaces', {}, { timeoutMs: 30_000 }));
  }

  /** Starts a capture; rejects with the worker's error (bad-filter, permission-denied, host-key-refused...). */
  start(params: StartParams): Promise<ResultOf<P, 'start'>> {
    return this.wrap(() => this.sup.request('start', params, { timeoutMs: this.startTimeoutMs }));
  }

  /** Stops the capture: the worker writes and indexes everything it received. */
  stop(): Promise<ResultOf<P, 'stop'>> {
    return this.wrap(() => this.sup.request('stop', {}, { timeoutMs: 10 * 60_000 }));
  }

  stats(): Promise<ResultOf<P, 'stats'>> {
    return this.wrap(() => this.sup.request('stats', {}, { timeoutMs: 10_000 }));
  }

  /** Ends the worker (stdin EOF, then SIGTERM, then SIGKILL); a running capture is closed by the worker itself. */
  async close(): Promise<void> {
    this.closing = true;
    await this.sup.stop();
  }
}
