/**
 * Live batches checked and delivered in time slices. At 5,000 events a second a 500-event batch
 * validated and then aggregated in one task blocked the page for 100-300 ms under load, and a
 * late timer delivering several batches at once made it worse. Here each raw batch is queued
 * after its envelope check; its events are validated one by one and handed on in sub-batches
 * while a slice's budget lasts (default 8 ms, validation and the consumer's work together), then
 * the intake yields to the page (input, rendering) and goes on in the next task.
 *
 * A small batch (up to MIN_SLICE events) is still delivered synchronously inside push() when
 * nothing is queued, so a quiet stream behaves as before. Order is kept; a batch's `missed`
 * travels with its first sub-batch; rejections are reported once per batch. Memory is bounded:
 * past maxBacklog queued events, push() works the queue down before it returns, so a producer
 * faster than the page is held to the page's pace.
 *
 * `prevalidated`: the events were already checked (by the live-check worker, worker-intake.ts);
 * they are only delivered in slices, at most `maxPerDelivery` per call so the consumer's work
 * (aggregation, row store, archive) stays within the budget too.
 */
import { EventSchema, type EventBatch, type TaplineEvent } from '../../../common/bridge/messages.js';
import { EnvelopeSchema } from './live-check.js';

/** Events a slice always takes, whatever the clock says (progress under any load). */
export const MIN_SLICE = 64;

export interface IntakeEnv {
  now(): number;
  /** Runs fn in a later task (a MessageChannel post in the browser: no 4 ms timer clamp). */
  later(fn: () => void): void;
}

interface Pending {
  seq: number;
  missed: number;
  events: unknown[];
  at: number;
  rejected: number;
  firstProblem: string | null;
}

export class SlicedBatchIntake {
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private queued = 0;
  private readonly budgetMs: number;
  private readonly maxBacklog: number;
  private readonly prevalidated: boolean;
  private readonly maxPerDelivery: number;

  constructor(
    private readonly deliver: (batch: EventBatch) => void,
    private readonly onRejected: (detail: string) => void,
    private readonly env: IntakeEnv = defaultIntakeEnv(),
    opts: { budgetMs?: number; maxBacklog?: number; prevalidated?: boolean; maxPerDelivery?: number } = {},
  ) {
    this.budgetMs = opts.budgetMs ?? 8;
    this.maxBacklog = opts.maxBacklog ?? 20_000;
    this.prevalidated = opts.prevalidated ?? false;
    this.maxPerDelivery = opts.maxPerDelivery ?? (this.prevalidated ? 100 : Infinity);
  }

  /** Events queued, not yet delivered. */
  get backlog(): number {
    return this.queued;
  }

  /** Takes one raw batch from the back end. Returns its seq, or null when its envelope is invalid. */
  push(raw: unknown): number | null {
    const env = EnvelopeSchema.safeParse(raw);
    if (!env.success) {
      this.onRejected('a batch without a valid seq/events/missed envelope');
      return null;
    }
    const { seq, missed, events } = env.data;
    this.queue.push({ seq, missed, events, at: 0, rejected: 0, firstProblem: null });
    this.queued += events.length;
    if (this.queue.length === 1 && !this.scheduled) this.slice();
    // backpressure: the queue never holds much more than maxBacklog events
    while (this.queued > this.maxBacklog && this.queue.length) this.slice(true);
    return seq;
  }

  /** Drops what is queued (unsubscribe: nothing more is delivered). */
  clear(): void {
    this.queue.length = 0;
    this.queued = 0;
  }

  /** One slice; `urgent` (backpressure) ignores the budget until the backlog is back under its bound. */
  private slice(urgent = false): void {
    if (!urgent) this.scheduled = false;
    const start = this.env.now();
    let taken = 0;
    while (this.queue.length) {
      const p = this.queue[0];
      const out: TaplineEvent[] = [];
      const first = p.at === 0;
      while (p.at < p.events.length && out.length < this.maxPerDelivery && (taken < MIN_SLICE || (urgent ? this.queued > this.maxBacklog : this.env.now() - start < this.budgetMs))) {
        const raw = p.events[p.at++];
        taken++;
        this.queued--;
        if (this.prevalidated) {
          // checked against EventSchema by the live-check worker
          out.push(raw as TaplineEvent);
          continue;
        }
        const r = EventSchema.safeParse(raw);
        if (r.success) out.push(r.data);
        else {
          p.rejected++;
          if (p.firstProblem === null) {
            const issue = r.error.issues[0];
            p.firstProblem = issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'invalid event';
          }
        }
      }
      const done = p.at >= p.events.length;
      if (done) this.queue.shift();
      if (out.length || (first && (p.missed > 0 || done))) this.deliver({ seq: p.seq, missed: first ? p.missed : 0, events: out });
      if (done && p.rejected) this.onRejected(`${p.rejected} event(s) failed validation (${p.firstProblem})`);
      if (taken >= MIN_SLICE && (urgent ? this.queued <= this.maxBacklog : this.env.now() - start >= this.budgetMs)) break;
    }
    if (this.queue.length && !this.scheduled) {
      this.scheduled = true;
      this.env.later(() => this.slice());
    }
  }
}

/** MessageChannel where there is one (each yield is a fresh task, not a clamped timer), else setTimeout. */
export function defaultIntakeEnv(): IntakeEnv {
  const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
  // structural: the tests compile this module with Node's types, whose MessagePort differs
  interface PortLike {
    onmessage: ((ev: unknown) => void) | null;
    postMessage(v: unknown): void;
  }
  const g = globalThis as unknown as { MessageChannel?: new () => { port1: PortLike; port2: PortLike }; document?: unknown };
  // only in a page: in Node an open MessagePort would keep the process alive
  if (typeof g.MessageChannel === 'function' && g.document !== undefined) {
    const ch = new g.MessageChannel();
    const waiting: (() => void)[] = [];
    ch.port1.onmessage = () => {
      const fn = waiting.shift();
      fn?.();
    };
    return {
      now,
      later: (fn) => {
        waiting.push(fn);
        ch.port2.postMessage(0);
      },
    };
  }
  return { now, later: (fn) => void setTimeout(fn, 0) };
}
