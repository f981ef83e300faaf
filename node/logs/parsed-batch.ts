/**
 * A batch of parsed UDP log messages handed from the parse thread (udp-parse-thread.ts) to the
 * intake: the events' journal lines, already encoded as NDJSON in one transferred buffer, with
 * each line's end as a byte offset (to cut the journal bytes) and as a character offset (to
 * cut the decoded text), plus a table of what the main thread needs of each event (format,
 * addresses, ports, the time correlation uses, rank) so that it ranks, correlates and counts
 * without decoding the lines (log-event-batch.ts builds an event object only when something
 * asks for it). The intake appends the bytes as they are and only re-encodes a line whose event
 * changed after parsing (correlated flows, a resolved name, a rank).
 */
import { z } from 'zod';
import type { LogEvent } from '../../common/bridge/messages.js';
import { exactTime, logEventOfLine } from '../../common/logs/log-journal-line.js';
import { JsonLineWriter, MARK_DST_IP, MARK_MESSAGE, MARK_SRC_IP, writeLogEventLine } from '../../common/logs/log-line-encoder.js';
import { LOG_FORMATS, type LogFormat } from '../../common/logs/parsed-log.js';
import { parseTimestamp } from '../../common/time/timestamp.js';

/**
 * The facts table: FACT_STRIDE doubles per event. Offsets are byte offsets into the batch's data
 * of a JSON string value, quotes included ([start, end); -1 for null); numbers are -1 for null.
 */
export const FACT_STRIDE = 13;
/** Index into LOG_FORMATS. */
export const F_FORMAT = 0;
export const F_SRC_IP = 1; // and + 1: end
export const F_DST_IP = 3; // and + 1: end
export const F_SRC_PORT = 5;
export const F_DST_PORT = 6;
export const F_PROTO = 7;
/** The time correlation uses (event_ts when its zone was stated, else received_ts); NaN: read it from the event. */
export const F_TIME_SEC = 8;
export const F_TIME_NSEC = 9;
/** The message's plain bytes [start, end) (no quotes, nothing escaped), or -2: read it from the event (log-line-encoder.ts MARK_MESSAGE). */
export const F_MESSAGE = 10; // and + 1: end
export const F_RANK = 12;

const FORMAT_CODE = new Map<LogFormat, number>(LOG_FORMATS.map((f, i) => [f, i]));

/**
 * Writes event i's row from the writer's marks of the line just written (JsonLineWriter.marks,
 * offsets into the same buffer as the batch's data) and the values given.
 */
export function writeFacts(
  table: Float64Array,
  i: number,
  marks: Int32Array,
  format: LogFormat,
  srcPort: number | null,
  dstPort: number | null,
  proto: number | null,
  timeSec: number,
  timeNsec: number,
  rank: number,
): void {
  writeFactsCoded(table, i, marks, FORMAT_CODE.get(format) ?? -1, srcPort ?? -1, dstPort ?? -1, proto ?? -1, timeSec, timeNsec, rank);
}

/** writeFacts with the format as its index into LOG_FORMATS and -1 for null numbers (log-facts.ts's form). */
export function writeFactsCoded(
  table: Float64Array,
  i: number,
  marks: Int32Array,
  format: number,
  srcPort: number,
  dstPort: number,
  proto: number,
  timeSec: number,
  timeNsec: number,
  rank: number,
): void {
  const o = i * FACT_STRIDE;
  table[o + F_FORMAT] = format;
  table[o + F_SRC_IP] = marks[MARK_SRC_IP];
  table[o + F_SRC_IP + 1] = marks[MARK_SRC_IP + 1];
  table[o + F_DST_IP] = marks[MARK_DST_IP];
  table[o + F_DST_IP + 1] = marks[MARK_DST_IP + 1];
  table[o + F_SRC_PORT] = srcPort;
  table[o + F_DST_PORT] = dstPort;
  table[o + F_PROTO] = proto;
  // a time the timestamp text would not give back as it is (formatTs's fallback) is read from the event
  const exact = exactTime(timeSec, timeNsec);
  table[o + F_TIME_SEC] = exact ? timeSec : NaN;
  table[o + F_TIME_NSEC] = exact ? timeNsec : NaN;
  table[o + F_MESSAGE] = marks[MARK_MESSAGE];
  table[o + F_MESSAGE + 1] = marks[MARK_MESSAGE + 1];
  table[o + F_RANK] = rank;
}

