/**
 * Minimal, independent pcap reading for benchmark verification (slice outputs, tcpdump
 * references). Deliberately does not use the product's parsers: the benchmark checks them.
 */
import { readFileSync } from 'node:fs';
import { formatIp, parseIp, protoNumber } from './net.js';

export interface PcapFile {
  littleEndian: boolean;
  nanosecond: boolean;
  linkType: number;
  /** The whole file; records index into it. */
  bytes: Buffer;
  records: PcapRecord[];
}

export interface PcapRecord {
  /** Offset of the 16-byte record header. */
  offset: number;
  capLen: number;
  tsSec: number;
  tsFrac: number;
}

export class NotPcapError extends Error {}

export function readPcap(path: string): PcapFile {
  const bytes = readFileSync(path);
  if (bytes.length < 24) throw new NotPcapError(`${path}: ${bytes.length} bytes, shorter than a pcap header`);
  const magicLE = bytes.readUInt32LE(0);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    littleEndian = true;
    nanosecond = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = bytes.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      const kind = magicBE === 0x0a0d0d0a ? 'pcapng' : `magic 0x${magicBE.toString(16)}`;
      throw new NotPcapError(`${path}: not a pcap file (${kind})`);
    }
    littleEndian = false;
    nanosecond = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (littleEndian ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= bytes.length) {
    const capLen = u32(off + 8);
    if (off + 16 + capLen > bytes.length) throw new NotPcapError(`${path}: truncated record at offset ${off}`);
    records.push({ offset: off, capLen, tsSec: u32(off), tsFrac: u32(off + 4) });
    off += 16 + capLen;
  }
  if (off !== bytes.length) throw new NotPcapError(`${path}: ${bytes.length - off} trailing bytes`);
  return { littleEndian, nanosecond, linkType: u32(20), bytes, records };
}

export interface FiveTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
}

/** Decodes Ethernet (+802.1Q/QinQ) / IPv4 / IPv6 (no extension headers) / TCP / UDP. */
export function decodeFiveTuple(file: PcapFile, rec: PcapRecord): FiveTuple | null {
  if (file.linkType !== 1) return null;
  const b = file.bytes;
  const start = rec.offset + 16;
  const end = start + rec.capLen;
  let p = start + 12;
  if (p + 2 > end) return null;
  let etherType = b.readUInt16BE(p);
  while ((etherType === 0x8100 || etherType === 0x88a8) && p + 6 <= end) {
    p += 4;
    etherType = b.readUInt16BE(p);
  }
  p += 2;
  let proto: number;
  let src: string;
  let dst: string;
  if (etherType === 0x0800 && p + 20 <= end) {
    const ihl = (b[p] & 0x0f) * 4;
    proto = b[p + 9];
    src = formatIp(b, p + 12, 4);
    dst = formatIp(b, p + 16, 4);
    const fragOff = b.readUInt16BE(p + 6) & 0x1fff;
    if (fragOff !== 0) return { src, dst, sport: 0, dport: 0, proto };
    p += ihl;
  } else if (etherType === 0x86dd && p + 40 <= end) {
    proto = b[p + 6];
    src = formatIp(b, p + 8, 16);
    dst = formatIp(b, p + 24, 16);
    p += 40;
  } else {
    return null;
  }
  let sport = 0;
  let dport = 0;
  if ((proto === 6 || proto === 17) && p + 4 <= end) {
    sport = b.readUInt16BE(p);
    dport = b.readUInt16BE(p + 2);
  }
  return { src, dst, sport, dport, proto };
}

/** A bidirectional flow key as the slicing benchmark queries it. */
export interface FlowKey {
  sip: string;
  spt: number;
  dip: string;
  dpt: number;
  proto: string | number;
}

function canonIp(text: string): string {
  return formatIp(parseIp(text));
}

/** Returns a predicate matching packets of the flow in either direction (exact 5-tuple). */
export function flowMatcher(key: FlowKey): (t: FiveTuple | null) => boolean {
  const a = canonIp(key.sip);
  const b = canonIp(key.dip);
  const proto = protoNumber(key.proto);
  return (t) =>
    t !== null &&
    t.proto === proto &&
    ((t.src === a && t.sport === key.spt && t.dst === b && t.dport === key.dpt) ||
      (t.src === b && t.sport === key.dpt && t.dst === a && t.dport === key.spt));
}

/**
 * BPF for the exact 5-tuple in both directions, untagged or behind one 802.1Q tag. `vlan`
 * shifts the offsets of everything after it, so the tagged alternative must come last.
 */
export function bpfForFlow(key: FlowKey): string {
  const proto = protoNumber(key.proto);
  const p = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : `proto ${proto}`;
  const fwd = `src host ${key.sip} and src port ${key.spt} and dst host ${key.dip} and dst port ${key.dpt}`;
  const rev = `src host ${key.dip} and src port ${key.dpt} and dst host ${key.sip} and dst port ${key.spt}`;
  const e = `${p} and ((${fwd}) or (${rev}))`;
  return `(${e}) or (vlan and (${e}))`;
}

/** Bytes of the given records (16-byte header + data each), concatenated. */
export function recordBytes(file: PcapFile, recs: readonly PcapRecord[]): Buffer {
  return Buffer.concat(recs.map((r) => file.bytes.subarray(r.offset, r.offset + 16 + r.capLen)));
}

export interface SliceComparison {
  identical: boolean;
  oursRecords: number;
  refRecords: number;
  /** Records of the reference that did not belong to the flow (BPF over-match); dropped. */
  refForeign: number;
  /** Records of our slice that do not belong to the flow. */
  oursForeign: number;
  detail: string;
}

/**
 * Compares our slice with a tcpdump reference: every record of ours must equal, byte for byte
 * (record header included), the reference records that belong to the flow, in order.
 */
export function compareSlice(ours: PcapFile, ref: PcapFile, key: FlowKey): SliceComparison {
  const match = flowMatcher(key);
  const refRecs = ref.records.filter((r) => match(decodeFiveTuple(ref, r)));
  const oursForeign = ours.records.filter((r) => !match(decodeFiveTuple(ours, r))).length;
  const a = recordBytes(ours, ours.records);
  const b = recordBytes(ref, refRecs);
  const base = {
    oursRecords: ours.records.length,
    refRecords: refRecs.length,
    refForeign: ref.records.length - refRecs.length,
    oursForeign,
  };
  if (a.equals(b)) return { identical: true, ...base, detail: 'identical' };
  let detail: string;
  if (ours.nanosecond !== ref.nanosecond) detail = `timestamp resolution differs (ours ${ours.nanosecond ? 'ns' : 'µs'})`;
  else if (ours.littleEndian !== ref.littleEndian) detail = 'byte order differs';
  else if (ours.records.length !== refRecs.length) detail = `${ours.records.length} records vs ${refRecs.length} in tcpdump's`;
  else {
    const i = ours.records.findIndex((r, k) => {
      const q = refRecs[k];
      return !ours.bytes.subarray(r.offset, r.offset + 16 + r.capLen).equals(ref.bytes.subarray(q.offset, q.offset + 16 + q.capLen));
    });
    const r = ours.records[i];
    const q = refRecs[i];
    const sameData = ours.bytes.subarray(r.offset + 16, r.offset + 16 + r.capLen).equals(ref.bytes.subarray(q.offset + 16, q.offset + 16 + q.capLen));
    detail = `record ${i + 1} differs (${sameData ? 'record header only' : 'packet bytes'})`;
  }
  return { identical: false, ...base, detail };
}
