/**
 * The sidecar index format, version 1 (documented in docs/INDEX-FORMAT.md). All integers are
 * little-endian. A file is:
 *
 *   header   16 bytes   "TAPLIDX\0", u32 version, u32 flags (0)
 *   sections (each 8-byte aligned; see SectionType)
 *   table    24 bytes per section: u32 type, u32 reserved, f64 offset, f64 length
 *   footer   32 bytes   f64 tableOffset, u32 sectionCount, u32 crc32 of every byte before the
 *                       footer, "TAPLEND\0", u32 version, u32 reserved
 *
 * An index whose footer is missing, whose CRC does not match, or whose version is unknown is
 * torn or foreign: the store rebuilds it from its capture.
 */

export const INDEX_VERSION = 1;
export const HEADER_MAGIC = 'TAPLIDX\0';
export const FOOTER_MAGIC = 'TAPLEND\0';
export const HEADER_SIZE = 16;
export const FOOTER_SIZE = 32;
export const TABLE_ENTRY_SIZE = 24;

export const SectionType = {
  /** UTF-8 JSON: IndexMeta. */
  Meta: 1,
  /** flowCount fixed-size FLOW_RECORD_SIZE records, in flow id order (order of first packet). */
  Flows: 2,
  /** Per flow, its packets' record offsets as LEB128 deltas (the first is absolute). */
  Offsets: 3,
  /** Postings: 16-byte address (IPv4 as ::ffff:a.b.c.d) → flow ids. */
  IpPostings: 4,
  /** Postings: 2-byte big-endian port (either side) → flow ids. */
  PortPostings: 5,
  /** Postings: 2-byte big-endian protocol (IP protocol number; 256 + kind for non-IP) → flow ids. */
  ProtoPostings: 6,
  /** u32 flow ids sorted by first packet time. */
  TimeOrder: 7,
  /**
   * Index parts only, present when any flow continues one of an earlier part: per such flow, in
   * flow id order, u32 flow id, u32 earlier part number, u32 flow id within that part.
   */
  Continuations: 8,
} as const;
export type SectionType = (typeof SectionType)[keyof typeof SectionType];

/**
 * Flow record layout (112 bytes):
 *   0 u8 kind            1 u8 ipVersion      2 u8 proto         3 u8 flags (FlowFlag)
 *   4 u16 tcpFlags       6 u8 icmpType       7 u8 icmpCode      8 u16 vlan+1 (0 = untagged)
 *  10 u16 vlanInner+1   12 u32 l2Type (EtherType or link type for non-IP kinds)
 *  16 client address (16 bytes; IPv4 in the first 4)           32 server address (16 bytes)
 *  48 u16 clientPort    50 u16 serverPort   52 u32 firstNsec   56 f64 firstSec
 *  64 u32 lastSec - firstSec                68 u32 lastNsec
 *  72 u32 clientPackets 76 u32 serverPackets 80 f64 clientBytes 88 f64 serverBytes
 *  96 f64 offsetsStart (within the Offsets section)            104 u32 offsetsLength
 * 108 u32 FNV-1a of the Community ID string (a pre-filter; the ID itself is recomputed)
 */
export const FLOW_RECORD_SIZE = 112;

export const FlowFlag = {
  HasPorts: 1,
  HasIcmp: 2,
  Fragmented: 4,
} as const;

export interface IndexInterface {
  id: number;
  section: number;
  localId: number;
  linkType: number;
  snapLen: number;
  tsUnitsPerSecond: number;
  tsResolutionPow2: number;
  tsOffsetSec: number;
  name: string | null;
  /** File offset of the IDB (pcapng; 0 for pcap): a record belongs to the section of the nearest IDB before it. */
  blockOffset: number;
}

export interface IndexMeta {
  indexVersion: number;
  /** Tapline version that wrote the index. */
  writer: string;
  createdAt: string;
  source: {
    path: string;
    size: number;
    mtimeMs: number;
    /** sha256 over the size and sampled blocks of the file; see docs/INDEX-FORMAT.md. */
    fingerprint: string;
  };
  format: 'pcap' | 'pcapng';
  /** 'gzip' when the capture is gzip-compressed: offsets then refer to the decompressed stream. */
  compressed: 'gzip' | null;
  /** pcap: the 24-byte global header as hex (slices of a single pcap source reuse it verbatim). */
  pcapHeaderHex: string | null;
  nanosecond: boolean;
  littleEndian: boolean;
  interfaces: IndexInterface[];
  packets: number;
  /** Sum of original frame lengths. */
  bytes: number;
  /** Bytes of the file that were indexed (all of it unless the file is damaged). */
  indexedBytes: number;
  firstTs: string | null;
  lastTs: string | null;
  flowCount: number;
  /** Longest flow duration in seconds, to bound time-window searches over first-packet times. */
  maxDurationSec: number;
  /** The first unreadable point of a damaged capture; null for a clean file. */
  damage: { message: string; offset: number } | null;
  /**
   * Set when the capture was indexed in parts (an import bounded in memory): this index's part
   * number (0 first). Absent for a capture indexed whole.
   */
  part?: { number: number };
  counts: { nonIpPackets: number; undecodedPackets: number; malformedPackets: number; fragmentedFlows: number };
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

export function matchesAscii(b: Uint8Array, at: number, s: string): boolean {
  if (at < 0 || at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== (s.charCodeAt(i) & 0xff)) return false;
  return true;
}
