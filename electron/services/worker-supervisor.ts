/**
 * Runs one worker process (the capture worker, later others) for the main process: spawns it,
 * speaks the line-delimited JSON protocol of common/worker/worker-protocol.ts on its stdio,
 * validates every line it receives, restarts it with exponential backoff when it exits on its
 * own, gives up after too many rapid failures, and stops it without leaving an orphan.
 *
 * Plain Node (no `electron` import) so `serve`, the CLI and tests use it as the desktop app does.
 *
 * Orphans: the worker's stdin is a pipe whose only writer is this process, so when this process
 * dies for any reason (including SIGKILL) the worker reads end-of-file, and the protocol requires
 * it to exit then. stop() relies on the same rule first (a worker started through pkexec runs as
 * root and cannot be signalled by us), then sends SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LineSplitterEvent } from '../../common/worker/line-splitter.js';
import { decideRestart, resolveRestartPolicy, type RestartPolicy } from '../../common/worker/restart-policy.js';
import {
  decodeWorkerMessage,
  describeZodError,
  encodeMessage,
  WORKER_PROTOCOL_VERSION,
  type EventOf,
  type MethodName,
  type ParamsIn,
  type ResultOf,
  type StatsOf,
  type WorkerMessage,
  type WorkerProtocolSpec,
} from '../../common/worker/worker-protocol.js';
import type { WorkerExit, WorkerState, WorkerStatus } from '../../common/worker/worker-status.js';

export interface WorkerSupervisorOptions<S extends WorkerProtocolSpec> {
  /** For status and messages ("capture worker"). */
  name: string;
  /** The program to run: node, the packaged worker binary, or `pkexec` with the worker as its first argument. */
  command: string;
  args?: readonly string[];
  /** The worker's whole environment (not merged with ours: a privileged worker should get a minimal one). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  protocol: S;
  restart?: Partial<RestartPolicy>;
  /** Default per-request timeout. */
  requestTimeoutMs?: number;
  /** How long a fresh worker may take to send `ready` (a pkexec prompt counts). */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** Longest accepted protocol line, bytes; longer ones are dropped and counted. */
  maxLineBytes?: number;
  /** Requests waiting for an answer or for the worker to be ready. */
  maxPendingRequests?: number;
}

export type ProtocolErrorKind = 'not-json' | 'invalid' | 'overlong' | 'invalid-utf8' | 'unexpected';

export interface ProtocolErrorReport {
  kind: ProtocolErrorKind;
  /** What was wrong, never the offending line itself (it may be huge or hostile). */
  detail: string;
  pid: number | null;
}

export interface WorkerSupervisorEvents<S extends WorkerProtocolSpec> {
  /** Every change of state, pid, restart count, last exit or last error. */
  status: [WorkerStatus];
  stats: [StatsOf<S>];
  event: [EventOf<S>];
  'protocol-error': [ProtocolErrorReport];
  /** One line of the worker's stderr (diagnostics; bounded like protocol lines). */
  stderr: [string];
}

export type WorkerRequestFailure =
  | 'not-running'
  | 'stopped'
  | 'exited'
  | 'timeout'
  | 'busy'
  | 'too-large'
  | 'invalid-params'
  | 'invalid-response'
  | 'worker-error';

export class WorkerRequestError extends Error {
  override readonly name = 'WorkerRequestError';
  constructor(
    message: string,
    readonly reason: WorkerRequestFailure,
    /** The worker's own error code when reason is 'worker-error'. */
    readonly workerCode: string | null = null,
  ) {
    super(message);
  }
}

interface Pending {
  readonly id: number;
  readonly method: string;
  readonly line: string;
  /** The run it was written to; null while queued for a worker that is not ready yet. */
  sentTo: Run | null;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: WorkerRequestError) => void;
}

/** One spawned process; events from an old run are told apart from the current one's by identity. */
interface Run {
  readonly child: ChildProcess;
  readonly pid: number | null;
  readyAt: number | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  spawnError: string | null;
  /** Why we ended it (ready timeout, protocol mismatch); reported instead of the bare exit code. */
  failReason: string | null;
  /** Restarting cannot help (wrong protocol version): fail at once. */
  fatal: boolean;
  terminating: boolean;
  finished: boolean;
  timers: Set<ReturnType<typeof setTimeout>>;
}

