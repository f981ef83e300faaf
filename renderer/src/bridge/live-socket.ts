/**
 * The live event stream over WebSocket, kept alive: on a drop it reconnects with exponential
 * backoff (1 s doubling to 30 s, with jitter so many clients do not return at once) and resumes
 * with since = the last sequence number it received, so the server replays what was missed.
 * Depends on injected WebSocket and timer functions so tests can drive it without a network.
 */
import type { EventBatch } from '../../../common/bridge/messages.js';
import type { ConnectionState } from './capabilities.js';
import { SlicedBatchIntake, type IntakeEnv } from './sliced-intake.js';
import { takesText, type LiveIntake, type LiveIntakeFactory } from './worker-intake.js';

/** The part of the DOM WebSocket this client uses. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface LiveSocketEnv {
  openSocket: SocketFactory;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  now(): number;
  random(): number;
  /** Asks whether a failed connection was an expired session (true when the server says 401). */
  probeLoggedOut(): Promise<boolean>;
  /** How batches are validated and delivered in slices (default: MessageChannel tasks in a page). */
  intake?: IntakeEnv;
  /** Where batches are checked instead of in the page (the live-check worker: worker-intake.ts). */
  liveIntake?: LiveIntakeFactory;
}

export interface LiveSocketOptions {
  url(since: number | undefined): string;
  onBatch(batch: EventBatch): void;
  onState(state: ConnectionState): void;
  /** A batch or event that failed validation (dropped). */
  onRejected(detail: string): void;
  since?: number;
}

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;

/** The delay before attempt n (1-based): 1 s, 2 s, 4 s … 30 s, scaled by 0.5–1.0 jitter. */
export function backoffDelay(attempt: number, random: number): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * (0.5 + random / 2));
}

export class LiveSocket {
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;
  private lastSeq: number | undefined;
  private readonly intake: LiveIntake;

  constructor(
    private readonly env: LiveSocketEnv,
    private readonly opts: LiveSocketOptions,
  ) {
    this.lastSeq = opts.since;
    const deliver = (b: EventBatch) => this.opts.onBatch(b);
    const onRejected = (d: string) => this.opts.onRejected(d);
    this.intake = env.liveIntake
      ? env.liveIntake({
          deliver,
          onRejected,
          // a worker answers in order; the seq read from the text may be ahead of it
          onSeq: (seq) => {
            if (this.lastSeq === undefined || seq > this.lastSeq) this.lastSeq = seq;
          },
        })
      : new SlicedBatchIntake(deliver, onRejected, env.intake);
  }

  /** The sequence number a reconnect resumes after. */
  get resumeSeq(): number | undefined {
    return this.lastSeq;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.intake.clear();
    if (this.timer !== null) this.env.clearTimer(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.onerror = null;
      s.onopen = null;
      s.close(1000, 'unsubscribed');
    }
  }

  private connect(): void {
    this.timer = null;
    if (this.stopped) return;
    this.opts.onState({ kind: 'connecting' });
    let opened = false;
    let s: SocketLike;
    try {
      s = this.env.openSocket(this.opts.url(this.lastSeq));
    } catch (e) {
      this.scheduleRetry(`could not open the live connection: ${(e as Error).message}`, false);
      return;
    }
    this.socket = s;
    s.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.opts.onState({ kind: 'connected' });
    };
    s.onmessage = (ev) => this.receive(ev.data);
    s.onerror = () => {
      // the close event that follows carries the decision
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      const why = opened ? `connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})` : 'could not connect';
      this.scheduleRetry(why, !opened);
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.opts.onRejected('a binary message (the live stream sends JSON text)');
      return;
    }
    if (takesText(this.intake)) {
      // parsed and checked off the main thread
      const seq = this.intake.pushText(data);
      if (seq !== null && (this.lastSeq === undefined || seq > this.lastSeq)) this.lastSeq = seq;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.opts.onRejected('a message that is not JSON');
      return;
    }
    // validated and delivered in slices; a reconnect resumes after what arrived (queued or not)
    const seq = this.intake.push(json);
    if (seq !== null) this.lastSeq = seq;
  }

  private scheduleRetry(reason: string, neverOpened: boolean): void {
    if (this.stopped) return;
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.env.random());
    const retryAt = this.env.now() + delay;
    this.opts.onState({ kind: 'reconnecting', attempt: this.attempt, retryAt, reason });
    this.timer = this.env.setTimer(() => this.connect(), delay);
    // A handshake that fails outright is often an expired session; the WebSocket API hides the
    // status code, so ask the HTTP API.
    if (neverOpened) {
      const attempt = this.attempt;
      void this.env.probeLoggedOut().then(
        (out) => {
          if (out && !this.stopped && this.attempt === attempt && this.socket === null) this.opts.onState({ kind: 'logged-out' });
        },
        () => undefined,
      );
    }
  }
}
