/**
 * One packet batch (packet-batch.ts) into a LiveWriter, run by run: what the writer thread does
 * with each batch the capture thread hands over, and what its warm-up (writer-warm-up.ts) does
 * with generated batches, so both run the same code with the same type feedback.
 */
import type { LiveWriter } from './live-writer.js';
import { forEachBatchRun } from './packet-batch.js';

export interface BatchWritten {
  packets: number;
  bytes: number;
  /** Writes of runs borrowed from the batch: the batch is free again once all settle. */
  writes: Promise<void>[];
}

export function writeBatch(writer: LiveWriter, batch: Uint8Array, len: number): BatchWritten {
  const out: BatchWritten = { packets: 0, bytes: 0, writes: [] };
  forEachBatchRun(batch, len, (linkId, from, to) => {
    const r = writer.packetRunBorrowed(linkId, batch.subarray(from, to), to - from);
    out.packets += r.packets;
    out.bytes += r.bytes;
    if (r.written) out.writes.push(r.written);
  });
  return out;
}
