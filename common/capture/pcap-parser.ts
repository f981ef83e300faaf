/**
 * Classic libpcap files: magics a1b2c3d4 (µs) and a1b23c4d (ns) in either byte order, plus
 * Kuznetzov's "modified" a1b2cd34 (24-byte record headers). One interface (id 0).
 *
 * Records are delivered with recordOffset at their header, so [recordOffset, recordOffset +
 * recordLength) is the exact original record (header + captured bytes).
 */
import { CaptureFormatError } from './capture-types.js';
import type { CaptureInterface, CaptureParser, CaptureSink } from './capture-types.js';
import { PacketRecord } from './packet-record.js';
import { RecordFramer } from './record-framer.js';
import type { RecordHandler } from './record-framer.js';
import { hex32 } from './text-bytes.js';

export const PCAP_GLOBAL_HEADER_LENGTH = 24;
/** Largest capture length accepted: bounds the memory one record may take. */
export const PCAP_MAX_CAPLEN = 256 * 1024 * 1024;

/** What a pcap magic number (first 4 file bytes, read big-endian) says about the file. */
export interface PcapMagicInfo {
  littleEndian: boolean;
  nanosecond: boolean;
  /** Record header length: 16, or 24 for the Kuznetzov modified format. */
  recordHeaderLength: number;
}

/** Decodes the first four bytes of a file as a pcap magic, or returns null. */
export function pcapMagicInfo(b0: number, b1: number, b2: number, b3: number): PcapMagicInfo | null {
  const be = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  const le = ((b3 << 24) | (b2 << 16) | (b1 << 8) | b0) >>> 0;
  for (const [value, littleEndian] of [[le, true], [be, false]] as const) {
    if (value === 0xa1b2c3d4) return { littleEndian, nanosecond: false, recordHeaderLength: 16 };
    if (value === 0xa1b23c4d) return { littleEndian, nanosecond: true, recordHeaderLength: 16 };
    if (value === 0xa1b2cd34) return { littleEndian, nanosecond: false, recordHeaderLength: 24 };
  }
  return null;
}

/** The LinkType field also carries FCS bits (28-31) and the F bit (26); the link type is the rest. */
const LINKTYPE_MASK = 0x03ffffff;

class PcapHandler implements RecordHandler {
  prefixBytes = PCAP_GLOBAL_HEADER_LENGTH;
  failedAt = 0;
  private headerDone = false;
  private littleEndian = true;
  private recordHeaderLength = 16;
  /** Fraction units per second: 1e6 (µs) or 1e9 (ns). */
  private fracPerSecond = 1e6;
  private nsPerFrac = 1000;
  private linkType = 0;
  /** Records delivered so far, which is also the index of the next one. */
  packets = 0;
  private readonly rec = new PacketRecord();

  constructor(private readonly sink: CaptureSink) {}

  recordLength(_buf: Uint8Array, view: DataView, pos: number, base: number): number {
    if (!this.headerDone) return PCAP_GLOBAL_HEADER_LENGTH;
    const capLen = view.getUint32(pos + 8, this.littleEndian);
    if (capLen > PCAP_MAX_CAPLEN) throw tooLong(capLen, base + pos);
    return this.recordHeaderLength + capLen;
  }

