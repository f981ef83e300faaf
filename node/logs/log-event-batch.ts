/**
 * A UDP batch from the parse thread (parsed-batch.ts) as the main thread handles it: ranking,
 * name resolution, correlation and counting read the batch's facts table and the few JSON values
 * it points at (addresses, message), never the whole line; an event object is built (its line
 * read: a compact line, log-journal-line.ts, is expanded by parsing its raw text again) only when
 * something asks for it: an event whose names are resolved, a rank that changes, a live
 * subscriber or an exporter (the event bus keeps the batch and builds its events when it delivers
 * them, event-bus.ts publishLazy).
 *
 * The journal lines stay the parse thread's bytes; a line changes only when its event did:
 * flows linked by correlation are written into the line (before a compact line's closing brace,
 * or into a whole line's empty `"flow_ids":[]`, its last key), an event built and changed
 * (resolved names, a rank) is encoded again whole (JSON.stringify's bytes, format 1). Every event
 * built is the event its final line reads as. Only for batches whose lines come from
 * writeCompactLogLine / writeParsedLogLine / writeLogEventLine (capture_flow null, no
 * `resolved`, flow_ids empty).
 */
import type { LogEvent } from '../../common/bridge/messages.js';
import { COMPACT_PREFIX, logEventOfLine } from '../../common/logs/log-journal-line.js';
import { JsonLineWriter, writeLogEventLine } from '../../common/logs/log-line-encoder.js';
import { LOG_FORMATS, type LogFormat } from '../../common/logs/parsed-log.js';
import { parseTimestamp } from '../../common/time/timestamp.js';
import type { CorrelationInput } from './correlate.js';
import type { EncodedLines } from './log-intake.js';
import { batchBytes, FACT_STRIDE, F_DST_IP, F_DST_PORT, F_FORMAT, F_MESSAGE, F_PROTO, F_RANK, F_SRC_IP, F_SRC_PORT, F_TIME_NSEC, F_TIME_SEC, type ParsedLogBatch } from './parsed-batch.js';

const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();
const K_FLOW_IDS_OPEN = utf8Out.encode(',"flow_ids":[');

/** The JSON string value at bytes [start, end) (quotes included). */
function jsonStringAt(bytes: Uint8Array, start: number, end: number): string {
  // addresses: short printable ASCII without escapes, read without a decoder call
  if (end - start <= 66) {
    let s = '';
    for (let k = start + 1; k < end - 1; k++) {
      const c = bytes[k];
      if (c >= 0x80 || c === 0x5c || c < 0x20) return JSON.parse(utf8.decode(bytes.subarray(start, end))) as string;
      s += String.fromCharCode(c);
    }
    return s;
  }
  return JSON.parse(utf8.decode(bytes.subarray(start, end))) as string;
}

/** Bytes known to be printable ASCII as a string. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 256) return utf8.decode(bytes.subarray(start, end));
  let s = '';
  for (let k = start; k < end; k++) s += String.fromCharCode(bytes[k]);
  return s;
}

/** A line that starts with the compact form's prefix (log-journal-line.ts). */
function isCompactAt(bytes: Uint8Array, start: number): boolean {
  for (let k = 0; k < COMPACT_PREFIX.length; k++) if (bytes[start + k] !== COMPACT_PREFIX[k]) return false;
  return true;
}

/**
 * Events built from UDP batches' lines in this process so far: the UDP receiver watches it to
 * ask its parse threads for whole lines (ParsedLogBatch.wholeData) while events are in demand.
 */
export const logEventsBuilt = {
  count: 0,
  /** Date.now() at the last one. */
  lastAt: -Infinity,
  /** Of those, built from the parse thread's whole line (tests: the whole lines were used). */
  fromWholeLine: 0,
  /** Batches that came with whole lines (tests: they stop when nothing builds events). */
  wholeLineBatches: 0,
};

/** Pooled batch buffers given back to their parse thread (LogEventBatch.released), for tests and benches. */
export const logBatchBuffers = { givenBack: 0 };

export class LogEventBatch {
  readonly count: number;
  private readonly bytes: Uint8Array;
  private readonly facts: Float64Array;
  private readonly ends: Uint32Array;
  /** Events built so far (their final state). */
  private readonly built: (LogEvent | undefined)[];
  /** Flow ids linked at intake (also set on a built event). */
  private readonly flowIds: (string[] | undefined)[];
  /** Lines encoded again from their event (it changed after it was built). */
  private readonly rebuilt = new Set<number>();
  private linked = 0;
  private encoded: EncodedLines | null = null;
  /**
   * A pooled batch (ParsedLogBatch.giveBack): the event bus calls this once it no longer refers
   * to the batch (event-bus.ts LazyEvents.released); the buffer goes back to its parse thread on
   * the next turn of the event loop (after the synchronous readers of the same publication).
   * Undefined for other batches (the garbage collector frees them).
   */
  readonly released?: () => void;
  private gone = false;

