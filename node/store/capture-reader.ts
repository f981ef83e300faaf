/**
 * Random-access reading of packet records at known offsets of an indexed capture, with a
 * read-ahead window so neighbouring records cost one read. Offsets come from the index, so every
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

const WINDOW = 256 * 1024;

export class CaptureReader {
  // a plain Uint8Array, not a Buffer: Buffer#slice does not copy, a trap for consumers of views
  private buf = new Uint8Array(WINDOW);
  private bufStart = -1;
  private bufLen = 0;
  private readonly rec: RecordView = { raw: new Uint8Array(0), data: new Uint8Array(0), tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, interfaceId: 0, linkType: 0 };
  private readonly converters: TickConverter[];
  /** Interfaces sorted by IDB offset, to find a block's section. */
  private readonly byOffset: IndexInterface[];

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly meta: IndexMeta,
  ) {
    this.converters = meta.interfaces.map((i) => new TickConverter(tsresolOf(i), i.tsOffsetSec));
    this.byOffset = [...meta.interfaces].sort((a, b) => a.blockOffset - b.blockOffset);
  }

  static async open(path: string, meta: IndexMeta): Promise<CaptureReader> {
    if (meta.compressed) throw new Error(`${path} is gzip-compressed; decompress it and import the result to slice it by seeking`);
    return new CaptureReader(path, await open(path, 'r'), meta);
  }

  private async window(offset: number, need: number): Promise<Uint8Array> {
    if (offset >= this.bufStart && offset + need <= this.bufStart + this.bufLen) {
      return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + need);
    }
    if (need > this.buf.length) this.buf = new Uint8Array(need);
    const { bytesRead } = await this.fh.read(this.buf, 0, Math.max(need, Math.min(WINDOW, this.buf.length)), offset);
    this.bufStart = offset;
    this.bufLen = bytesRead;
    if (bytesRead < need) throw new Error(`${this.path}: record at byte ${offset} runs past the end of the file (the capture changed after it was indexed?)`);
    return this.buf.subarray(0, need);
  }

  /** Reads the record at offset. The returned view is reused by the next call. */
  async read(offset: number): Promise<RecordView> {
    return this.meta.format === 'pcap' ? this.readPcap(offset) : this.readPcapng(offset);
  }

  private async readPcap(offset: number): Promise<RecordView> {
    const le = this.meta.littleEndian;
    let h = await this.window(offset, 16);
    let v = new DataView(h.buffer, h.byteOffset, 16);
    const capLen = v.getUint32(8, le);
    const origLen = v.getUint32(12, le);
    if (capLen > 256 * 1024 * 1024) throw new Error(`${this.path}: no packet record at byte ${offset} (the capture changed after it was indexed?)`);
    const raw = await this.window(offset, 16 + capLen);
    v = new DataView(raw.buffer, raw.byteOffset, 16);
    h = raw;
    const r = this.rec;
    r.raw = raw;
    r.data = raw.subarray(16);
    r.tsSec = v.getUint32(0, le);
    const frac = v.getUint32(4, le);
    r.tsNsec = this.meta.nanosecond ? frac : frac * 1000;
    r.capLen = capLen;
    r.origLen = origLen;
    r.interfaceId = 0;
    r.linkType = this.meta.interfaces[0]?.linkType ?? 1;
    return r;
  }

  private sectionInterface(offset: number, localId: number): IndexInterface | undefined {
    let section = -1;
    for (const i of this.byOffset) {
      if (i.blockOffset < offset) section = i.section;
      else break;
    }
    return this.meta.interfaces.find((i) => i.section === section && i.localId === localId);
  }

  private async readPcapng(offset: number): Promise<RecordView> {
    const h = await this.window(offset, 12);
    // block types 2, 3 and 6 are small numbers: their byte order tells the section's
    const le = h[0] !== 0;
    let v = new DataView(h.buffer, h.byteOffset, 12);
    const type = v.getUint32(0, le);
    const total = v.getUint32(4, le);
    if ((type !== 6 && type !== 3 && type !== 2) || total < 16 || total > 64 * 1024 * 1024)
      throw new Error(`${this.path}: no packet block at byte ${offset} (the capture changed after it was indexed?)`);
    const raw = await this.window(offset, total);
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
    await this.fh.close();
  }
}
