/**
 * Applies live batches in bounded slices. A 100 ms batch at 5,000 events/s is 500 events; applied
 * in one go (row store, Real-Time aggregation, archive hand-over) it became one task of 50-200 ms
 * on a loaded machine, and input and frames waited behind it. Here a batch is cut into slices of
 * `sliceEvents`; slices run back to back until `budgetMs` has passed, then the rest waits for the
 * next task (yieldTask: a MessageChannel message in the page), so frames and clicks get in between.
 *
 * Order is kept across batches. Nothing is dropped: when more than `maxQueued` events wait, the
 * backlog is applied at once (long tasks come back, but the view stays complete and memory bounded).
 */
import type { EventBatch } from '../../../common/bridge/messages.js';

export interface BatchSlicerOptions {
  sliceEvents: number;
  budgetMs: number;
  maxQueued: number;
  now(): number;
  yieldTask(fn: () => void): void;
}

export interface BatchSlicer {
  push(batch: EventBatch): void;
  /** Events waiting for a later task. */
  readonly queued: number;
}

export function createBatchSlicer(apply: (batch: EventBatch) => void, opts: BatchSlicerOptions): BatchSlicer {
  const queue: EventBatch[] = [];
  let queuedEvents = 0;
  let scheduled = false;

  const take = (): EventBatch | undefined => {
    const b = queue.shift();
    if (b) queuedEvents -= b.events.length;
    return b;
  };

  const pump = (): void => {
    scheduled = false;
    const t0 = opts.now();
    let b: EventBatch | undefined;
    while ((b = take())) {
      apply(b);
      if (queue.length && opts.now() - t0 >= opts.budgetMs) break;
    }
    if (queue.length && !scheduled) {
      scheduled = true;
      opts.yieldTask(pump);
    }
  };

  return {
    push(batch) {
      const n = opts.sliceEvents;
      if (batch.events.length <= n) queue.push(batch);
      else
        for (let i = 0; i < batch.events.length; i += n) {
          // `missed` belongs to the batch: told once, with its first slice
          queue.push({ seq: batch.seq, missed: i === 0 ? batch.missed : 0, events: batch.events.slice(i, i + n) });
        }
      queuedEvents += batch.events.length;
      if (queuedEvents > opts.maxQueued) {
        // too far behind to keep slicing: catch up now
        let q: EventBatch | undefined;
        while ((q = take())) apply(q);
        return;
      }
      // nothing waiting: start in this task (no added latency); else the scheduled pump continues in order
      if (!scheduled) pump();
    },
    get queued() {
      return queuedEvents;
    },
  };
}

/** A macrotask that is not clamped like setTimeout(0) (a MessageChannel message). */
export function messageChannelYield(): (fn: () => void) => void {
  const ch = new MessageChannel();
  const waiting: (() => void)[] = [];
  ch.port1.onmessage = () => waiting.shift()?.();
  return (fn) => {
    waiting.push(fn);
    ch.port2.postMessage(null);
  };
}
