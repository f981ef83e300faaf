/**
 * A batch of parsed UDP log messages handed from the parse thread (udp-parse-thread.ts) to the
 * intake: the events' journal lines, already encoded as NDJSON in one transferred buffer, with
 * each line's end as a byte offset (to cut the journal bytes) and as a character offset (to
 * cut the decoded text for JSON.parse). The intake appends the bytes as they are and only
 * re-encodes a line whose event changed after parsing (correlated flows, a rank).
 */
import { z } from 'zod';
import type { LogEvent } from '../../common/bridge/messages.js';
import { JsonLineWriter, writeLogEventLine } from '../../common/logs/log-line-encoder.js';

export interface ParsedLogBatch {
  /** NDJSON: one line per event, each ending in LF. */
  data: ArrayBuffer;
  /** Bytes of data in use. */
  used: number;
  /** Per line: [2i] its end in bytes (after the LF), [2i+1] its end in UTF-16 characters (after the LF). */
  ends: Uint32Array;
  count: number;
  /** Datagrams the receiver dropped since its previous batch (hand-off full: queue or native ring). */
  dropped: number;
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
      count: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      /** Native receiver: of `dropped`, those for a full ring; the socket's kernel drops so far. */
      ringDropped: z.number().int().nonnegative().optional(),
      kernelDrops: z.number().int().nonnegative().optional(),
    })
    .refine((m) => m.used <= m.data.byteLength && m.ends.length === 2 * m.count && (m.count === 0 || m.ends[2 * m.count - 2] === m.used), 'batch sizes disagree'),
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
  for (let i = 0; i < events.length; i++) {
    writeLogEventLine(w, events[i]);
    w.byte(0x0a);
    ends[2 * i] = w.at;
    ends[2 * i + 1] = w.chars;
  }
  return { data: w.take(), used: w.at, ends, count: events.length, dropped };
}

/** The bytes of the batch's lines. */
export function batchBytes(b: ParsedLogBatch): Uint8Array {
  return new Uint8Array(b.data, 0, b.used);
}

const utf8 = new TextDecoder();

/**
 * The events of a batch. The lines come from our own parse thread, which builds them with
 * toLogEvent (LogEventSchema's type); tests/unit/logs/parsed-batch.test.ts checks them against
 * the schema, so the intake does not re-validate each one on its hot path.
 */
export function decodeLogBatch(b: ParsedLogBatch): LogEvent[] {
  const text = utf8.decode(batchBytes(b));
  const out = new Array<LogEvent>(b.count);
  let start = 0;
  for (let i = 0; i < b.count; i++) {
    const end = b.ends[2 * i + 1];
    out[i] = JSON.parse(text.slice(start, end - 1)) as LogEvent;
    start = end;
  }
  return out;
}

/** Byte range [start, end) of line i, LF included. */
export function lineRange(b: ParsedLogBatch, i: number): [number, number] {
  return [i === 0 ? 0 : b.ends[2 * i - 2], b.ends[2 * i]];
}
