/**
 * Random-access reading of packet records at known offsets of an indexed capture. Given the
 * offsets it will be asked for (setPlan), a read covers the run of them that fits in WINDOW and
 * records already buffered are returned without I/O or a promise (tryRead). Offsets come from the index, so every
 * record is checked before use: a capture that changed under its index fails loudly.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { TickConverter, tsresolOf } from '../../common/capture/pcapng-timestamp.js';
import type { IndexInterface, IndexMeta } from '../../common/index/index-format.js';

export interface RecordView {
  /** The whole original record: pcap header + data, or the pcapng block. */
  raw: Uint8Array;
  data: Uint8Array;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** Global interface index (IndexInterface.id). */
  interfaceId: number;
  linkType: number;
}

/** Blind read-ahead when the reader has no plan. */
const READ_AHEAD = 256 * 1024;
/** Longest planned read: one syscall for a run of nearby records, bounded memory per reader. */
const WINDOW = 1024 * 1024;
/**
 * Largest stretch of other flows' bytes read through to reach the next planned record: copying
 * ~32 KiB from the page cache costs about what a read round trip does, so a longer gap ends the
 * run (a flow interleaved with thousands of others would otherwise read the whole file).
 */
const MAX_GAP = 32 * 1024;

/**
 * Read buffers are recycled across readers: walking thousands of flows opened a reader (and
 * zero-filled a fresh 256 KiB buffer) per flow. Bounded: at most POOL_MAX buffers kept.
 */
const POOL_MAX = 16;
const pool: Uint8Array[] = [];

function takeBuffer(min: number): Uint8Array {
  for (let i = pool.length - 1; i >= 0; i--) {
    if (pool[i].length >= min) return pool.splice(i, 1)[0];
  }
  return new Uint8Array(Math.max(min, READ_AHEAD));
}