  parse(buf: Uint8Array, view: DataView, pos: number, end: number, base: number): number {
    try {
      if (!this.headerDone) {
        if (end - pos < PCAP_GLOBAL_HEADER_LENGTH) return pos;
        this.readGlobalHeader(buf, view, pos, base);
        pos += PCAP_GLOBAL_HEADER_LENGTH;
      }
      // Hot loop: locals instead of property reads, no allocation per record.
      const le = this.littleEndian;
      const hl = this.recordHeaderLength;
      const fracPerSecond = this.fracPerSecond;
      const nsPerFrac = this.nsPerFrac;
      const rec = this.rec;
      const sink = this.sink;
      while (end - pos >= hl) {
        const capLen = view.getUint32(pos + 8, le);
        if (capLen > PCAP_MAX_CAPLEN) throw tooLong(capLen, base + pos);
        const total = hl + capLen;
        if (end - pos < total) break;
        let sec = view.getUint32(pos, le);
        let frac = view.getUint32(pos + 4, le);
        if (frac >= fracPerSecond) {
          // Out-of-range fraction (seen in broken writers): carry it into the seconds so tsNsec
          // stays within a second. tshark prints such values un-normalized.
          const carry = Math.floor(frac / fracPerSecond);
          sec += carry;
          frac -= carry * fracPerSecond;
        }
        rec.index = this.packets++;
        rec.recordOffset = base + pos;
        rec.recordLength = total;
        rec.tsSec = sec;
        rec.tsNsec = frac * nsPerFrac;
        rec.capLen = capLen;
        rec.origLen = view.getUint32(pos + 12, le);
        rec.dataOffset = base + pos + hl;
        rec.setSource(buf, pos + hl);
        sink.onPacket(rec);
        pos += total;
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
    if (!this.headerDone) {
      return new CaptureFormatError(
        `not a pcap or pcapng file: only ${available} bytes, shorter than the ${PCAP_GLOBAL_HEADER_LENGTH}-byte pcap header`,
        offset,
      );
    }
    if (needed === 0) {
      return new CaptureFormatError(
        `truncated record header: needs ${this.recordHeaderLength} bytes, ${available} available`,
        offset,
      );
    }
    return new CaptureFormatError(`truncated record: needs ${needed} bytes, ${available} available`, offset);
  }

  private readGlobalHeader(buf: Uint8Array, view: DataView, pos: number, base: number): void {
    const magic = pcapMagicInfo(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]);
    if (magic === null) {
      throw new CaptureFormatError(`not a pcap file (magic ${hex32(view.getUint32(pos, false))})`, base + pos);
    }
    const le = magic.littleEndian;
    const versionMajor = view.getUint16(pos + 4, le);
    const versionMinor = view.getUint16(pos + 6, le);
    // Wireshark refuses major versions below 2 (pre-1998 formats with different headers).
    if (versionMajor < 2) {
      throw new CaptureFormatError(`unsupported pcap version ${versionMajor}.${versionMinor}`, base + pos + 4);
    }
    const snapLen = view.getUint32(pos + 16, le);
    this.linkType = view.getUint32(pos + 20, le) & LINKTYPE_MASK;
    this.littleEndian = le;
    this.recordHeaderLength = magic.recordHeaderLength;
    this.fracPerSecond = magic.nanosecond ? 1e9 : 1e6;
    this.nsPerFrac = magic.nanosecond ? 1 : 1000;
    this.headerDone = true;
    this.prefixBytes = magic.recordHeaderLength;
    this.rec.linkType = this.linkType;
    this.rec.interfaceId = 0;
    this.rec.blockType = 0;
    this.sink.onFileInfo({
      format: 'pcap',
      nanosecond: magic.nanosecond,
      littleEndian: le,
      versionMajor,
      versionMinor,
    });
    const iface: CaptureInterface = {
      id: 0,
      section: 0,
      localId: 0,
      linkType: this.linkType,
      snapLen,
      tsUnitsPerSecond: this.fracPerSecond,
      tsResolutionPow2: 0,
      tsOffsetSec: 0,
      name: null,
      description: null,
      blockOffset: base + pos,
      blockLength: PCAP_GLOBAL_HEADER_LENGTH,
    };
    this.sink.onInterface(iface);
  }
}

function tooLong(capLen: number, offset: number): CaptureFormatError {
  return new CaptureFormatError(`record length ${capLen} exceeds limit of ${PCAP_MAX_CAPLEN}`, offset);
}

/** A streaming parser for a classic pcap file (the first pushed bytes must be its global header). */
export function createPcapParser(sink: CaptureSink): CaptureParser {
  return new RecordFramer(new PcapHandler(sink));
}
