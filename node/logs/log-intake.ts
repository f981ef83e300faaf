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
import type { Correlator } from './correlate.js';

export interface LogIntakeOptions {
  sensor: string;
  /** Writes events durably (the journal); resolves once written. */
  persist: (events: LogEvent[]) => Promise<void>;
  /** Hands persisted events to live clients (the bus); optional. */
  publish?: (events: LogEvent[]) => void;
  correlator?: Correlator | null;
  /** Messages waiting to be parsed and written, at most (default 200,000: about 4 s at 50,000/s). */
  queueLimit?: number;
  /** Messages per journal write, at most (default 500: short pauses for the receivers' sockets). */
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

interface Pending {
  bytes: Uint8Array;
  src: LogSource;
  sec: number;
  nsec: number;
}

export class LogIntake {
  private readonly queue: Pending[] = [];
  private head = 0;
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly start36 = Date.now().toString(36);
  private readonly queueLimit: number;
  private readonly batchSize: number;
  private readonly waiters: (() => void)[] = [];
  readonly stats: LogIntakeStats;

  constructor(private readonly opts: LogIntakeOptions) {
    this.queueLimit = opts.queueLimit ?? 200_000;
    this.batchSize = opts.batchSize ?? 500;
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

  get queued(): number {
    return this.queue.length - this.head;
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
    this.stats.queued = this.queued;
    this.kick();
    return true;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.idle = this.drain().finally(() => {
      this.running = false;
    });
  }

  private async drain(): Promise<void> {
    while (this.queued > 0) {
      const n = Math.min(this.batchSize, this.queued);
      const batch = this.queue.slice(this.head, this.head + n);
      this.head += n;
      if (this.head > 65_536 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.stats.queued = this.queued;
      await this.process(batch);
      if (this.queued < this.queueLimit / 2) for (const w of this.waiters.splice(0)) w();
      // let the receivers' I/O callbacks run between batches
      await new Promise<void>((r) => setImmediate(r));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  private async process(batch: Pending[]): Promise<void> {
    const events: LogEvent[] = [];
    for (const p of batch) {
      const text = decodeLogBytes(p.bytes);
      const parsed = parseLog(text, p.sec);
      if (p.src.truncated) parsed.problem = parsed.problem ?? `message cut at ${p.bytes.length} bytes`;
      const origin: LogOrigin = {
        id: p.src.id ?? `${this.opts.sensor}:log:${this.start36}:${++this.seq}`,
        sensor: this.opts.sensor,
        receivedSec: p.sec,
        receivedNsec: p.nsec,
        transport: p.src.transport,
        senderIp: p.src.senderIp,
        senderPort: p.src.senderPort,
        captureFlow: p.src.captureFlow ?? null,
      };
      const e = toLogEvent(text, parsed, origin);
      this.stats.by_format[e.format]++;
      events.push(e);
    }
    const c = this.opts.correlator;
    if (c && (await c.hasCaptures())) {
      for (const e of events) {
        if (e.src_ip === null && e.dst_ip === null) continue;
        try {
          e.flow_ids = await c.flowIdsFor(e);
          if (e.flow_ids.length) this.stats.correlated++;
        } catch (err) {
          this.opts.log?.(`log correlation failed: ${(err as Error).message}`);
        }
      }
    }
    try {
      await this.opts.persist(events);
      this.stats.stored += events.length;
    } catch (err) {
      this.stats.dropped_write_failed += events.length;
      this.opts.log?.(`error: ${events.length} log messages could not be written to the journal: ${(err as Error).message}`);
      return;
    }
    this.opts.publish?.(events);
  }

  /** Resolves when everything offered so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.running || this.queued > 0) {
      if (!this.running) this.kick();
      await this.idle;
    }
  }
}
