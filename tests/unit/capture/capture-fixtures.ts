/** Synthetic captures built with the writer encoders (plus raw blocks the writer does not make). */
import {
  encodePcapGlobalHeader,
  encodePcapngEnhancedPacketBlock,
  encodePcapngInterfaceBlock,
  encodePcapngSectionHeader,
  writePcapRecordHeader,
} from '../../../common/capture/pcap-writer.js';
import { concatBytes, formatTimestamp, prng } from './capture-test-helpers.js';

export interface ExpectedPacket {
  interfaceId: number;
  linkType: number;
  time: string;
  capLen: number;
  origLen: number;
  blockType: number;
  data: Uint8Array;
}

function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** A classic pcap with random packets; timestamps increase from 1.7e9 s. */
export function buildPcap(opts: {
  packets: number;
  seed: number;
  littleEndian?: boolean;
  nanosecond?: boolean;
  linkType?: number;
}): Uint8Array {
  const rand = prng(opts.seed);
  const le = opts.littleEndian ?? true;
  const nano = opts.nanosecond ?? false;
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: opts.linkType ?? 1, snapLen: 65535, nanosecond: nano, littleEndian: le })];
  let sec = 1_700_000_000;
  for (let i = 0; i < opts.packets; i++) {
    sec += Math.floor(rand() * 3);
    const frac = Math.floor(rand() * (nano ? 1e9 : 1e6));
    const capLen = Math.floor(rand() * 200);
    const rec = new Uint8Array(16 + capLen);
    writePcapRecordHeader(rec, 0, sec, frac, capLen, capLen + Math.floor(rand() * 3), le);
    rec.set(randomBytes(rand, capLen), 16);
    parts.push(rec);
  }
  return concatBytes(parts);
}

/** A raw pcapng block: type, total length, body, padding, trailing length. */
export function rawBlock(type: number, body: Uint8Array, le = true): Uint8Array {
  const total = 12 + ((body.length + 3) & ~3);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, total, le);
  out.set(body, 8);
  v.setUint32(total - 4, total, le);
  return out;
}

/** Simple Packet Block: original length + data (the captured part). */
export function simplePacketBlock(origLen: number, data: Uint8Array, le = true): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  new DataView(body.buffer).setUint32(0, origLen, le);
  body.set(data, 4);
  return rawBlock(3, body, le);
}

/** Obsolete Packet Block (type 2): 16-bit interface id, drops, 64-bit timestamp, lengths, data. */
export function obsoletePacketBlock(ifId: number, hi: number, lo: number, data: Uint8Array, origLen: number, le = true): Uint8Array {
  const body = new Uint8Array(20 + data.length);
  const v = new DataView(body.buffer);
  v.setUint16(0, ifId, le);
  v.setUint16(2, 0, le);
  v.setUint32(4, hi, le);
  v.setUint32(8, lo, le);
  v.setUint32(12, data.length, le);
  v.setUint32(16, origLen, le);
  body.set(data, 20);
  return rawBlock(2, body, le);
}

/** Enhanced Packet Block with a raw 64-bit tick count (hi, lo), for exact-conversion tests. */
export function enhancedPacketBlockTicks(ifId: number, hi: number, lo: number, data: Uint8Array, origLen: number, le = true): Uint8Array {
  const body = new Uint8Array(20 + data.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, ifId, le);
  v.setUint32(4, hi, le);
  v.setUint32(8, lo, le);
  v.setUint32(12, data.length, le);
  v.setUint32(16, origLen, le);
  body.set(data, 20);
  return rawBlock(6, body, le);
}

/** An IDB with arbitrary raw options (code, bytes). */
export function interfaceBlockWithOptions(linkType: number, snapLen: number, options: [number, Uint8Array][], le = true): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(8);
  const hv = new DataView(head.buffer);
  hv.setUint16(0, linkType, le);
  hv.setUint32(4, snapLen, le);
  parts.push(head);
  for (const [code, value] of options) {
    const o = new Uint8Array(4 + ((value.length + 3) & ~3));
    const ov = new DataView(o.buffer);
    ov.setUint16(0, code, le);
    ov.setUint16(2, value.length, le);
    o.set(value, 4);
    parts.push(o);
  }
  parts.push(new Uint8Array(4));
  return rawBlock(1, concatBytes(parts), le);
}

export interface MixedPcapng {
  bytes: Uint8Array;
  expected: ExpectedPacket[];
  /** Per global interface id: [section, localId, linkType, tsUnitsPerSecond, tsResolutionPow2, name]. */
  interfaces: [number, number, number, number, number, string | null][];
}

