/**
 * The one path every received or sniffed log line takes: a bounded queue (overflow is counted,
 * never silent), then in batches: parse (common/logs/) → correlate with the store's flows →
 * persist in the event journal (awaited: a line counts as accepted only once it is written) →
 * publish to the live bus. Receivers call offer(); TCP receivers also watch `saturated` to stop
 * reading a connection instead of dropping (TCP has flow control, UDP does not).
 */
import type { LogEvent } from '../../common/bridge/messages.js';
import { toLogEvent, type LogOrigin } from '../../common/logs/log-event.js';
import { decodeLogBytes, parseLog } from '../../common/logs/parse-log.js';
import type { LogFormat } from '../../common/logs/parsed-log.js';
import { correlationInput, type CorrelationInput, type Correlator } from './correlate.js';
import type { HostResolver } from './host-resolver.js';
import type { LogLinks } from './flow-log-index.js';
import { LogEventBatch } from './log-event-batch.js';
import type { ParsedLogBatch } from './parsed-batch.js';

export interface LogIntakeOptions {
  sensor: string;
  /** Writes events durably (the journal); resolves once written. */
  persist: (events: LogEvent[]) => Promise<void>;
  /**
   * Writes events whose journal lines are already encoded (UDP batches from the parse thread:
   * `lines` holds line i at byte range lineEnds[i-1]..lineEnds[i]); resolves once written.
   * Without it, persist() is used and the lines are encoded again.
   */
  persistEncoded?: (events: LogEvent[], lines: EncodedLines) => Promise<void>;
  /**
   * Writes a UDP batch (its lines: batch.lines()) and publishes it; resolves once written. Its
   * events are built only when asked for (log-event-batch.ts), so a sink that needs them for
   * few or none (no subscriber yet, nothing ranked) skips decoding them. Preferred over
   * persistEncoded when given.
   */
  persistBatch?: (batch: LogEventBatch) => Promise<void>;
  /** Told of every event once it is written (the flow → log count index): what each counts for. */
  onStored?: (events: readonly LogLinks[]) => void;
  /** Hands persisted events to live clients (the bus); optional. */
  publish?: (events: LogEvent[]) => void;
  correlator?: Correlator | null;
  /** Host names → addresses before correlation (never waits). */
  resolver?: HostResolver | null;
  /** Messages waiting to be parsed and written, at most (default 200,000: about 4 s at 50,000/s). */
  queueLimit?: number;
  /** Messages per journal write, at most (default 2000; the receivers' sockets live in their own threads). */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface LogSource {
  transport: LogEvent['transport'];
  senderIp: string | null;
  senderPort: number | null;
  /** Receive time; now when absent. */
  receivedSec?: number;
  receivedNsec?: number;
  captureFlow?: string | null;
  /** A fixed event id (sniffed messages use ids derived from their flow, for idempotence). */
  id?: string;
  /** The frame was cut at the receiver's size limit. */
  truncated?: boolean;
}

export interface LogIntakeStats {
  /** Messages offered by the receivers. */
  received: number;
  /** Written to the journal. */
  stored: number;
  /** Dropped because the queue was full. */
  dropped_queue_full: number;
  /** Lost because the journal write failed (reported in the log). */
  dropped_write_failed: number;
  /** Cut at the frame size limit (still stored). */
  truncated: number;
  queued: number;
  queue_limit: number;
  by_format: Record<LogFormat, number>;
  correlated: number;
}

/** Journal lines of a batch of events, ready to append (NDJSON, one line per event, in order). */
export interface EncodedLines {
  bytes: Uint8Array;
  /** Byte offset after each event's line (LF included). */
  lineEnds: Uint32Array;
}

/** One message offered on its own (TCP/TLS frames, sniffed messages). */
interface Pending {
  bytes: Uint8Array;
  src: LogSource;
  sec: number;
  nsec: number;
}

/** A UDP batch parsed and encoded by the receiver's parse thread, processed as a whole. */
interface QueuedBatch {
  parsed: ParsedLogBatch;
}

type QueueEntry = Pending | QueuedBatch;

export class LogIntake {
  private readonly queue: QueueEntry[] = [];
  private head = 0;
  private queuedCount = 0;
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private seq = 0;
  /** Event ids are this prefix and a sequence number (UDP parse threads add their own part). */
  readonly idPrefix: string;
  private readonly queueLimit: number;
  private readonly batchSize: number;
  private readonly waiters: (() => void)[] = [];
  readonly stats: LogIntakeStats;