  constructor(
    readonly parsed: ParsedLogBatch,
    /** The sensor every event of the batch names (the intake's). */
    readonly sensor: string,
  ) {
    this.count = parsed.count;
    this.bytes = batchBytes(parsed);
    this.facts = parsed.facts;
    this.ends = parsed.ends;
    this.built = new Array<LogEvent | undefined>(this.count);
    this.flowIds = new Array<string[] | undefined>(this.count);
    if (parsed.wholeData !== undefined) logEventsBuilt.wholeLineBatches++;
    const give = parsed.giveBack;
    if (give)
      this.released = () =>
        setImmediate(() => {
          if (this.gone) return; // given back once
          this.gone = true;
          logBatchBuffers.givenBack++;
          give(parsed.data);
        });
  }

  format(i: number): LogFormat {
    return LOG_FORMATS[this.facts[i * FACT_STRIDE + F_FORMAT]] ?? this.event(i).format;
  }

  rank(i: number): number {
    return this.built[i]?.rank ?? this.facts[i * FACT_STRIDE + F_RANK];
  }

  private str(i: number, col: number): string | null {
    const o = i * FACT_STRIDE + col;
    const start = this.facts[o];
    return start < 0 ? null : jsonStringAt(this.bytes, start, this.facts[o + 1]);
  }

  private num(i: number, col: number): number | null {
    const v = this.facts[i * FACT_STRIDE + col];
    return v < 0 ? null : v;
  }

  srcIp(i: number): string | null {
    const e = this.built[i];
    return e ? e.src_ip : this.str(i, F_SRC_IP);
  }

  dstIp(i: number): string | null {
    const e = this.built[i];
    return e ? e.dst_ip : this.str(i, F_DST_IP);
  }

  srcPort(i: number): number | null {
    const e = this.built[i];
    return e ? e.src_port : this.num(i, F_SRC_PORT);
  }

  dstPort(i: number): number | null {
    const e = this.built[i];
    return e ? e.dst_port : this.num(i, F_DST_PORT);
  }

  proto(i: number): number | null {
    const e = this.built[i];
    return e ? e.proto : this.num(i, F_PROTO);
  }

  message(i: number): string {
    const e = this.built[i];
    if (e) return e.message;
    const o = i * FACT_STRIDE + F_MESSAGE;
    const start = this.facts[o];
    // plain bytes (printable ASCII) in the line, or -2: not there as it is, read from the event
    return start < 0 ? this.event(i).message : latin1(this.bytes, start, this.facts[o + 1]);
  }

  /** Whether the event names a source or a destination address (before names are resolved: from the table). */
  namesAddress(i: number): boolean {
    const e = this.built[i];
    if (e) return e.src_ip !== null || e.dst_ip !== null;
    const o = i * FACT_STRIDE;
    return this.facts[o + F_SRC_IP] >= 0 || this.facts[o + F_DST_IP] >= 0;
  }

  /** Whether a side has no address (a host name may stand there: host-resolver.ts). */
  missesAddress(i: number): boolean {
    const e = this.built[i];
    if (e) return e.src_ip === null || e.dst_ip === null;
    const o = i * FACT_STRIDE;
    return this.facts[o + F_SRC_IP] < 0 || this.facts[o + F_DST_IP] < 0;
  }

  /** What correlation needs (correlate.ts correlationInput, without building the event). */
  correlationInput(i: number): CorrelationInput | null {
    const o = i * FACT_STRIDE;
    let time: { sec: number; nsec: number } | null = { sec: this.facts[o + F_TIME_SEC], nsec: this.facts[o + F_TIME_NSEC] };
    if (Number.isNaN(time.sec)) {
      const e = this.event(i);
      time = parseTimestamp(e.event_ts !== null && e.event_ts_zoned ? e.event_ts : e.received_ts);
      if (!time) return null;
    }
    return { srcIp: this.srcIp(i), srcPort: this.srcPort(i), dstIp: this.dstIp(i), dstPort: this.dstPort(i), proto: this.proto(i), time };
  }

  private lineStart(i: number): number {
    return i === 0 ? 0 : this.ends[2 * i - 2];
  }

  /** Event i (built from its line on first use, then kept; flows linked so far included). */
  event(i: number): LogEvent {
    let e = this.built[i];
    if (e === undefined) {
      // never silently from a reused buffer: the bus let go of this batch, nothing may build from it
      if (this.gone) throw new Error('log event batch: event asked for after its buffer went back to the parse thread');
      logEventsBuilt.count++;
      logEventsBuilt.lastAt = Date.now();
      const whole = this.parsed.wholeData;
      const wholeEnds = this.parsed.wholeEnds;
      if (whole !== undefined && wholeEnds !== undefined) {
        // the parse thread's whole line of the same parse result (the journal's compact line
        // would be parsed again from its raw text: about twice the cost); LF excluded
        logEventsBuilt.fromWholeLine++;
        const start = i === 0 ? 0 : wholeEnds[i - 1];
        e = JSON.parse(utf8.decode(new Uint8Array(whole, start, wholeEnds[i] - 1 - start))) as LogEvent;
      } else {
        e = logEventOfLine(JSON.parse(utf8.decode(this.bytes.subarray(this.lineStart(i), this.ends[2 * i] - 1))));
      }
      const ids = this.flowIds[i];
      if (ids !== undefined) e.flow_ids = ids;
      this.built[i] = e;
    }
    return e;
  }

