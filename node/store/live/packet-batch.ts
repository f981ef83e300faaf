/**
 * Packets crossing from the capture thread to the store writer's thread, many to a buffer: a
 * batch is an ArrayBuffer transferred (not copied) with postMessage and handed back for reuse,
 * so the hand-off costs one copy of the packet bytes and no object per packet.
 *
 * Record layout (little-endian, no padding): linkId u32, tsSec u32, tsNsec u32, capLen u32,
 * origLen u32, then capLen bytes.
 */
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';

export const BATCH_RECORD_HEADER = 20;

export function batchRecordLength(capLen: number): number {
  return BATCH_RECORD_HEADER + capLen;
}

/** Appends one packet at `at` (the caller checked it fits); returns the new end. */
export function appendBatchRecord(buf: Uint8Array, view: DataView, at: number, p: LivePacket): number {
  return appendBatchRecordFrom(buf, view, at, p.linkId, p.tsSec, p.tsNsec, p.data, Math.min(p.capLen, p.data.length), p.origLen);
}

/** appendBatchRecord with the fields as arguments and the bytes src[0, capLen) (capLen <= src.length). */
export function appendBatchRecordFrom(buf: Uint8Array, view: DataView, at: number, linkId: number, tsSec: number, tsNsec: number, src: Uint8Array, capLen: number, origLen: number): number {
  view.setUint32(at, linkId >>> 0, true);
  view.setUint32(at + 4, tsSec >>> 0, true);
  view.setUint32(at + 8, tsNsec >>> 0, true);
  view.setUint32(at + 12, capLen, true);
  view.setUint32(at + 16, origLen >>> 0, true);
  buf.set(capLen === src.length ? src : src.subarray(0, capLen), at + BATCH_RECORD_HEADER);
  return at + BATCH_RECORD_HEADER + capLen;
}

/**
 * Calls `each` for every record of buf[0, len) with one reused LivePacket (its data a view into
 * the batch, valid only during the call, as the LivePacketSink contract says). Throws on a
 * record running past `len`: batches come from our own encoder, so that is a bug, not input.
 */
export function forEachBatchRecord(buf: Uint8Array, len: number, each: (p: LivePacket) => void): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const p: LivePacket = { linkId: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, data: buf.subarray(0, 0) };
  let at = 0;
  let n = 0;
  while (at < len) {
    if (at + BATCH_RECORD_HEADER > len) throw new Error(`packet batch: record header at ${at} runs past ${len}`);
    const capLen = view.getUint32(at + 12, true);
    const end = at + BATCH_RECORD_HEADER + capLen;
    if (end > len) throw new Error(`packet batch: record at ${at} (${capLen} bytes) runs past ${len}`);
    p.linkId = view.getUint32(at, true);
    p.tsSec = view.getUint32(at + 4, true);
    p.tsNsec = view.getUint32(at + 8, true);
    p.capLen = capLen;
    p.origLen = view.getUint32(at + 16, true);
    p.data = buf.subarray(at + BATCH_RECORD_HEADER, end);
    each(p);
    at = end;
    n++;
  }
  return n;
}
