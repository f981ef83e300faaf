/**
 * pcapng: any number of sections (SHB, either byte order each), interfaces (IDB) with name,
 * description, if_tsresol and if_tsoffset, and packets from EPB, SPB and the obsolete PB. Every
 * other block (NRB, ISB, DSB, custom, unknown) is length-checked and skipped.
 */
import { CaptureFormatError } from './capture-types.js';
import type { CaptureInterface, CaptureParser, CaptureSink } from './capture-types.js';
import { PacketRecord } from './packet-record.js';
import { TickConverter } from './pcapng-timestamp.js';
import { RecordFramer } from './record-framer.js';
import type { RecordHandler } from './record-framer.js';
import { decodeUtf8, hex32 } from './text-bytes.js';

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
/** Largest block accepted: bounds the memory one block may take. */
export const PCAPNG_MAX_BLOCK = 64 * 1024 * 1024;

const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Smallest possible block: type, length, trailing length. Also the bytes needed to size an SHB. */
const MIN_BLOCK = 12;
const TWO32 = 4294967296;

const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Per-interface state needed per packet. */
interface InterfaceState {
  info: CaptureInterface;
  ticks: TickConverter;
}

class PcapngHandler implements RecordHandler {
  readonly prefixBytes = MIN_BLOCK;
  failedAt = 0;
  private littleEndian = true;
  private section = -1;
  /** Interfaces of the current section, indexed by local id. */
  private sectionIfaces: InterfaceState[] = [];
  private interfaceCount = 0;
  /** Records delivered so far, which is also the index of the next one. */
  packets = 0;
  private readonly rec = new PacketRecord();

  constructor(private readonly sink: CaptureSink) {}

  recordLength(_buf: Uint8Array, view: DataView, pos: number, base: number): number {
    let le = this.littleEndian;
    if (view.getUint32(pos, true) === PCAPNG_SHB_TYPE) {
      // An SHB states its own byte order; its length field is in that order.
      const bom = view.getUint32(pos + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new CaptureFormatError(`section header has bad byte-order magic ${hex32(bom)}`, base + pos + 8);
    } else if (this.section < 0) {
      throw new CaptureFormatError(`not a pcapng file (first block type ${hex32(view.getUint32(pos, false))})`, base + pos);
    }
    const len = view.getUint32(pos + 4, le);
    if (len < MIN_BLOCK) throw new CaptureFormatError(`block total length ${len} is less than ${MIN_BLOCK}`, base + pos);
    if (len % 4 !== 0) throw new CaptureFormatError(`block total length ${len} is not a multiple of 4`, base + pos);
    if (len > PCAPNG_MAX_BLOCK) {
      throw new CaptureFormatError(`block total length ${len} exceeds limit of ${PCAPNG_MAX_BLOCK}`, base + pos);
    }
    return len;
  }

  parse(buf: Uint8Array, view: DataView, pos: number, end: number, base: number): number {
    try {
      while (end - pos >= MIN_BLOCK) {
        // Common case inline: a block in the current byte order with a sane length.
        let len = view.getUint32(pos + 4, this.littleEndian);
        if (
          view.getUint32(pos, true) === PCAPNG_SHB_TYPE ||
          len < MIN_BLOCK ||
          (len & 3) !== 0 ||
          len > PCAPNG_MAX_BLOCK ||
          this.section < 0
        ) {
          len = this.recordLength(buf, view, pos, base);
        }
        if (end - pos < len) break;
        this.block(buf, view, pos, len, base + pos);
        pos += len;
      }
      return pos;
    } catch (e) {
      this.failedAt = base + pos;
      throw e;
    }
  }

  release(): void {
    this.rec.release();
  }

  truncated(offset: number, available: number, needed: number): CaptureFormatError {
    if (this.section < 0) {
      return new CaptureFormatError(
        `not a pcap or pcapng file: only ${available} bytes, shorter than the pcapng section header` +
          (needed > 0 ? ` (${needed} bytes)` : ''),
        offset,
      );
    }
    if (needed === 0) {
      return new CaptureFormatError(`truncated record: needs at least ${MIN_BLOCK} bytes, ${available} available`, offset);
    }
    return new CaptureFormatError(`truncated record: needs ${needed} bytes, ${available} available`, offset);
  }

  /** One complete block of `len` bytes at buf[pos] (file offset `off`). */
  private block(buf: Uint8Array, view: DataView, pos: number, len: number, off: number): void {
    // The SHB type reads the same in both byte orders.
    const type = view.getUint32(pos, this.littleEndian);
    if (type === PCAPNG_SHB_TYPE) {
      // Byte order first: the trailing length is in the new section's order.
      this.littleEndian = view.getUint32(pos + 8, true) === BYTE_ORDER_MAGIC;
    }
    const le = this.littleEndian;
    const trailer = view.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      throw new CaptureFormatError(`block trailing length ${trailer} differs from block total length ${len}`, off);
    }
    switch (type) {
      case BT_EPB:
        this.enhancedPacket(buf, view, pos, len, off);
        break;
      case BT_SPB:
        this.simplePacket(buf, view, pos, len, off);
        break;
      case BT_PB:
        this.obsoletePacket(buf, view, pos, len, off);
        break;
      case BT_IDB:
        this.interfaceDescription(buf, view, pos, len, off);
        break;
      case PCAPNG_SHB_TYPE:
        this.sectionHeader(view, pos, len, off);
        break;
      default:
      // NRB, ISB, DSB, custom, local or unknown: nothing we need, and the length was checked.
    }
  }