  /** Every event, in order (builds those not built yet). */
  events(): LogEvent[] {
    const out = new Array<LogEvent>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.event(i);
    return out;
  }

  /** Event i, built with event(i), was changed in place (names resolved): its line is encoded again. */
  changed(i: number): void {
    if (this.built[i] === undefined) throw new Error('changed(): the event was not built');
    this.rebuilt.add(i);
    this.encoded = null;
  }

  /** Event i is now e (ranked): its line is encoded again. */
  replace(i: number, e: LogEvent): void {
    this.built[i] = e;
    this.rebuilt.add(i);
    this.encoded = null;
  }

  /** Links event i to flows (best first). */
  setFlowIds(i: number, ids: string[]): void {
    if (ids.length === 0 && this.flowIds[i] === undefined) return;
    if (this.flowIds[i] === undefined || this.flowIds[i].length === 0) this.linked += ids.length ? 1 : 0;
    this.flowIds[i] = ids;
    const e = this.built[i];
    if (e) e.flow_ids = ids;
    this.encoded = null;
  }

  /** The flow ids linked to event i (empty when none). */
  flowIdsOf(i: number): string[] {
    return this.built[i]?.flow_ids ?? this.flowIds[i] ?? [];
  }

  /** Events linked to any flow. */
  get linkedCount(): number {
    return this.linked;
  }

  /** The flows each linked event counts for (flow-log-index.ts; UDP events have no capture flow). */
  links(): { flow_ids: string[]; capture_flow: string | null }[] {
    const out: { flow_ids: string[]; capture_flow: string | null }[] = [];
    if (this.linked === 0 && this.rebuilt.size === 0) return out;
    for (let i = 0; i < this.count; i++) {
      const ids = this.flowIdsOf(i);
      if (ids.length) out.push({ flow_ids: ids, capture_flow: null });
    }
    return out;
  }

  /** The journal lines: the parse thread's bytes, with the lines of changed events written again. */
  lines(): EncodedLines {
    if (this.encoded) return this.encoded;
    if (this.linked === 0 && this.rebuilt.size === 0) {
      const lineEnds = new Uint32Array(this.count);
      for (let i = 0; i < this.count; i++) lineEnds[i] = this.ends[2 * i];
      this.encoded = { bytes: this.bytes, lineEnds };
      return this.encoded;
    }
    const w = new JsonLineWriter(this.bytes.length + 4096);
    const lineEnds = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const start = this.lineStart(i);
      const end = this.ends[2 * i];
      if (this.rebuilt.has(i)) {
        encodeEvent(w, this.built[i] as LogEvent);
      } else {
        const ids = this.flowIds[i];
        // `...,"flow_ids":[]}` LF: the ids go between the brackets
        if (ids !== undefined && ids.length > 0 && this.bytes[end - 4] === 0x5b && this.bytes[end - 3] === 0x5d && this.bytes[end - 2] === 0x7d) {
          w.copy(this.bytes.subarray(start, end - 3));
          writeIdsAndClose(w, ids);
        } else if (ids !== undefined && ids.length > 0 && this.bytes[end - 2] === 0x7d && isCompactAt(this.bytes, start)) {
          // a compact line lists flows only when there are some: `,"flow_ids":[…]` before its closing brace
          w.copy(this.bytes.subarray(start, end - 2));
          w.lit(K_FLOW_IDS_OPEN);
          writeIdsAndClose(w, ids);
        } else if (ids !== undefined && ids.length > 0) {
          encodeEvent(w, this.event(i));
        } else {
          w.copy(this.bytes.subarray(start, end));
        }
      }
      lineEnds[i] = w.at;
    }
    this.encoded = { bytes: w.buf.subarray(0, w.at), lineEnds };
    return this.encoded;
  }
}

/** The flow ids (a JSON array's items), then `]}` and the line's LF. */
function writeIdsAndClose(w: JsonLineWriter, ids: readonly string[]): void {
  for (let k = 0; k < ids.length; k++) {
    if (k > 0) w.byte(0x2c);
    w.str(ids[k]);
  }
  w.byte(0x5d);
  w.byte(0x7d);
  w.byte(0x0a);
}

/**
 * A changed event's line: writeLogEventLine (JSON.stringify's bytes for toLogEvent's key order,
 * `resolved` last) when the event has that shape, else JSON.stringify itself (a ranked event
 * carries `classes` after the other keys).
 */
function encodeEvent(w: JsonLineWriter, e: LogEvent): void {
  if (e.classes === undefined) {
    writeLogEventLine(w, e);
  } else {
    const b = utf8Out.encode(JSON.stringify(e));
    w.copy(b);
  }
  w.byte(0x0a);
}