const STDERR_MAX_LINE_BYTES = 16 * 1024;
const STDERR_TAIL_LINES = 20;
/** After 'exit', how long to wait for the worker's stdout to drain before settling the run anyway (a grandchild may hold the pipe). */
const EXIT_DRAIN_MS = 500;
/** After SIGKILL, how long to wait before reporting the process as unkillable. */
const KILL_WAIT_MS = 2_000;

export class WorkerSupervisor<S extends WorkerProtocolSpec> extends EventEmitter<WorkerSupervisorEvents<S>> {
  readonly name: string;
  private readonly policy: RestartPolicy;
  private readonly requestTimeoutMs: number;
  private readonly readyTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly maxLineBytes: number;
  private readonly maxPending: number;

  private state: WorkerState = 'stopped';
  private run: Run | null = null;
  private restarts = 0;
  private rapidFailures = 0;
  private lastExit: WorkerExit | null = null;
  private lastError: string | null = null;
  private malformedLines = 0;
  private overlongLines = 0;
  private lateResponseCount = 0;
  private stats: StatsOf<S> | null = null;
  private statsAt: number | null = null;
  private backoffTimer: ReturnType<typeof setTimeout> | null = null;
  private nextRestartAt: number | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly stderrLines: string[] = [];
  private stopWaiters: Array<() => void> = [];

  constructor(private readonly opts: WorkerSupervisorOptions<S>) {
    super();
    this.name = opts.name;
    this.policy = resolveRestartPolicy(opts.restart);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
    this.stopGraceMs = opts.stopGraceMs ?? 3_000;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxPending = opts.maxPendingRequests ?? 256;
  }

  status(): WorkerStatus {
    const now = performance.now();
    return {
      name: this.name,
      state: this.state,
      pid: this.run?.pid ?? null,
      restarts: this.restarts,
      rapidFailures: this.rapidFailures,
      lastExit: this.lastExit,
      lastError: this.lastError,
      uptimeMs: this.state === 'running' && this.run?.readyAt != null ? Math.max(0, now - this.run.readyAt) : 0,
      nextRestartInMs: this.state === 'backing-off' && this.nextRestartAt !== null ? Math.max(0, this.nextRestartAt - now) : null,
      malformedLines: this.malformedLines,
      overlongLines: this.overlongLines,
      stats: this.stats,
      statsAt: this.statsAt,
    };
  }

  /** The latest stats the worker reported, typed by its protocol. */
  latestStats(): StatsOf<S> | null {
    return this.stats;
  }

  /** Responses that arrived for no waiting request (typically after a timeout). Not a protocol error. */
  get lateResponses(): number {
    return this.lateResponseCount;
  }

  /** The last lines the worker wrote to stderr, oldest first. */
  stderrTail(): string[] {
    return [...this.stderrLines];
  }

  /** Start (or restart after 'failed'). No-op while starting, running or backing off. */
  start(): void {
    if (this.state === 'starting' || this.state === 'running' || this.state === 'backing-off') return;
    if (this.state === 'stopping') throw new Error(`${this.name} is stopping; await stop() before starting it again`);
    this.restarts = 0;
    this.rapidFailures = 0;
    this.lastError = null;
    this.malformedLines = 0;
    this.overlongLines = 0;
    this.spawnRun();
  }

  /** Stop the worker: end its stdin, SIGTERM, SIGKILL after the grace period. Resolves once it has exited. */
  stop(): Promise<void> {
    this.clearBackoff();
    const run = this.run;
    if (!run) {
      if (this.state !== 'stopped' && this.state !== 'failed') this.setState('stopped');
      this.rejectAll('stopped', `${this.name} was stopped`);
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.state !== 'stopping') {
      // Queued requests will never be sent; in-flight ones may still be answered during the grace period.
      this.rejectQueued('stopped', `${this.name} was stopped`);
      this.terminate(run);
      this.setState('stopping');
    }
    return done;
  }

