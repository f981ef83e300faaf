/**
 * Packets crossing from the capture thread to the store writer's thread, many to a buffer: a
 * batch is a slot of shared memory named by id in a message (neither copied nor transferred)
 * and handed back for reuse, so the hand-off costs no object per packet.
 *
 * A batch is a sequence of runs, each the packets of one link: u32 linkId, u32 byte length of
 * the run's records, then the records. A record is a pcap record, the very bytes a pcap segment
 * stores (nanosecond timestamps, little-endian): tsSec u32, tsNsec u32, capLen u32, origLen u32,
 * then capLen bytes. So the writer thread writes whole runs of records to the segment from the
 * batch itself (LiveWriter.packetRunBorrowed) instead of re-encoding every packet.
 */
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';

export const BATCH_RECORD_HEADER = 16;
export const BATCH_RUN_HEADER = 8;

/**
 * Calls `each` with every run of buf[0, len): its link and its records (buf[from, to)). Throws
 * when a run's length runs past len: batches come from our own encoder, so that is a bug.
 */
export function forEachBatchRun(buf: Uint8Array, len: number, each: (linkId: number, from: number, to: number) => void): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 0; at < len; ) {
    if (at + BATCH_RUN_HEADER > len) throw new Error(`packet batch: run header at ${at} runs past ${len}`);
    const from = at + BATCH_RUN_HEADER;
    const to = from + view.getUint32(at + 4, true);
    if (to > len) throw new Error(`packet batch: run at ${at} runs past ${len}`);
    each(view.getUint32(at, true), from, to);
    at = to;
  }
}

/** Starts a run of link `linkId` at `at` (the caller checked 8 bytes fit); returns where its records go. */
export function startBatchRun(view: DataView, at: number, linkId: number): number {
  view.setUint32(at, linkId >>> 0, true);
  view.setUint32(at + 4, 0, true);
  return at + BATCH_RUN_HEADER;
}

/** Sets the length of the run started at runAt, whose records end at `end`. */
export function endBatchRun(view: DataView, runAt: number, end: number): void {
  view.setUint32(runAt + 4, end - runAt - BATCH_RUN_HEADER, true);
}

export function batchRecordLength(capLen: number): number {
  return BATCH_RECORD_HEADER + capLen;
}

/** Appends one packet at `at` (the caller checked it fits); returns the new end. */
export function appendBatchRecord(buf: Uint8Array, view: DataView, at: number, p: LivePacket): number {
  return appendBatchRecordFrom(buf, view, at, p.tsSec, p.tsNsec, p.data, Math.min(p.capLen, p.data.length), p.origLen);
}

/** appendBatchRecord with the fields as arguments and the bytes src[0, capLen) (capLen <= src.length). */
export function appendBatchRecordFrom(buf: Uint8Array, view: DataView, at: number, tsSec: number, tsNsec: number, src: Uint8Array, capLen: number, origLen: number): number {
  view.setUint32(at, tsSec >>> 0, true);
  view.setUint32(at + 4, tsNsec >>> 0, true);
  view.setUint32(at + 8, capLen, true);
  view.setUint32(at + 12, origLen >>> 0, true);
  buf.set(capLen === src.length ? src : src.subarray(0, capLen), at + BATCH_RECORD_HEADER);
  return at + BATCH_RECORD_HEADER + capLen;
}

/**
 * Calls `each` for every record of buf[0, len) with one reused LivePacket of link `linkId` (its
 * data a view into the batch, valid only during the call, as the LivePacketSink contract says).
 * Throws on a record running past `len`: batches come from our own encoder, so that is a bug.
 */
export function forEachBatchRecord(buf: Uint8Array, len: number, linkId: number, each: (p: LivePacket) => void): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const p: LivePacket = { linkId, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, data: buf.subarray(0, 0) };
  let at = 0;
  let n = 0;
  while (at < len) {
    const end = batchRecordEnd(view, at, len);
    p.tsSec = view.getUint32(at, true);
    p.tsNsec = view.getUint32(at + 4, true);
    p.capLen = end - at - BATCH_RECORD_HEADER;
    p.origLen = view.getUint32(at + 12, true);
    p.data = buf.subarray(at + BATCH_RECORD_HEADER, end);
    each(p);
    at = end;
    n++;
  }
  return n;
}

/**
 * The end of the record at `at`, checked to lie within len. The errors are built in a function
 * of their own: with the template literals here, inlined into the writer's batch loop, every
 * call allocated about 24 bytes (the writer thread's largest garbage, 3-4 scavenges per million
 * packets; with them out of line it allocates nothing per record).
 */
export function batchRecordEnd(view: DataView, at: number, len: number): number {
  if (at + BATCH_RECORD_HEADER > len) throw recordPastEnd(at, -1, len);
  const end = at + BATCH_RECORD_HEADER + view.getUint32(at + 8, true);
  if (end > len) throw recordPastEnd(at, end - at - BATCH_RECORD_HEADER, len);
  return end;
}

/** batchRecordEnd's error (capLen < 0: the record's header itself runs past len). */
function recordPastEnd(at: number, capLen: number, len: number): Error {
  return new Error(capLen < 0 ? `packet batch: record header at ${at} runs past ${len}` : `packet batch: record at ${at} (${capLen} bytes) runs past ${len}`);
}