/**
 * Three sections: (0, little-endian) Ethernet µs + raw-IP ns + SLL with 2^-20 resolution and
 * NRB/ISB/custom blocks between packets; (1, big-endian) SLL2 ms with SPB and an obsolete PB;
 * (2, little-endian) one Ethernet ns interface with a timestamp past 2106.
 */
export function buildMixedPcapngFull(): MixedPcapng {
  const rand = prng(99);
  const parts: Uint8Array[] = [];
  const expected: ExpectedPacket[] = [];
  const data = (n: number): Uint8Array => randomBytes(rand, n);

  // Section 0, little-endian.
  parts.push(encodePcapngSectionHeader({ userAppl: 'tapline tests ✓' }));
  parts.push(encodePcapngInterfaceBlock({ linkType: 1, snapLen: 0 }));
  parts.push(encodePcapngInterfaceBlock({ linkType: 101, snapLen: 65535, tsresol: 9, name: 'raw0' }));
  parts.push(encodePcapngInterfaceBlock({ linkType: 113, snapLen: 262144, tsresol: 0x80 | 20, name: 'sll-binary' }));
  let d = data(60);
  parts.push(encodePcapngEnhancedPacketBlock(0, 1_700_000_000, 123_456_000, 1e6, d, 60));
  expected.push({ interfaceId: 0, linkType: 1, time: '1700000000.123456000', capLen: 60, origLen: 60, blockType: 6, data: d });
  parts.push(rawBlock(4, data(20))); // NRB (content irrelevant: skipped)
  d = data(41);
  parts.push(encodePcapngEnhancedPacketBlock(1, 1_700_000_001, 987_654_321, 1e9, d, 1500));
  expected.push({ interfaceId: 1, linkType: 101, time: '1700000001.987654321', capLen: 41, origLen: 1500, blockType: 6, data: d });
  parts.push(rawBlock(5, data(24))); // ISB
  parts.push(rawBlock(0x00000bad, data(13))); // custom block
  d = data(3);
  // 2^-20 s ticks: 0.5 s + 1 tick = 500000953.67431640625 ns -> truncated to 500000953.
  const ticks = 1_700_000_002 * 2 ** 20 + 2 ** 19 + 1;
  parts.push(enhancedPacketBlockTicks(2, Math.floor(ticks / 2 ** 32), ticks % 2 ** 32, d, 3));
  expected.push({ interfaceId: 2, linkType: 113, time: '1700000002.500000953', capLen: 3, origLen: 3, blockType: 6, data: d });

  // Section 1, big-endian: interface ids restart at 0 locally.
  parts.push(encodePcapngSectionHeader({ littleEndian: false }));
  parts.push(encodePcapngInterfaceBlock({ linkType: 276, snapLen: 32, tsresol: 3, littleEndian: false }));
  d = data(32);
  parts.push(simplePacketBlock(100, d, false));
  expected.push({ interfaceId: 3, linkType: 276, time: '0.000000000', capLen: 32, origLen: 100, blockType: 3, data: d });
  d = data(10);
  const ms = 1_700_000_003_250;
  parts.push(obsoletePacketBlock(0, Math.floor(ms / 2 ** 32), ms % 2 ** 32, d, 10, false));
  expected.push({ interfaceId: 3, linkType: 276, time: '1700000003.250000000', capLen: 10, origLen: 10, blockType: 2, data: d });
  d = data(17);
  parts.push(encodePcapngEnhancedPacketBlock(0, 1_700_000_004, 7_000_000, 1e3, d, 17, false));
  expected.push({ interfaceId: 3, linkType: 276, time: '1700000004.007000000', capLen: 17, origLen: 17, blockType: 6, data: d });

  // Section 2: a timestamp after 2106 (seconds > 2^32) at ns resolution (ticks > 2^53).
  parts.push(encodePcapngSectionHeader());
  parts.push(encodePcapngInterfaceBlock({ linkType: 1, snapLen: 65535, tsresol: 9 }));
  d = data(64);
  parts.push(encodePcapngEnhancedPacketBlock(0, 4_323_283_200, 999_999_999, 1e9, d, 64));
  expected.push({ interfaceId: 4, linkType: 1, time: '4323283200.999999999', capLen: 64, origLen: 64, blockType: 6, data: d });

  return {
    bytes: concatBytes(parts),
    expected,
    interfaces: [
      [0, 0, 1, 1e6, 0, null],
      [0, 1, 101, 1e9, 0, 'raw0'],
      [0, 2, 113, 0, 20, 'sll-binary'],
      [1, 0, 276, 1e3, 0, null],
      [2, 0, 1, 1e9, 0, null],
    ],
  };
}

export function buildMixedPcapng(): Uint8Array {
  return buildMixedPcapngFull().bytes;
}
