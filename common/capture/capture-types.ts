/**
 * Contract between the capture-file parsers (pcap, pcapng) and their consumers (the import
 * pipeline, the capture worker, tests). Environment-free: no Node, no DOM.
 *
 * The parsers are push-based state machines: the caller feeds chunks of any size, the parser
 * calls the sink synchronously for every complete record. Memory stays bounded by the largest
 * single record plus one chunk.
 */

export type CaptureFormat = 'pcap' | 'pcapng';

/** One capture interface. pcap files have exactly one (id 0); pcapng has one per IDB. */
export interface CaptureInterface {
  /** Global index within the file, in IDB order across all sections (0-based). */
  id: number;
  /** Index of the section (SHB) the IDB belongs to; always 0 for pcap. */
  section: number;
  /** Interface id local to its section (what EPBs reference). */
  localId: number;
  linkType: number;
  snapLen: number;
  /**
   * Timestamp resolution as units per second when decimal (1e6 for µs, 1e9 for ns, 1e3…), or
   * 0 when the resolution is binary (see tsResolutionPow2).
   */
  tsUnitsPerSecond: number;
  /** For if_tsresol with the MSB set: resolution is 2^-tsResolutionPow2 seconds; else 0. */
  tsResolutionPow2: number;
  /** if_tsoffset in seconds (0 when absent). */
  tsOffsetSec: number;
  name: string | null;
  description: string | null;
  /** File offset and length of the IDB block (pcapng) or of the 24-byte global header (pcap). */
  blockOffset: number;
  blockLength: number;
}

/** Fields of the file as a whole. */
export interface CaptureFileInfo {
  format: CaptureFormat;
  /** pcap only: true when the file stores nanosecond timestamps (magic a1b23c4d). */
  nanosecond: boolean;
  /** Byte order of the file (pcap) or of the first section (pcapng). */
  littleEndian: boolean;
  /** pcap only: version numbers from the header. */
  versionMajor: number;
  versionMinor: number;
}

/**
 * A packet as the parser hands it over. The object and its `data` view are reused for the
 * next record: consumers copy what they keep. Per-packet consumers should read the bytes through
 * buffer/bufferOffset (e.g. decodePacketAt(rec.linkType, rec.buffer, rec.bufferOffset,
 * rec.bufferOffset + rec.capLen, out)): that costs no allocation, while `data` is a view the
 * parsers create on first access.
 */
export interface PacketRecordView {
  /** 0-based packet number in the file (what tshark calls frame.number - 1). */
  index: number;
  /** File offset of the record: the 16-byte pcap record header, or the pcapng block start. */
  recordOffset: number;
  /** Length in bytes of the whole record (pcap: 16 + capLen; pcapng: the block total length). */
  recordLength: number;
  /** Global interface index (CaptureInterface.id). */
  interfaceId: number;
  linkType: number;
  /** Whole seconds since the epoch (may exceed 2^32 in pcapng). if_tsoffset already applied. */
  tsSec: number;
  /** Nanoseconds within the second, 0..999,999,999 (finer resolutions are truncated). */
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** File offset of the first captured byte. */
  dataOffset: number;
  /** The captured bytes (a view valid only during the onPacket call). */
  data: Uint8Array;
  /**
   * Allocation-free access to the same bytes: data equals
   * buffer.subarray(bufferOffset, bufferOffset + capLen). Same lifetime as `data`; `buffer` is
   * typically the whole chunk being parsed, so never read outside that range. Always set by the
   * parsers; a hand-built record whose bytes are `data` itself uses buffer = data, bufferOffset 0.
   */
  buffer: Uint8Array;
  bufferOffset: number;
  /** pcapng block type: 6 EPB, 3 SPB, 2 obsolete PB; 0 for pcap records. */
  blockType: number;
}

export interface CaptureSink {
  onFileInfo(info: CaptureFileInfo): void;
  onInterface(iface: CaptureInterface): void;
  onPacket(rec: PacketRecordView): void;
}

/** A capture that cannot be read further. Everything before `offset` was delivered. */
export class CaptureFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte offset ${offset}`);
    this.name = 'CaptureFormatError';
    this.offset = offset;
  }
}

export interface CaptureParser {
  /** Feed the next bytes of the file. Throws CaptureFormatError on corrupt input. */
  push(chunk: Uint8Array): void;
  /** Signal end of file. Throws CaptureFormatError when the file ends inside a record. */
  end(): void;
  /** Bytes of the file consumed so far (offset just after the last complete record). */
  readonly consumed: number;
  /**
   * Packet records handed to the sink's onPacket so far (equals the next record's index). Lets
   * a caller count packets without wrapping the sink, which would cost a call per packet.
   */
  readonly packets: number;
}
