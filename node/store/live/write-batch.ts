/**
 * One packet batch (packet-batch.ts) into a LiveWriter, run by run: what the writer thread does
 * with each batch the capture thread hands over, and what its warm-up (writer-warm-up.ts) does
 * with generated batches, so both run the same code with the same type feedback.
 */
import { columnWord } from '../../../common/flow/fast-columns.js';
import type { LiveWriter } from './live-writer.js';
import { forEachBatchRun } from './packet-batch.js';

export interface BatchWritten {
  packets: number;
  bytes: number;
  /** Writes of runs borrowed from the batch: the batch is free again once all settle. */
  writes: Promise<void>[];
}

/**
 * `cols`: an Int32Array over the whole batch buffer when the capture thread filled its fast-path
 * columns (common/flow/fast-columns.ts: one entry per record, at the buffer's end), else null.
 */
export function writeBatch(writer: LiveWriter, batch: Uint8Array, len: number, cols: Int32Array | null = null): BatchWritten {
  const out: BatchWritten = { packets: 0, bytes: 0, writes: [] };
  forEachBatchRun(batch, len, (linkId, from, to) => {
    const r = writer.packetRunBorrowed(linkId, batch.subarray(from, to), to - from, cols, cols === null ? 0 : columnWord(cols.length, out.packets));
    out.packets += r.packets;
    out.bytes += r.bytes;
    if (r.written) out.writes.push(r.written);
  });
  return out;
}