  constructor(private readonly opts: LogIntakeOptions) {
    this.queueLimit = opts.queueLimit ?? 200_000;
    this.batchSize = opts.batchSize ?? 2000;
    this.idPrefix = `${opts.sensor}:log:${Date.now().toString(36)}:`;
    this.stats = {
      received: 0,
      stored: 0,
      dropped_queue_full: 0,
      dropped_write_failed: 0,
      truncated: 0,
      queued: 0,
      queue_limit: this.queueLimit,
      by_format: { rfc3164: 0, rfc5424: 0, cef: 0, ossec: 0, seed: 0, raw: 0 },
      correlated: 0,
    };
  }

  get sensor(): string {
    return this.opts.sensor;
  }

  /** Reports a failure of a receiver thread in the service log. */
  reportError(line: string): void {
    this.opts.log?.(`error: ${line}`);
  }

  get queued(): number {
    return this.queuedCount;
  }

  /** True when a stream receiver should pause reading (the queue is at least 3/4 full). */
  get saturated(): boolean {
    return this.queued >= (this.queueLimit * 3) / 4;
  }

  /** Resolves when the queue has room again (below half full). */
  whenDrained(): Promise<void> {
    if (this.queued < this.queueLimit / 2) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Queues one message; false (and counted) when the queue is full. The bytes must not be reused. */
  offer(bytes: Uint8Array, src: LogSource): boolean {
    this.stats.received++;
    if (this.queued >= this.queueLimit) {
      this.stats.dropped_queue_full++;
      return false;
    }
    let sec = src.receivedSec;
    let nsec = src.receivedNsec ?? 0;
    if (sec === undefined) {
      const ms = Date.now();
      sec = Math.floor(ms / 1000);
      nsec = (ms % 1000) * 1e6;
    }
    if (src.truncated) this.stats.truncated++;
    this.queue.push({ bytes, src, sec, nsec });
    this.queuedCount++;
    this.stats.queued = this.queued;
    this.kick();
    return true;
  }

  /**
   * Queues a parsed UDP batch from a receiver's parse thread (parsed-batch.ts) as a whole, or
   * drops and counts it when the queue has no room for it; its `dropped` (datagrams the socket
   * thread could not hand over) are counted too. Returns how many were queued.
   */
  offerParsedBatch(batch: ParsedLogBatch): number {
    this.stats.received += batch.count + batch.dropped;
    this.stats.dropped_queue_full += batch.dropped;
    if (batch.count === 0) return 0;
    if (this.queued + batch.count > this.queueLimit) {
      this.stats.dropped_queue_full += batch.count;
      return 0;
    }
    this.queue.push({ parsed: batch });
    this.queuedCount += batch.count;
    this.stats.queued = this.queued;
    this.kick();
    return batch.count;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.idle = this.drain().finally(() => {
      this.running = false;
      // a message offered while drain() awaited its last write found it running and did not
      // start another: it would wait for the next offer (a TCP sender that then goes quiet)
      if (this.queued > 0) this.kick();
    });
  }

  /** Takes up to n queued single messages, oldest first, or one whole parsed batch. */
  private take(n: number): Pending[] | ParsedLogBatch {
    const first = this.queue[this.head];
    if ('parsed' in first) {
      this.head++;
      this.queuedCount -= first.parsed.count;
      this.compact();
      return first.parsed;
    }
    const out: Pending[] = [];
    while (n > 0 && this.head < this.queue.length) {
      const e = this.queue[this.head];
      if ('parsed' in e) break;
      out.push(e);
      this.head++;
      n--;
      this.queuedCount--;
    }
    this.compact();
    return out;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.stats.queued = this.queued;
  }

  /**
   * Batches are parsed while the previous one is being written (the write runs on libuv's
   * thread pool): at most two in flight, written in order by the journal, and each published
   * only once its own write resolved.
   */
  private async drain(): Promise<void> {
    let inFlight: Promise<void> | null = null;
    while (this.queued > 0) {
      const taken = this.take(this.batchSize);
      let write: () => Promise<void>;
      if (Array.isArray(taken)) {
        const events = this.parse(taken);
        this.opts.resolver?.resolveBatch(events);
        await this.correlate(events);
        write = () => this.persistAndPublish(events, null);
      } else {
        // no event objects here: counts, resolution and correlation read the batch's table
        const b = new LogEventBatch(taken, this.opts.sensor);
        for (let i = 0; i < b.count; i++) this.stats.by_format[b.format(i)]++;
        this.opts.resolver?.resolveLogBatch(b);
        await this.correlateBatch(b);
        write = () => this.persistBatchAndPublish(b);
      }
      if (inFlight) await inFlight;
      inFlight = write();
      if (this.queued < this.queueLimit / 2) for (const w of this.waiters.splice(0)) w();
      // let I/O callbacks (new batches, stream receivers) run between batches
      await new Promise<void>((r) => setImmediate(r));
    }
    if (inFlight) await inFlight;
    for (const w of this.waiters.splice(0)) w();
  }

  private parse(slices: Pending[]): LogEvent[] {
    const events: LogEvent[] = [];
    for (const s of slices) events.push(this.toEvent(s.bytes, s.sec, s.nsec, s.src.transport, s.src.senderIp, s.src.senderPort, s.src.captureFlow ?? null, s.src.id, s.src.truncated === true));
    return events;
  }

  private toEvent(
    bytes: Uint8Array,
    sec: number,
    nsec: number,
    transport: LogEvent['transport'],
    senderIp: string | null,
    senderPort: number | null,
    captureFlow: string | null,
    id: string | undefined,
    truncated: boolean,
  ): LogEvent {
    const text = decodeLogBytes(bytes);
    const parsed = parseLog(text, sec);
    if (truncated) parsed.problem = parsed.problem ?? `message cut at ${bytes.length} bytes`;
    const origin: LogOrigin = { id: id ?? this.idPrefix + ++this.seq, sensor: this.opts.sensor, receivedSec: sec, receivedNsec: nsec, transport, senderIp, senderPort, captureFlow };
    const e = toLogEvent(text, parsed, origin);
    this.stats.by_format[e.format]++;
    return e;
  }

  /** Sets each event's flow_ids; returns how many events got any. */
  private correlate(events: LogEvent[]): Promise<number> {
    const named = events.filter((e) => e.src_ip !== null || e.dst_ip !== null);
    return this.linkFlows(named.length, (k) => correlationInput(named[k]), (k, ids) => (named[k].flow_ids = ids));
  }

  /** correlate() for a UDP batch: the inputs come from its table, flows are linked without building events. */
  private correlateBatch(b: LogEventBatch): Promise<number> {
    const named: number[] = [];
    for (let i = 0; i < b.count; i++) if (b.namesAddress(i)) named.push(i);
    return this.linkFlows(named.length, (k) => b.correlationInput(named[k]), (k, ids) => b.setFlowIds(named[k], ids));
  }

  /**
   * Correlates n events that name an address (input(k): what correlation reads of the k-th) and
   * links each to its flows (link); returns how many got any. A failed correlation is logged and
   * links nothing: intake goes on.
   */
  private async linkFlows(n: number, input: (k: number) => CorrelationInput | null, link: (k: number, ids: string[]) => void): Promise<number> {
    const c = this.opts.correlator;
    if (n === 0 || !c || !(await c.hasCaptures())) return 0;
    let linked = 0;
    try {
      const ids = await c.flowIdsForInputs(Array.from({ length: n }, (_, k) => input(k)));
      for (let k = 0; k < n; k++) {
        link(k, ids[k]);
        if (ids[k].length) linked++;
      }
    } catch (err) {
      this.opts.log?.(`log correlation failed: ${(err as Error).message}`);
    }
    this.stats.correlated += linked;
    return linked;
  }

  private async persistAndPublish(events: LogEvent[], lines: EncodedLines | null): Promise<void> {
    if (!events.length) return;
    try {
      if (lines && this.opts.persistEncoded) await this.opts.persistEncoded(events, lines);
      else await this.opts.persist(events);
      this.stats.stored += events.length;
      this.opts.onStored?.(events);
    } catch (err) {
      this.stats.dropped_write_failed += events.length;
      this.opts.log?.(`error: ${events.length} log messages could not be written to the journal: ${(err as Error).message}`);
      return;
    }
    this.opts.publish?.(events);
  }

  private async persistBatchAndPublish(b: LogEventBatch): Promise<void> {
    if (!b.count) return;
    try {
      if (this.opts.persistBatch) await this.opts.persistBatch(b);
      else if (this.opts.persistEncoded) await this.opts.persistEncoded(b.events(), b.lines());
      else await this.opts.persist(b.events());
      this.stats.stored += b.count;
      if (this.opts.onStored && b.linkedCount > 0) this.opts.onStored(b.links());
    } catch (err) {
      this.stats.dropped_write_failed += b.count;
      this.opts.log?.(`error: ${b.count} log messages could not be written to the journal: ${(err as Error).message}`);
      return;
    }
    if (this.opts.publish) this.opts.publish(b.events());
  }

  /** Resolves when everything offered so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.running || this.queued > 0) {
      if (!this.running) this.kick();
      await this.idle;
    }
  }
}