  /** Send a request and wait for its validated result. Requests made while the worker starts or backs off wait for it (within their timeout). */
  request<M extends MethodName<S>>(method: M, params: ParamsIn<S, M>, opts: { timeoutMs?: number } = {}): Promise<ResultOf<S, M>> {
    return new Promise<ResultOf<S, M>>((resolve, reject) => {
      const fail = (reason: WorkerRequestFailure, message: string): void => reject(new WorkerRequestError(message, reason));
      if (this.state === 'stopped' || this.state === 'failed' || this.state === 'stopping') {
        return fail('not-running', `${this.name} is ${this.state}${this.lastError ? `: ${this.lastError}` : ''}`);
      }
      const spec = this.opts.protocol.methods[method];
      if (!spec) return fail('invalid-params', `${this.name} has no method ${method}`);
      const parsed = spec.params.safeParse(params);
      if (!parsed.success) return fail('invalid-params', `${method}: ${describeZodError(parsed.error)}`);
      if (this.pending.size >= this.maxPending) return fail('busy', `${this.name} has ${this.pending.size} requests outstanding`);
      const id = this.nextId++;
      const line = encodeMessage({ type: 'request', id, method, params: parsed.data });
      if (Buffer.byteLength(line) > this.maxLineBytes) return fail('too-large', `${method} request exceeds ${this.maxLineBytes} bytes`);

      const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
      const timer = setTimeout(() => this.onRequestTimeout(id, timeoutMs), timeoutMs);
      const p: Pending = {
        id,
        method,
        line,
        sentTo: null,
        timer,
        // The result was validated with this method's result schema before resolve is called.
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      this.pending.set(id, p);
      if (this.state === 'running' && this.run) this.send(p, this.run);
    });
  }

  // ---- process lifetime ----

  private spawnRun(): void {
    const { command, args = [], env = process.env, cwd } = this.opts;
    let child: ChildProcess;
    try {
      child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env, cwd, windowsHide: true });
    } catch (e) {
      // Thrown only for invalid options (e.g. a NUL byte in an argument): a configuration error no restart can fix.
      this.lastError = `${this.name} cannot be started: ${e instanceof Error ? e.message : String(e)}`;
      this.rejectAll('not-running', this.lastError);
      this.setState('failed');
      return;
    }
    const run: Run = {
      child,
      pid: child.pid ?? null,
      readyAt: null,
      exit: null,
      spawnError: null,
      failReason: null,
      fatal: false,
      terminating: false,
      finished: false,
      timers: new Set(),
    };
    this.run = run;

    const out = new LineSplitter((e) => this.onStdoutEvent(run, e), this.maxLineBytes);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stdout?.on('end', () => out.end());
    const err = new LineSplitter((e) => this.onStderrEvent(e), STDERR_MAX_LINE_BYTES);
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.stderr?.on('end', () => err.end());
    // EPIPE/ECONNRESET when the worker dies: its exit is handled below; without a listener they would throw.
    for (const s of [child.stdin, child.stdout, child.stderr]) s?.on('error', () => undefined);

    child.on('error', (e: Error) => {
      if (run.pid === null) run.spawnError = e.message; // spawn failed: only 'close' follows
      else if (!run.finished) this.lastError = `${this.name}: ${e.message}`; // e.g. a signal could not be delivered
    });
    child.on('exit', (code, signal) => {
      run.exit = { code, signal };
      // 'exit' can come before the last stdout data; give the pipe a moment so a final response is not lost.
      this.runTimer(run, EXIT_DRAIN_MS, () => this.finish(run));
    });
    child.on('close', () => this.finish(run));

