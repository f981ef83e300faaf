/**
 * Packets of a capture file as the live writer's 1 MiB packet batches (node/store/live/packet-batch.ts:
 * the layout the native capture thread fills), loaded before anything is measured: the writer
 * benchmarks (live-writer-cpu.ts, native-flows-ab.ts) then time the writer only.
 */
import { open } from 'node:fs/promises';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { BATCH_RUN_HEADER, appendBatchRecordFrom, batchRecordLength, endBatchRun, startBatchRun } from '../../../node/store/live/packet-batch.js';

const BATCH_BYTES = 1 << 20;

export interface Batch {
  buf: Uint8Array;
  len: number;
  packets: number;
  bytes: number;
}

/** The first `max` packets of a capture as 1 MiB batches of link 0, and the link type. */
export async function loadBatches(path: string, max: number): Promise<{ batches: Batch[]; linkType: number; snapLen: number }> {
  const batches: Batch[] = [];
  let cur: Batch = { buf: new Uint8Array(BATCH_BYTES), len: 0, packets: 0, bytes: 0 };
  let view = new DataView(cur.buf.buffer);
  let linkType = -1;
  let snapLen = 262144;
  let total = 0;
  const parser = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: (i) => {
      if (linkType < 0) {
        linkType = i.linkType;
        snapLen = i.snapLen;
      }
    },
    onPacket: (r) => {
      if (total >= max) return;
      const need = batchRecordLength(r.capLen) + (cur.len === 0 ? BATCH_RUN_HEADER : 0);
      if (cur.len + need > BATCH_BYTES) {
        batches.push(cur);
        cur = { buf: new Uint8Array(BATCH_BYTES), len: 0, packets: 0, bytes: 0 };
        view = new DataView(cur.buf.buffer);
      }
      if (cur.len === 0) cur.len = startBatchRun(view, 0, 0);
      cur.len = appendBatchRecordFrom(cur.buf, view, cur.len, r.tsSec, r.tsNsec, r.buffer.subarray(r.bufferOffset, r.bufferOffset + r.capLen), r.capLen, r.origLen);
      endBatchRun(view, 0, cur.len);
      cur.packets++;
      cur.bytes += r.origLen;
      total++;
    },
  });
  const fh = await open(path, 'r');
  try {
    const chunk = new Uint8Array(4 << 20);
    let pos = 0;
    while (total < max) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) break;
      parser.push(chunk.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  if (cur.len > 0) batches.push(cur);
  if (linkType < 0) throw new Error(`${path}: no interface`);
  return { batches, linkType, snapLen };
}
