/**
 * The event bus between the back end and its clients (renderer windows, WebSocket sessions):
 * events get a sequence number, go into a bounded replay buffer, and reach each subscriber in
 * batches at most every `intervalMs`. A slow subscriber never holds the others back: its queue
 * is bounded, and what it could not take is counted as missed (it can refetch history).
 * Environment-free: timers come from the host.
 */
import type { EventBatch, TaplineEvent } from './messages.js';

export interface EventBusOptions {
  /** Batching interval (the UI gets at most one batch per interval). */
  intervalMs?: number;
  /** Events kept for reconnecting clients. */
  replay?: number;
  /** Events queued per subscriber before the oldest are dropped (counted as missed). */
  maxQueue?: number;
  /** Largest batch delivered at once (a burst is spread over several ticks). */
  maxBatch?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

interface Subscriber {
  deliver: (b: EventBatch) => void;
  queue: BusItem[];
  missed: number;
}

interface BusItem {
  seq: number;
  readonly e: TaplineEvent;
}

/** Events whose objects are built on demand (a log intake batch keeps its lines, not objects). */
export interface LazyEvents {
  event(i: number): TaplineEvent;
}

/** An event published lazily: built when first delivered or replayed, then kept (every subscriber gets the same object). */
class LazyItem implements BusItem {
  private built: TaplineEvent | null = null;

  constructor(
    readonly seq: number,
    private readonly source: LazyEvents,
    private readonly index: number,
  ) {}

  get e(): TaplineEvent {
    return (this.built ??= this.source.event(this.index));
  }
}

export class EventBus {
  private seq = 0;
  private readonly ring: BusItem[] = [];
  private readonly subs = new Set<Subscriber>();
  private timer: unknown = null;
  private readonly interval: number;
  private readonly replay: number;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(opts: EventBusOptions = {}) {
    this.interval = opts.intervalMs ?? 100;
    this.replay = opts.replay ?? 20_000;
    this.maxQueue = opts.maxQueue ?? 50_000;
    this.maxBatch = opts.maxBatch ?? 5_000;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t));
  }

  get lastSeq(): number {
    return this.seq;
  }

  publish(e: TaplineEvent): number {
    const item = { seq: ++this.seq, e };
    this.add(item);
    this.schedule();
    return item.seq;
  }

  /**
   * Publishes events 0..count-1 of `source` in order, as publish() would one by one, but builds
   * each event only when a subscriber or a history request first needs it (log intake: most
   * messages are never looked at live). Returns the last sequence number.
   */
  publishLazy(count: number, source: LazyEvents): number {
    for (let i = 0; i < count; i++) this.add(new LazyItem(++this.seq, source, i));
    if (count > 0) this.schedule();
    return this.seq;
  }

  private add(item: BusItem): void {
    this.ring.push(item);
    // trimmed in steps, not per event: splicing one item off a full ring moves the whole ring,
    // which at tens of thousands of events a second (log intake) costs more than the events
    if (this.ring.length > this.replay + Math.max(1024, this.replay >> 3)) this.ring.splice(0, this.ring.length - this.replay);
    for (const s of this.subs) this.enqueue(s, item);
  }

  /** Index of the oldest event still in the replay window (the ring may hold a few older ones). */
  private ringStart(): number {
    return Math.max(0, this.ring.length - this.replay);
  }

  /** Recent events (newest last), for history requests. */
  recent(): TaplineEvent[] {
    return this.ring.slice(this.ringStart()).map((r) => r.e);
  }

  /**
   * Subscribes; with `since`, first replays what came after that sequence number (and counts
   * what fell out of the replay buffer as missed).
   */
  subscribe(deliver: (b: EventBatch) => void, since?: number): () => void {
    const s: Subscriber = { deliver, queue: [], missed: 0 };
    if (since !== undefined && since < this.seq) {
      const start = this.ringStart();
      const oldest = this.ring.length > start ? this.ring[start].seq : this.seq + 1;
      if (since + 1 < oldest) s.missed += oldest - since - 1;
      for (let i = start; i < this.ring.length; i++) if (this.ring[i].seq > since) this.enqueue(s, this.ring[i]);
    }
    this.subs.add(s);
    this.schedule();
    return () => this.subs.delete(s);
  }

  private enqueue(s: Subscriber, item: BusItem): void {
    s.queue.push(item);
    if (s.queue.length > this.maxQueue) {
      const drop = s.queue.length - this.maxQueue;
      s.queue.splice(0, drop);
      s.missed += drop;
    }
  }

  private schedule(): void {
    if (this.timer !== null) return;
    let pending = false;
    for (const s of this.subs) if (s.queue.length || s.missed) pending = true;
    if (!pending) return;
    this.timer = this.setTimer(() => this.flush(), this.interval);
  }

  /** Delivers one batch to every subscriber with something queued. */
  flush(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    for (const s of this.subs) {
      if (!s.queue.length && !s.missed) continue;
      const take = s.queue.splice(0, this.maxBatch);
      const batch: EventBatch = { seq: take.length ? take[take.length - 1].seq : this.seq, events: take.map((t) => t.e), missed: s.missed };
      s.missed = 0;
      try {
        s.deliver(batch);
      } catch {
        // a failing subscriber (closed socket) is removed by its owner; others go on
      }
    }
    this.schedule();
  }

  close(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.subs.clear();
  }
}
