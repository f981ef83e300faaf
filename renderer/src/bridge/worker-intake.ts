/**
 * Live batches checked in a Web Worker (live-check.worker.ts) and delivered on the page in
 * time slices (a prevalidated SlicedBatchIntake). The page's main thread no longer parses the
 * socket's JSON nor runs zod over every event; it posts the batch (a string copy for socket
 * text, a structured clone for the preload's objects) and takes the checked events back.
 *
 * If the worker cannot take a batch (postMessage throws) or fails, checking moves back into the
 * page for good (a batch at a time, into the same delivery queue, so the order is kept), batches
 * it had not answered included. Replies for batches sent before clear() are dropped.
 */
import type { EventBatch } from '../../../common/bridge/messages.js';
import { LiveCheckReplySchema, type LiveCheckReply, type LiveCheckRequest } from './live-check-messages.js';
import { checkLiveBatch } from './live-check.js';
import { SlicedBatchIntake, type IntakeEnv } from './sliced-intake.js';

/** What the bridges need of a live intake (SlicedBatchIntake is one). */
export interface LiveIntake {
  /** Takes a batch object; returns its seq when it is known now, else null. */
  push(raw: unknown): number | null;
  /** Drops what is queued (unsubscribe). */
  clear(): void;
}

/** An intake that can take the socket's JSON text unparsed. */
export interface TextLiveIntake extends LiveIntake {
  pushText(text: string): number | null;
  /** Ends the intake (its worker). */
  close(): void;
}

export function takesText(i: LiveIntake): i is TextLiveIntake {
  return typeof (i as Partial<TextLiveIntake>).pushText === 'function';
}

export interface LiveIntakeCallbacks {
  deliver(batch: EventBatch): void;
  onRejected(detail: string): void;
  /** A batch's sequence number once known (for resuming after a reconnect). */
  onSeq?(seq: number): void;
}

/** Makes the intake for one subscription. */
export type LiveIntakeFactory = (cb: LiveIntakeCallbacks) => LiveIntake;

/** What this needs of a Worker; its creator routes the worker's messages to handleReply and errors to handleFailure. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** The seq of socket text `{"seq":N,...` (how the server serializes a batch), without parsing the rest. */
export function seqOfText(text: string): number | null {
  const m = /^\{"seq":(\d{1,15})[,}]/.exec(text.slice(0, 32));
  return m ? Number(m[1]) : null;
}

function seqOfObject(raw: unknown): number | null {
  const seq = typeof raw === 'object' && raw !== null ? (raw as { seq?: unknown }).seq : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}

type Raw = { text: string } | { batch: unknown };

export class WorkerLiveIntake implements TextLiveIntake {
  private nextId = 1;
  /** Sent, not yet answered, by id (Map keeps insertion order: the order sent). */
  private readonly pending = new Map<number, Raw>();
  private readonly delivery: SlicedBatchIntake;

  constructor(
    private worker: WorkerLike | null,
    private readonly cb: LiveIntakeCallbacks,
    env?: IntakeEnv,
  ) {
    this.delivery = new SlicedBatchIntake(cb.deliver, cb.onRejected, env, { prevalidated: true });
  }

  /** Whether checking has moved back into the page. */
  get inPageFallback(): boolean {
    return this.worker === null;
  }

  push(raw: unknown): number | null {
    return this.send({ batch: raw }) ?? seqOfObject(raw);
  }

  pushText(text: string): number | null {
    return this.send({ text }) ?? seqOfText(text);
  }

  clear(): void {
    this.pending.clear();
    this.delivery.clear();
  }

  close(): void {
    this.clear();
    this.worker?.terminate();
    this.worker = null;
  }

  /** Posts to the worker (null), or checks in the page when there is none (its seq). */
  private send(raw: Raw): number | null {
    if (this.worker) {
      const id = this.nextId++;
      const msg: LiveCheckRequest = 'text' in raw ? { type: 'text', id, text: raw.text } : { type: 'object', id, batch: raw.batch };
      try {
        this.worker.postMessage(msg);
        this.pending.set(id, raw);
        return null;
      } catch {
        // not cloneable, or the worker is gone: check in the page from now on
        this.handleFailure();
      }
    }
    return this.checkInPage(raw);
  }

  private checkInPage(raw: Raw): number | null {
    return this.accept(checkLiveBatch(0, raw));
  }

  handleReply(data: unknown): void {
    const r = LiveCheckReplySchema.safeParse(data);
    if (!r.success) {
      this.cb.onRejected('an answer from the live-check worker that is not one');
      return;
    }
    if (!this.pending.delete(r.data.id)) return; // sent before clear()
    const seq = this.accept(r.data);
    if (seq !== null) this.cb.onSeq?.(seq);
  }

  /** A checked batch into the delivery queue; its seq, or null when the batch was refused. */
  private accept(reply: LiveCheckReply): number | null {
    if (reply.seq === null) {
      this.cb.onRejected(reply.problem ?? 'an invalid batch');
      return null;
    }
    this.delivery.push({ seq: reply.seq, missed: reply.missed, events: reply.events });
    if (reply.rejected) this.cb.onRejected(`${reply.rejected} event(s) failed validation (${reply.problem ?? 'invalid event'})`);
    return reply.seq;
  }

  /** The worker failed: what it had not answered is checked in the page, in order, and so is everything after. */
  handleFailure(): void {
    const w = this.worker;
    this.worker = null;
    w?.terminate();
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const raw of left) {
      const seq = this.checkInPage(raw);
      if (seq !== null) this.cb.onSeq?.(seq);
    }
  }
}
