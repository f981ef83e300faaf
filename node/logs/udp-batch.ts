/**
 * The layout of a batch of datagrams handed from the UDP socket thread to the intake: one
 * transferred ArrayBuffer holding many datagrams, so nothing per message crosses the thread
 * boundary (no per-message objects, one postMessage per batch).
 *
 * Each record, little-endian, starting at an offset the reader walks to:
 *   u32 payload length | u16 sender port | u16 index into the batch's sender-address table |
 *   u32 receive time, seconds since the epoch | u32 its nanoseconds | payload bytes
 * Two writers fill it: the dgram socket thread (below, millisecond times from Date.now()) and the
 * native receiver (native/udp-intake, the kernel's receive time in nanoseconds).
 * The sender addresses are a small table of strings per batch (most batches come from a few
 * senders), so the socket thread never converts addresses to bytes and back.
 */

export const UDP_RECORD_HEADER = 16;

export interface UdpBatch {
  data: ArrayBuffer;
  /** Bytes of data in use. */
  used: number;
  /** Records in the batch. */
  count: number;
  /** Sender addresses, indexed by each record's u16 index. */
  ips: string[];
  /**
   * The native receiver's parse fast path results for the records (native/udp-intake/src/
   * log_fast_path.h: an Int32 offset per record, -1 for a message it left to the TypeScript path).
   */
  pre?: ArrayBuffer;
}

/** Reads one record's fields; `at` is the record's offset, the next record starts at `end`. */
export class UdpBatchReader {
  private readonly view: DataView;
  /** The batch's bytes (a record's payload is [start, end) of them). */
  readonly bytes: Uint8Array;
  private at = 0;
  /** The current record (valid after next() returned true). */
  start = 0;
  end = 0;
  port = 0;
  ip = '';
  timeSec = 0;
  timeNsec = 0;

  constructor(readonly batch: UdpBatch) {
    this.view = new DataView(batch.data, 0, batch.used);
    this.bytes = new Uint8Array(batch.data, 0, batch.used);
  }

  /** Advances to the next record; false at the end (or at a record that does not fit: a bug). */
  next(): boolean {
    if (this.at + UDP_RECORD_HEADER > this.batch.used) return false;
    const len = this.view.getUint32(this.at, true);
    const start = this.at + UDP_RECORD_HEADER;
    if (start + len > this.batch.used) return false;
    this.port = this.view.getUint16(this.at + 4, true);
    this.ip = this.batch.ips[this.view.getUint16(this.at + 6, true)] ?? '';
    this.timeSec = this.view.getUint32(this.at + 8, true);
    this.timeNsec = this.view.getUint32(this.at + 12, true);
    this.start = start;
    this.end = start + len;
    this.at = this.end;
    return true;
  }

  /** The current record's payload (a view, no copy). */
  payload(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }
}

/**
 * The writer side, as plain JavaScript source for the socket thread (it is run with `eval`:
 * no module file to locate). Kept next to the reader so the layout is in one file;
 * tests/unit/logs/udp-batch.test.ts runs it against UdpBatchReader.
 */
export const UDP_BATCH_WRITER_SOURCE = `
class UdpBatchWriter {
  constructor(capacity) { this.capacity = capacity; this.data = null; this.reset(); }
  reset() {
    // the buffer is kept from batch to batch (a batch leaves as an exact-size copy): a fresh
    // zero-filled megabyte per hand-off cost more than copying the bytes in use
    if (this.data === null || this.data.byteLength !== this.capacity) {
      this.data = new ArrayBuffer(this.capacity);
      this.u8 = new Uint8Array(this.data);
      this.view = new DataView(this.data);
    }
    this.used = 0; this.count = 0; this.ips = []; this.ipIndex = new Map();
  }
  fits(len) { return this.used + ${UDP_RECORD_HEADER} + len <= this.capacity; }
  add(msg, ip, port, timeMs) {
    if (!this.fits(msg.length)) {
      if (this.count > 0) return false;
      // a datagram bigger than the buffer: a batch of its own
      this.capacity = Math.max(this.capacity, ${UDP_RECORD_HEADER} + msg.length);
      this.reset();
    }
    let k = this.ipIndex.get(ip);
    if (k === undefined) {
      // the table's index is a u16
      if (this.ips.length === 65535) return false;
      k = this.ips.length; this.ips.push(ip); this.ipIndex.set(ip, k);
    }
    const at = this.used;
    this.view.setUint32(at, msg.length, true);
    this.view.setUint16(at + 4, port, true);
    this.view.setUint16(at + 6, k, true);
    const sec = Math.floor(timeMs / 1000);
    this.view.setUint32(at + 8, sec, true);
    this.view.setUint32(at + 12, Math.round((timeMs - sec * 1000) * 1e6), true);
    this.u8.set(msg, at + ${UDP_RECORD_HEADER});
    this.used = at + ${UDP_RECORD_HEADER} + msg.length;
    this.count++;
    return true;
  }
  /** The batch to transfer (or null when empty); the writer starts a new buffer. */
  take(capacity) {
    if (this.count === 0) return null;
    const b = { data: this.data.slice(0, this.used), used: this.used, count: this.count, ips: this.ips };
    this.capacity = capacity;
    this.reset();
    return b;
  }
}
`;
