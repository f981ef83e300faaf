/**
 * The fast-path columns of a whole packet batch filled in TypeScript (common/flow/fast-columns.ts
 * fillFastColumn per record): what the native capture thread writes while it copies, for batches
 * made in JavaScript (the writer's warm-up, tests, benchmarks).
 */
import { COLUMN_BYTES, columnWord, fillFastColumn } from '../../../common/flow/fast-columns.js';
import { BATCH_RECORD_HEADER, batchRecordEnd, forEachBatchRun } from './packet-batch.js';

/**
 * Fills the columns of batch[0, len) (one link type for all its runs) into `cols`, an Int32Array
 * over the whole batch buffer; returns the number of records. Throws when the columns would
 * overlap the records.
 */
export function fillBatchColumns(batch: Uint8Array, len: number, linkType: number, cols: Int32Array): number {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let k = 0;
  forEachBatchRun(batch, len, (_linkId, from, to) => {
    for (let at = from; at < to; ) {
      const end = batchRecordEnd(view, at, to);
      const w = columnWord(cols.length, k);
      if (w * 4 < len) throw new Error(`packet batch: ${k + 1} column entries (${(k + 1) * COLUMN_BYTES} bytes) overlap the records`);
      fillFastColumn(linkType, batch, at + BATCH_RECORD_HEADER, end, cols, w);
      k++;
      at = end;
    }
  });
  return k;
}
