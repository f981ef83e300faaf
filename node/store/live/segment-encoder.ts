/**
 * Byte layout of live segments: a pcap file with nanosecond timestamps when every link shares
 * one link type, otherwise a pcapng section with one interface (IDB, if_tsresol 9) per link.
 * Records are written into the caller's buffer with no allocation: the packet bytes are copied
 * verbatim after the record header.
 */
import { encodePcapGlobalHeader, encodePcapngInterfaceBlock, encodePcapngSectionHeader, timestampToTicks } from '../../../common/capture/pcap-writer.js';
import type { LiveLink } from '../../../common/capture/live-packet-sink.js';
import type { SegmentFormat } from './segment-files.js';

export function pcapRecordLength(capLen: number): number {
  return 16 + capLen;
}

export function pcapngRecordLength(capLen: number): number {
  return 32 + ((capLen + 3) & ~3);
}

/** The file header of a new segment for these links (pcap: the first link's type, the largest snaplen). */
export function segmentHeader(format: SegmentFormat, links: readonly LiveLink[]): Uint8Array {
  if (format === 'pcap') {
    // at least libpcap's usual maximum, so a link announced later with a larger snaplen still fits
    const snapLen = links.reduce((m, l) => Math.max(m, l.snapLen), 262144);
    return encodePcapGlobalHeader({ linkType: links[0].linkType, snapLen, nanosecond: true });
  }
  const parts = [encodePcapngSectionHeader({ userAppl: 'Tapline live store' })];
  for (const l of links) parts.push(encodePcapngInterfaceBlock({ linkType: l.linkType, snapLen: l.snapLen, tsresol: 9, name: l.name }));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes a pcap (ns, little-endian) record at `at`; returns its length. */
export function writePcapRecord(buf: Uint8Array, view: DataView, at: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen: number): number {
  view.setUint32(at, tsSec >>> 0, true);
  view.setUint32(at + 4, tsNsec >>> 0, true);
  view.setUint32(at + 8, data.length, true);
  view.setUint32(at + 12, origLen >>> 0, true);
  buf.set(data, at + 16);
  return 16 + data.length;
}

/** Writes a pcapng Enhanced Packet Block (ns ticks, little-endian) at `at`; returns its length. */
export function writePcapngRecord(buf: Uint8Array, view: DataView, at: number, iface: number, tsSec: number, tsNsec: number, data: Uint8Array, origLen: number): number {
  const total = pcapngRecordLength(data.length);
  const { hi, lo } = timestampToTicks(tsSec, tsNsec, 1e9);
  view.setUint32(at, 6, true);
  view.setUint32(at + 4, total, true);
  view.setUint32(at + 8, iface, true);
  view.setUint32(at + 12, hi, true);
  view.setUint32(at + 16, lo, true);
  view.setUint32(at + 20, data.length, true);
  view.setUint32(at + 24, origLen >>> 0, true);
  buf.set(data, at + 28);
  buf.fill(0, at + 28 + data.length, at + total - 4);
  view.setUint32(at + total - 4, total, true);
  return total;
}