export class CaptureReader {
  // a plain Uint8Array, not a Buffer: Buffer#slice does not copy, a trap for consumers of views
  private buf: Uint8Array = EMPTY;
  private bufStart = -1;
  private bufLen = 0;
  private readonly rec: RecordView = { raw: new Uint8Array(0), data: new Uint8Array(0), tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, interfaceId: 0, linkType: 0 };
  private readonly converters: TickConverter[];
  /** Interfaces sorted by IDB offset, to find a block's section. */
  private readonly byOffset: IndexInterface[];
  /** A pcap file's one link type. */
  private readonly linkType0: number;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly meta: IndexMeta,
  ) {
    this.converters = meta.interfaces.map((i) => new TickConverter(tsresolOf(i), i.tsOffsetSec));
    this.byOffset = [...meta.interfaces].sort((a, b) => a.blockOffset - b.blockOffset);
    this.linkType0 = meta.interfaces[0]?.linkType ?? 1;
  }

  static async open(path: string, meta: IndexMeta): Promise<CaptureReader> {
    if (meta.compressed) throw new Error(`${path} is gzip-compressed; decompress it and import the result to slice it by seeking`);
    return new CaptureReader(path, await open(path, 'r'), meta);
  }

  /**
   * The read plan: the offsets the caller will read next (ascending), so a miss reads exactly the
   * run of records that fall within WINDOW in one positioned read instead of a blind WINDOW-sized
   * read-ahead (which, for a flow interleaved with many others, read 256 KiB per packet).
   */
  private plan: Float64Array | null = null;
  private planAt = 0;
  /** Bytes read past the last planned offset of a run: the largest record seen so far. */
  private tail = 2048;

  /** Tells the reader which offsets (ascending) it will be asked for, in that order. */
  setPlan(offsets: Float64Array): void {
    this.plan = offsets;
    this.planAt = 0;
  }

  private inBuffer(offset: number, need: number): Uint8Array | null {
    if (offset >= this.bufStart && offset + need <= this.bufStart + this.bufLen) return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + need);
    return null;
  }

  /** One positioned read starting at offset: at least `need` bytes, plus the planned run after it. */
  private async fill(offset: number, need: number): Promise<void> {
    let len = Math.max(need, READ_AHEAD);
    const plan = this.plan;
    if (plan) {
      let k = this.planAt;
      while (k < plan.length && plan[k] < offset) k++;
      this.planAt = k;
      if (k < plan.length && plan[k] === offset) {
        let j = k;
        while (j + 1 < plan.length && plan[j + 1] + this.tail - offset <= WINDOW && plan[j + 1] - plan[j] <= MAX_GAP + this.tail) j++;
        len = Math.max(need, plan[j] - offset + this.tail);
      }
    }
    if (len > this.buf.length) {
      if (this.buf !== EMPTY && pool.length < POOL_MAX) pool.push(this.buf);
      this.buf = takeBuffer(len);
    }
    const { bytesRead } = await this.fh.read(this.buf, 0, len, offset);
    this.bufStart = offset;
    this.bufLen = bytesRead;
    if (bytesRead < need) throw new Error(`${this.path}: record at byte ${offset} runs past the end of the file (the capture changed after it was indexed?)`);
  }

  /** Reads the record at offset. The returned view is reused by the next call. */
  async read(offset: number): Promise<RecordView> {
    for (;;) {
      const r = this.tryRead(offset);
      if (typeof r !== 'number') return r;
      await this.fill(offset, r);
    }
  }

  /**
   * The record at offset when its bytes are already buffered (no I/O, no promise), else how many
   * bytes from offset must be read first. The returned view is reused by the next call.
   */
  tryRead(offset: number): RecordView | number {
    return this.meta.format === 'pcap' ? this.tryPcap(offset) : this.tryPcapng(offset);
  }

  private tryPcap(offset: number): RecordView | number {
    // plain byte arithmetic, no DataView or header view: this runs once per packet read back
    const at = offset - this.bufStart;
    if (offset < this.bufStart || at + 16 > this.bufLen) return 16;
    const b = this.buf;
    const le = this.meta.littleEndian;
    const capLen = u32(b, at + 8, le);
    if (capLen > 256 * 1024 * 1024) throw new Error(`${this.path}: no packet record at byte ${offset} (the capture changed after it was indexed?)`);
    if (at + 16 + capLen > this.bufLen) return this.grow(16 + capLen);
    const r = this.rec;
    r.raw = b.subarray(at, at + 16 + capLen);
    r.data = b.subarray(at + 16, at + 16 + capLen);
    r.tsSec = u32(b, at, le);
    const frac = u32(b, at + 4, le);
    r.tsNsec = this.meta.nanosecond ? frac : frac * 1000;
    r.capLen = capLen;
    r.origLen = u32(b, at + 12, le);
    r.interfaceId = 0;
    r.linkType = this.linkType0;
    return r;
  }

  /** A record longer than the planned tail: later runs read that much past their last offset. */
  private grow(need: number): number {
    if (need > this.tail) this.tail = Math.min(need, READ_AHEAD);
    return need;
  }

  private sectionInterface(offset: number, localId: number): IndexInterface | undefined {
    let section = -1;
    for (const i of this.byOffset) {
      if (i.blockOffset < offset) section = i.section;
      else break;
    }
    return this.meta.interfaces.find((i) => i.section === section && i.localId === localId);
  }

  private tryPcapng(offset: number): RecordView | number {
    const h = this.inBuffer(offset, 12);
    if (!h) return 12;
    // block types 2, 3 and 6 are small numbers: their byte order tells the section's
    const le = h[0] !== 0;
    let v = new DataView(h.buffer, h.byteOffset, 12);
    const type = v.getUint32(0, le);
    const total = v.getUint32(4, le);
    if ((type !== 6 && type !== 3 && type !== 2) || total < 16 || total > 64 * 1024 * 1024)
      throw new Error(`${this.path}: no packet block at byte ${offset} (the capture changed after it was indexed?)`);
    const raw = this.inBuffer(offset, total);
    if (!raw) return this.grow(total);
    v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const r = this.rec;
    r.raw = raw;
    let iface: IndexInterface | undefined;
    if (type === 3) {
      iface = this.sectionInterface(offset, 0);
      const origLen = v.getUint32(8, le);
      const room = total - 16;
      const snap = iface?.snapLen || origLen;
      r.origLen = origLen;
      r.capLen = Math.min(origLen, snap, room);
      r.data = raw.subarray(12, 12 + r.capLen);
      r.tsSec = 0;
      r.tsNsec = 0;
    } else {
      const localId = type === 6 ? v.getUint32(8, le) : v.getUint16(8, le);
      iface = this.sectionInterface(offset, localId);
      r.capLen = v.getUint32(20, le);
      r.origLen = v.getUint32(24, le);
      if (28 + r.capLen > total) throw new Error(`${this.path}: packet block at byte ${offset} is inconsistent`);
      r.data = raw.subarray(28, 28 + r.capLen);
      if (iface) this.converters[iface.id].convert(v.getUint32(12, le), v.getUint32(16, le), r);
    }
    if (!iface) throw new Error(`${this.path}: packet block at byte ${offset} names an unknown interface`);
    r.interfaceId = iface.id;
    r.linkType = iface.linkType;
    return r;
  }

  async close(): Promise<void> {
    // views handed out earlier die with the reader: its buffer goes back to the pool
    if (this.buf !== EMPTY && pool.length < POOL_MAX) pool.push(this.buf);
    this.buf = EMPTY;
    this.bufStart = -1;
    this.bufLen = 0;
    await this.fh.close();
  }
}

const EMPTY = new Uint8Array(0);

function u32(b: Uint8Array, at: number, le: boolean): number {
  return le ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0 : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