export interface ParsedLogBatch {
  /**
   * NDJSON: one line per event, each ending in LF, in [0, used). The parse thread's batches hold
   * their facts table and line ends in the same buffer after the lines (`ends` and `facts` are
   * views into it: one transferred buffer a batch).
   */
  data: ArrayBuffer;
  /** Bytes of data in use. */
  used: number;
  /** Per line: [2i] its end in bytes (after the LF), [2i+1] its end in UTF-16 characters (after the LF). */
  ends: Uint32Array;
  count: number;
  /** Datagrams the receiver dropped since its previous batch (hand-off full: queue or native ring). */
  dropped: number;
  /** FACT_STRIDE values per event (above). */
  facts: Float64Array;
  /**
   * Only while events are being built on the main thread (a live subscriber, an exporter): each
   * event's whole line (format 1, JSON.stringify's bytes of the parser's event, each ending in
   * LF), for building the event without parsing its raw text again; the journal still gets
   * `data`. wholeEnds[i]: line i's end in bytes (after the LF).
   */
  wholeData?: ArrayBuffer;
  wholeEnds?: Uint32Array;
  /** The parse thread takes `data` back for later batches once nothing refers to it (the native receiver's whole batches). */
  pooled?: boolean;
  /** Main thread, pooled batches: gives `data` back to its parse thread (every view into it is then detached). */
  giveBack?: (data: ArrayBuffer) => void;
}

/**
 * What the parse thread posts, checked per batch on the main thread (the batch's frame: sizes
 * that agree; its lines are not re-validated one by one, see decodeLogBatch).
 */
export const ParseThreadMessageSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('parsed'),
      /** The socket thread's batch number (batches from several parse threads are put back in order). */
      seq: z.number().int().nonnegative(),
      data: z.instanceof(ArrayBuffer),
      used: z.number().int().nonnegative(),
      ends: z.instanceof(Uint32Array),
      facts: z.instanceof(Float64Array),
      count: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      /** Native receiver: of `dropped`, those for a full ring; the socket's kernel drops so far. */
      ringDropped: z.number().int().nonnegative().optional(),
      kernelDrops: z.number().int().nonnegative().optional(),
      wholeData: z.instanceof(ArrayBuffer).optional(),
      wholeEnds: z.instanceof(Uint32Array).optional(),
      pooled: z.boolean().optional(),
    })
    .refine((m) => m.used <= m.data.byteLength && m.ends.length === 2 * m.count && m.facts.length === FACT_STRIDE * m.count && (m.count === 0 || m.ends[2 * m.count - 2] === m.used), 'batch sizes disagree')
    .refine(
      (m) => (m.wholeData === undefined) === (m.wholeEnds === undefined) && (m.wholeEnds === undefined || (m.wholeEnds.length === m.count && (m.count === 0 || m.wholeEnds[m.count - 1] <= (m.wholeData as ArrayBuffer).byteLength))),
      'whole lines disagree with the batch',
    ),
  z.object({ kind: z.literal('end') }),
  /** Native receiver (the parse thread owns it): bound, or could not bind. */
  z.object({ kind: z.literal('ready'), port: z.number().int().min(0).max(65535), recvBufferBytes: z.number().int().nonnegative(), nice: z.number().int().nullable() }),
  z.object({ kind: z.literal('error'), code: z.string().nullable(), message: z.string() }),
]);
export type ParseThreadMessage = z.infer<typeof ParseThreadMessageSchema>;

/**
 * Encodes events as NDJSON lines into one buffer that can be transferred. The line is exactly
 * `JSON.stringify(event)` (log-line-encoder.ts, for toLogEvent's key order), so every reader of
 * the journal reads it as before.
 */
export function encodeLogBatch(events: readonly LogEvent[], dropped: number): ParsedLogBatch {
  const w = new JsonLineWriter(1 << 16);
  const ends = new Uint32Array(events.length * 2);
  const facts = new Float64Array(events.length * FACT_STRIDE);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    writeLogEventLine(w, e);
    w.byte(0x0a);
    ends[2 * i] = w.at;
    ends[2 * i + 1] = w.chars;
    const t = parseTimestamp(e.event_ts !== null && e.event_ts_zoned ? e.event_ts : e.received_ts);
    writeFacts(facts, i, w.marks, e.format, e.src_port, e.dst_port, e.proto, t ? t.sec : NaN, t ? t.nsec : NaN, e.rank);
  }
  return { data: w.take(), used: w.at, ends, count: events.length, dropped, facts };
}

/** The bytes of the batch's lines. */
export function batchBytes(b: ParsedLogBatch): Uint8Array {
  return new Uint8Array(b.data, 0, b.used);
}

const utf8 = new TextDecoder();

/**
 * The events of a batch (compact lines expanded: log-journal-line.ts). The lines come from our
 * own parse thread, which builds them with toLogEvent (LogEventSchema's type);
 * tests/unit/logs/parsed-batch.test.ts checks them against the schema, so the intake does not
 * re-validate each one on its hot path.
 */
export function decodeLogBatch(b: ParsedLogBatch): LogEvent[] {
  const text = utf8.decode(batchBytes(b));
  const out = new Array<LogEvent>(b.count);
  let start = 0;
  for (let i = 0; i < b.count; i++) {
    const end = b.ends[2 * i + 1];
    out[i] = logEventOfLine(JSON.parse(text.slice(start, end - 1)));
    start = end;
  }
  return out;
}

/** Byte range [start, end) of line i, LF included. */
export function lineRange(b: ParsedLogBatch, i: number): [number, number] {
  return [i === 0 ? 0 : b.ends[2 * i - 2], b.ends[2 * i]];
}