    this.runTimer(run, this.readyTimeoutMs, () => {
      if (run.readyAt !== null || run.terminating) return;
      run.failReason = `no ready message within ${this.readyTimeoutMs} ms`;
      this.terminate(run);
    });
    this.setState('starting');
  }

  private terminate(run: Run): void {
    if (run.terminating || run.finished) return;
    run.terminating = true;
    run.child.stdin?.end(); // protocol rule 1: stdin EOF means exit; works even when signals cannot reach the worker
    this.signal(run, 'SIGTERM');
    this.runTimer(run, this.stopGraceMs, () => {
      if (run.exit) return;
      this.signal(run, 'SIGKILL');
      this.runTimer(run, KILL_WAIT_MS, () => {
        if (run.exit) return;
        this.lastError = `${this.name} (pid ${run.pid}) did not exit after SIGKILL; it may still be running`;
        this.finish(run);
      });
    });
  }

  private signal(run: Run, sig: NodeJS.Signals): void {
    if (run.pid === null || run.exit) return;
    try {
      if (!run.child.kill(sig)) this.lastError = `${this.name}: could not send ${sig} to pid ${run.pid}`;
    } catch (e) {
      this.lastError = `${this.name}: ${sig} failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** The run is over (exited and drained, spawn failed, or unkillable): settle requests, then restart, fail or stop. */
  private finish(run: Run): void {
    if (run.finished) return;
    run.finished = true;
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    if (this.run !== run) return;
    this.run = null;

    const uptimeMs = run.readyAt === null ? 0 : Math.max(0, performance.now() - run.readyAt);
    const code = run.exit?.code ?? null;
    const signal = run.exit?.signal ?? null;
    if (run.exit || run.spawnError) this.lastExit = { code, signal, at: Date.now(), uptimeMs };
    const how = run.spawnError ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);

    for (const p of [...this.pending.values()]) {
      if (p.sentTo === run) this.settle(p, new WorkerRequestError(`${this.name} ${how} before answering ${p.method}`, 'exited'));
    }

    if (this.state === 'stopping') {
      const waiters = this.stopWaiters;
      this.stopWaiters = [];
      for (const w of waiters) w();
      this.setState('stopped');
      return;
    }

    // Not asked to stop: a failure.
    const tail = this.stderrLines.at(-1);
    const reason = `${run.failReason ?? `${this.name} ${how}`}${tail ? ` (stderr: ${tail.slice(0, 200)})` : ''}`;
    const d = decideRestart(this.policy, this.rapidFailures, uptimeMs);
    this.rapidFailures = d.rapidFailures;
    if (run.fatal || d.action === 'give-up') {
      this.lastError = run.fatal ? reason : `gave up after ${d.rapidFailures} rapid failures; last: ${reason}`;
      this.rejectAll('not-running', `${this.name} failed: ${this.lastError}`);
      this.setState('failed');
      return;
    }
    this.lastError = reason;
    this.nextRestartAt = performance.now() + d.delayMs;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.nextRestartAt = null;
      this.restarts++;
      this.spawnRun();
    }, d.delayMs);
    this.setState('backing-off');
  }

  private runTimer(run: Run, ms: number, fn: () => void): void {
    if (run.finished) return;
    const t = setTimeout(() => {
      run.timers.delete(t);
      fn();
    }, ms);
    run.timers.add(t);
  }

  private clearBackoff(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    this.nextRestartAt = null;
  }

  // ---- protocol ----

  private onStdoutEvent(run: Run, e: LineSplitterEvent): void {
    if (e.kind === 'overlong') {
      this.overlongLines++;
      return this.reportProtocolError(run, 'overlong', `line longer than ${this.maxLineBytes} bytes (dropped after ${e.bytesSeen})`, false);
    }
    if (e.kind === 'invalid-utf8') return this.reportProtocolError(run, 'invalid-utf8', `${e.bytes}-byte line is not UTF-8`);
    const d = decodeWorkerMessage(e.text);
    if (!d.ok) return this.reportProtocolError(run, d.error === 'not JSON' ? 'not-json' : 'invalid', d.error);
    this.onMessage(run, d.message);
  }

  private onMessage(run: Run, m: WorkerMessage): void {
    const spec = this.opts.protocol;
    switch (m.type) {
      case 'ready': {
        if (run.readyAt !== null) return this.reportProtocolError(run, 'unexpected', 'second ready message');
        if (run !== this.run || run.terminating) return; // being stopped or replaced: too late to matter
        if (m.protocol !== WORKER_PROTOCOL_VERSION) {
          run.failReason = `${this.name} speaks protocol ${m.protocol}, expected ${WORKER_PROTOCOL_VERSION}`;
          run.fatal = true;
          return this.terminate(run);
        }
        if (spec.ready) {
          const r = spec.ready.safeParse(m.info);
          if (!r.success) return this.reportProtocolError(run, 'invalid', `ready info: ${describeZodError(r.error)}`);
        }
        run.readyAt = performance.now();
        for (const p of this.pending.values()) if (p.sentTo === null) this.send(p, run);
        this.setState('running');
        return;
      }
      case 'response': {
        const p = this.pending.get(m.id);
        if (!p || p.sentTo !== run) {
          this.lateResponseCount++;
          return;
        }
        if (!m.ok) return this.settle(p, new WorkerRequestError(`${p.method}: ${m.error.message}`, 'worker-error', m.error.code));
        const method = spec.methods[p.method];
        const r = method ? method.result.safeParse(m.result) : null;
        if (!r || !r.success) {
          const why = r ? describeZodError(r.error) : 'unknown method';
          this.reportProtocolError(run, 'invalid', `${p.method} result: ${why}`);
          return this.settle(p, new WorkerRequestError(`${p.method}: invalid result from ${this.name}: ${why}`, 'invalid-response'));
        }
        return this.settle(p, null, r.data);
      }
      case 'stats': {
        const r = spec.stats.safeParse(m.stats);
        if (!r.success) return this.reportProtocolError(run, 'invalid', `stats: ${describeZodError(r.error)}`);
        // Stats describe one worker process; a dying run's late stats are still its latest numbers.
        this.stats = r.data as StatsOf<S>;
        this.statsAt = Date.now();
        this.emit('stats', this.stats);
        return;
      }
      case 'event': {
        const r = spec.event.safeParse(m.event);
        if (!r.success) return this.reportProtocolError(run, 'invalid', `event: ${describeZodError(r.error)}`);
        this.emit('event', r.data as EventOf<S>);
        return;
      }
    }
  }

  private reportProtocolError(run: Run, kind: ProtocolErrorKind, detail: string, countMalformed = true): void {
    if (countMalformed) this.malformedLines++;
    this.emit('protocol-error', { kind, detail, pid: run.pid });
  }

  private onStderrEvent(e: LineSplitterEvent): void {
    const text = e.kind === 'line' ? e.text : e.kind === 'overlong' ? `[stderr line over ${STDERR_MAX_LINE_BYTES} bytes dropped]` : '[stderr line not UTF-8]';
    this.stderrLines.push(text);
    if (this.stderrLines.length > STDERR_TAIL_LINES) this.stderrLines.shift();
    this.emit('stderr', text);
  }

  private send(p: Pending, run: Run): void {
    p.sentTo = run;
    const stdin = run.child.stdin;
    if (!stdin || !stdin.writable) return; // the run's exit will reject it
    stdin.write(p.line);
  }

  private onRequestTimeout(id: number, timeoutMs: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    const run = p.sentTo;
    this.settle(p, new WorkerRequestError(`${p.method}: no answer from ${this.name} within ${timeoutMs} ms`, 'timeout'));
    // Advisory: lets the worker abandon work nobody waits for.
    if (run && run === this.run && run.child.stdin?.writable) run.child.stdin.write(encodeMessage({ type: 'cancel', id }));
  }

  private settle(p: Pending, err: WorkerRequestError | null, value?: unknown): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private rejectQueued(reason: WorkerRequestFailure, message: string): void {
    for (const p of [...this.pending.values()]) if (p.sentTo === null) this.settle(p, new WorkerRequestError(message, reason));
  }

  private rejectAll(reason: WorkerRequestFailure, message: string): void {
    for (const p of [...this.pending.values()]) this.settle(p, new WorkerRequestError(message, reason));
  }

  /** Called last on every path: a throwing listener then cannot leave the supervisor half-updated. */
  private setState(s: WorkerState): void {
    this.state = s;
    this.emit('status', this.status());
  }
}
