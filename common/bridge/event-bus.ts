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
  /**
   * Optional: called once the bus no longer refers to the source (no replay slot holds it, every
   * item made from it was built), so its memory may be reused (a UDP batch's buffer goes back to
   * its parse thread). An item that is never built (dropped from a slow subscriber's queue)
   * keeps it referred to: then this is never called and the garbage collector frees it.
   */
  released?(): void;
}

/** Reference counts of lazily published sources that want to know when the bus lets go of them (LazyEvents.released). */
class SourceRefs {
  private readonly refs = new Map<LazyEvents, number>();

  hold(src: LazyEvents, n: number): void {
    if (src.released) this.refs.set(src, (this.refs.get(src) ?? 0) + n);
  }

  drop(src: LazyEvents, n: number): void {
    if (!src.released) return;
    const k = (this.refs.get(src) ?? 0) - n;
    if (k > 0) {
      this.refs.set(src, k);
      return;
    }
    this.refs.delete(src);
    src.released();
  }
}

/**
 * An event published lazily: built when first delivered or replayed, then kept (every subscriber
 * gets the same object). It takes over one reference to its source that its maker holds (a whole
 * batch's are taken at once: no count update per event) and drops it once built.
 */
class LazyItem implements BusItem {
  private built: TaplineEvent | null = null;
  private source: LazyEvents | null;

  constructor(
    readonly seq: number,
    source: LazyEvents,
    private readonly index: number,
    private readonly refs: SourceRefs,
  ) {
    this.source = source;
  }

  get e(): TaplineEvent {
    if (this.built === null) {
      const src = this.source as LazyEvents;
      this.built = src.event(this.index);
      // built: the item no longer needs its source
      this.source = null;
      this.refs.drop(src, 1);
    }
    return this.built;
  }
}

export class EventBus {
  private seq = 0;
  /**
   * The replay buffer: a fixed circular buffer of the last `replay` events (sequence numbers are
   * consecutive, so slot (seq - 1) % replay holds seq). A lazily published event without
   * subscribers is kept as its source and index, not as an object: at a log intake's 100k events
   * a second a per-event object, and an array spliced and regrown as it rolled (in V8's large-object
   * space), kept the main thread's old generation in a mark-compact every half second.
   */
  private readonly ringItem: (BusItem | null)[];
  private readonly ringSrc: (LazyEvents | null)[];
  private readonly ringIdx: Int32Array;
  private readonly sourceRefs = new SourceRefs();
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
    this.replay = Math.max(0, Math.floor(opts.replay ?? 20_000));
    this.maxQueue = opts.maxQueue ?? 50_000;
    this.maxBatch = opts.maxBatch ?? 5_000;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t));
    this.ringItem = new Array<BusItem | null>(this.replay).fill(null);
    this.ringSrc = new Array<LazyEvents | null>(this.replay).fill(null);
    this.ringIdx = new Int32Array(this.replay);
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
    // held while it is being published: released (at the end) only if nothing kept it
    this.sourceRefs.hold(source, 1);
    if (this.subs.size > 0) {
      // one reference per item, taken for the whole batch
      this.sourceRefs.hold(source, count);
      for (let i = 0; i < count; i++) this.add(new LazyItem(++this.seq, source, i, this.sourceRefs));
    } else if (this.replay > 0) {
      // nobody to deliver to: only the replay buffer keeps them, as source and index (held
      // before the slots are filled: a batch longer than the buffer overwrites its own slots)
      this.sourceRefs.hold(source, count);
      // the sources overwritten, dropped once per run of slots (a batch's events are adjacent)
      let old: LazyEvents | null = null;
      let run = 0;
      for (let i = 0; i < count; i++) {
        const slot = this.seq++ % this.replay;
        this.ringItem[slot] = null;
        const was = this.ringSrc[slot];
        if (was !== old) {
          if (old !== null) this.sourceRefs.drop(old, run);
          old = was;
          run = 0;
        }
        run++;
        this.ringSrc[slot] = source;
        this.ringIdx[slot] = i;
      }
      if (old !== null) this.sourceRefs.drop(old, run);
    } else this.seq += count;
    if (count > 0) this.schedule();
    this.sourceRefs.drop(source, 1);
    return this.seq;
  }

  /** The replay slot's source (if any) is being overwritten: one reference less. */
  private dropSlotSource(slot: number): void {
    const old = this.ringSrc[slot];
    if (old !== null) {
      this.ringSrc[slot] = null;
      this.sourceRefs.drop(old, 1);
    }
  }

  private add(item: BusItem): void {
    if (this.replay > 0) {
      const slot = (item.seq - 1) % this.replay;
      this.ringItem[slot] = item;
      this.dropSlotSource(slot);
    }
    for (const s of this.subs) this.enqueue(s, item);
  }

  /** Oldest sequence number in the replay buffer (lastSeq + 1 when it is empty). */
  private oldestSeq(): number {
    return this.seq - Math.min(this.seq, this.replay) + 1;
  }

  /** The replay buffer's item for `seq` (oldestSeq() <= seq <= lastSeq), built from its source on first need and kept. */
  private itemAt(seq: number): BusItem {
    const slot = (seq - 1) % this.replay;
    let item = this.ringItem[slot];
    if (item === null) {
      // the slot's reference to its source moves to the item
      item = new LazyItem(seq, this.ringSrc[slot] as LazyEvents, this.ringIdx[slot], this.sourceRefs);
      this.ringItem[slot] = item;
      this.ringSrc[slot] = null;
    }
    return item;
  }

  /** Recent events (newest last), for history requests. */
  recent(): TaplineEvent[] {
    const out: TaplineEvent[] = [];
    for (let q = this.oldestSeq(); q <= this.seq; q++) out.push(this.itemAt(q).e);
    return out;
  }

  /**
   * Subscribes; with `since`, first replays what came after that sequence number (and counts
   * what fell out of the replay buffer as missed).
   */
  subscribe(deliver: (b: EventBatch) => void, since?: number): () => void {
    const s: Subscriber = { deliver, queue: [], missed: 0 };
    if (since !== undefined && since < this.seq) {
      const oldest = this.oldestSeq();
      if (since + 1 < oldest) s.missed += oldest - since - 1;
      for (let q = Math.max(oldest, since + 1); q <= this.seq; q++) this.enqueue(s, this.itemAt(q));
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