  private sectionHeader(view: DataView, pos: number, len: number, off: number): void {
    if (len < 28) throw new CaptureFormatError(`section header block length ${len} is less than 28`, off);
    const le = this.littleEndian;
    const versionMajor = view.getUint16(pos + 12, le);
    const versionMinor = view.getUint16(pos + 14, le);
    if (versionMajor !== 1) {
      throw new CaptureFormatError(`unsupported pcapng version ${versionMajor}.${versionMinor}`, off + 12);
    }
    this.section++;
    this.sectionIfaces = [];
    if (this.section === 0) {
      this.sink.onFileInfo({ format: 'pcapng', nanosecond: false, littleEndian: le, versionMajor, versionMinor });
    }
  }

  private interfaceDescription(buf: Uint8Array, view: DataView, pos: number, len: number, off: number): void {
    if (len < 20) throw new CaptureFormatError(`interface description block length ${len} is less than 20`, off);
    const le = this.littleEndian;
    let name: string | null = null;
    let description: string | null = null;
    let tsresol = 6;
    let tsOffsetSec = 0;
    const optEnd = pos + len - 4;
    let o = pos + 16;
    while (optEnd - o >= 4) {
      const code = view.getUint16(o, le);
      const olen = view.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const v = o + 4;
      if (olen > optEnd - v) {
        throw new CaptureFormatError(`interface option ${code} length ${olen} overruns its block`, off + (o - pos));
      }
      if (code === OPT_IF_NAME) name = decodeUtf8(buf, v, v + olen);
      else if (code === OPT_IF_DESCRIPTION) description = decodeUtf8(buf, v, v + olen);
      else if (code === OPT_IF_TSRESOL && olen >= 1) tsresol = buf[v];
      else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds.
        const hi = view.getInt32(le ? v + 4 : v, le);
        const lo = view.getUint32(le ? v : v + 4, le);
        tsOffsetSec = hi * TWO32 + lo;
      }
      o = v + ((olen + 3) & ~3);
    }
    const binary = (tsresol & 0x80) !== 0;
    const info: CaptureInterface = {
      id: this.interfaceCount++,
      section: this.section,
      localId: this.sectionIfaces.length,
      linkType: view.getUint16(pos + 8, le),
      snapLen: view.getUint32(pos + 12, le),
      tsUnitsPerSecond: binary ? 0 : 10 ** tsresol,
      tsResolutionPow2: binary ? tsresol & 0x7f : 0,
      tsOffsetSec,
      name,
      description,
      blockOffset: off,
      blockLength: len,
    };
    this.sectionIfaces.push({ info, ticks: new TickConverter(tsresol, tsOffsetSec) });
    this.sink.onInterface(info);
  }

  private enhancedPacket(buf: Uint8Array, view: DataView, pos: number, len: number, off: number): void {
    if (len < 32) throw new CaptureFormatError(`enhanced packet block length ${len} is less than 32`, off);
    const le = this.littleEndian;
    const capLen = view.getUint32(pos + 20, le);
    if (capLen > len - 32) {
      throw new CaptureFormatError(`enhanced packet captured length ${capLen} exceeds block room ${len - 32}`, off);
    }
    const iface = this.interfaceAt(view.getUint32(pos + 8, le), off);
    this.deliver(buf, view, pos, len, off, iface, BT_EPB, 28, capLen, view.getUint32(pos + 24, le), pos + 12);
  }

  private obsoletePacket(buf: Uint8Array, view: DataView, pos: number, len: number, off: number): void {
    if (len < 32) throw new CaptureFormatError(`packet block length ${len} is less than 32`, off);
    const le = this.littleEndian;
    const capLen = view.getUint32(pos + 20, le);
    if (capLen > len - 32) {
      throw new CaptureFormatError(`packet block captured length ${capLen} exceeds block room ${len - 32}`, off);
    }
    const iface = this.interfaceAt(view.getUint16(pos + 8, le), off);
    this.deliver(buf, view, pos, len, off, iface, BT_PB, 28, capLen, view.getUint32(pos + 24, le), pos + 12);
  }

  private simplePacket(buf: Uint8Array, view: DataView, pos: number, len: number, off: number): void {
    if (len < 16) throw new CaptureFormatError(`simple packet block length ${len} is less than 16`, off);
    const iface = this.interfaceAt(0, off);
    const origLen = view.getUint32(pos + 8, this.littleEndian);
    // No captured-length field: the packet is cut to the snap length and to the block's room.
    let capLen = Math.min(origLen, len - 16);
    const snap = iface.info.snapLen;
    if (snap !== 0 && snap < capLen) capLen = snap;
    this.deliver(buf, view, pos, len, off, iface, BT_SPB, 12, capLen, origLen, -1);
  }

  /** Fills the shared record and hands it to the sink. `tsAt` < 0: no timestamp (SPB). */
  private deliver(
    buf: Uint8Array,
    view: DataView,
    pos: number,
    len: number,
    off: number,
    iface: InterfaceState,
    blockType: number,
    dataAt: number,
    capLen: number,
    origLen: number,
    tsAt: number,
  ): void {
    const rec = this.rec;
    const info = iface.info;
    if (tsAt >= 0) {
      const le = this.littleEndian;
      iface.ticks.convert(view.getUint32(tsAt, le), view.getUint32(tsAt + 4, le), rec);
    } else {
      rec.tsSec = 0;
      rec.tsNsec = 0;
    }
    rec.index = this.packets++;
    rec.recordOffset = off;
    rec.recordLength = len;
    rec.interfaceId = info.id;
    rec.linkType = info.linkType;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.dataOffset = off + dataAt;
    rec.blockType = blockType;
    rec.setSource(buf, pos + dataAt);
    this.sink.onPacket(rec);
  }

  private interfaceAt(localId: number, off: number): InterfaceState {
    const iface = this.sectionIfaces[localId];
    if (iface === undefined) {
      throw new CaptureFormatError(
        `packet references interface ${localId} but section ${this.section} has ${this.sectionIfaces.length}`,
        off,
      );
    }
    return iface;
  }
}

/** A streaming parser for a pcapng file (the first pushed bytes must be its section header). */
export function createPcapngParser(sink: CaptureSink): CaptureParser {
  return new RecordFramer(new PcapngHandler(sink));
}
