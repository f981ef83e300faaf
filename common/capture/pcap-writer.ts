/**
 * Environment-free encoders for pcap and pcapng output (exact slices, exports, test fixtures).
 * Everything is written with explicit byte order; default little-endian.
 */
import { encodeUtf8 } from './text-bytes.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** The 24-byte pcap global header (version 2.4, thiszone 0, sigfigs 0). */
export function encodePcapGlobalHeader(opts: {
  linkType: number;
  snapLen: number;
  nanosecond: boolean;
  littleEndian?: boolean;
}): Uint8Array {
  const le = opts.littleEndian ?? true;
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setInt32(8, 0, le);
  v.setUint32(12, 0, le);
  v.setUint32(16, opts.snapLen >>> 0, le);
  v.setUint32(20, opts.linkType >>> 0, le);
  return out;
}

/** Writes a 16-byte pcap record header at target[offset]. tsFrac is µs or ns, as the file says. */
export function writePcapRecordHeader(
  target: Uint8Array,
  offset: number,
  tsSec: number,
  tsFrac: number,
  capLen: number,
  origLen: number,
  littleEndian = true,
): void {
  const v = new DataView(target.buffer, target.byteOffset + offset, PCAP_RECORD_HEADER_LENGTH);
  v.setUint32(0, tsSec >>> 0, littleEndian);
  v.setUint32(4, tsFrac >>> 0, littleEndian);
  v.setUint32(8, capLen >>> 0, littleEndian);
  v.setUint32(12, origLen >>> 0, littleEndian);
}

/** One pcapng option: code, length, value padded to 4 bytes. */
interface PcapngOption {
  code: number;
  value: Uint8Array;
}

function optionsLength(opts: readonly PcapngOption[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  return n;
}

function writeOptions(v: DataView, bytes: Uint8Array, at: number, opts: readonly PcapngOption[], le: boolean): number {
  if (opts.length === 0) return at;
  for (const o of opts) {
    if (o.value.length > 0xffff) throw new RangeError(`pcapng option ${o.code} longer than 65535 bytes`);
    v.setUint16(at, o.code, le);
    v.setUint16(at + 2, o.value.length, le);
    bytes.set(o.value, at + 4);
    at += 4 + ((o.value.length + 3) & ~3);
  }
  v.setUint32(at, 0, le); // opt_endofopt, length 0
  return at + 4;
}

/** Allocates a block, writes type and both length fields; the body starts at byte 8. */
function newBlock(type: number, totalLength: number, le: boolean): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(totalLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, le);
  view.setUint32(4, totalLength, le);
  view.setUint32(totalLength - 4, totalLength, le);
  return { bytes, view };
}

/** A pcapng Section Header Block (version 1.0, section length -1 = unspecified). */
export function encodePcapngSectionHeader(opts?: { littleEndian?: boolean; userAppl?: string }): Uint8Array {
  const le = opts?.littleEndian ?? true;
  const options: PcapngOption[] = [];
  if (opts?.userAppl !== undefined) options.push({ code: 4, value: encodeUtf8(opts.userAppl) });
  const total = 28 + optionsLength(options);
  const { bytes, view } = newBlock(0x0a0d0d0a, total, le);
  view.setUint32(8, 0x1a2b3c4d, le);
  view.setUint16(12, 1, le);
  view.setUint16(14, 0, le);
  view.setInt32(16, -1, le);
  view.setInt32(20, -1, le);
  writeOptions(view, bytes, 24, options, le);
  return bytes;
}

/**
 * A pcapng Interface Description Block. `tsresol` is the raw if_tsresol byte (6 = µs, 9 = ns,
 * 0x80|p = 2^-p); when omitted no option is written and readers assume µs.
 */
export function encodePcapngInterfaceBlock(opts: {
  linkType: number;
  snapLen: number;
  tsresol?: number;
  name?: string;
  littleEndian?: boolean;
}): Uint8Array {
  const le = opts.littleEndian ?? true;
  const options: PcapngOption[] = [];
  if (opts.name !== undefined) options.push({ code: 2, value: encodeUtf8(opts.name) });
  if (opts.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(opts.tsresol & 0xff) });
  const total = 20 + optionsLength(options);
  const { bytes, view } = newBlock(1, total, le);
  view.setUint16(8, opts.linkType & 0xffff, le);
  view.setUint16(10, 0, le);
  view.setUint32(12, opts.snapLen >>> 0, le);
  writeOptions(view, bytes, 16, options, le);
  return bytes;
}

/**
 * Ticks since the epoch as (hi, lo) uint32 halves: tsSec * units + the nanoseconds in units,
 * truncated. Exact 64-bit arithmetic on 16-bit limbs (no BigInt); units must be an integer
 * < 2^36 (every decimal resolution up to 10^-10 and binary up to 2^-35).
 */
export function timestampToTicks(tsSec: number, tsNsec: number, unitsPerSecond: number): { hi: number; lo: number } {
  const u = unitsPerSecond;
  if (!Number.isInteger(u) || u < 1 || u >= 2 ** 36) throw new RangeError(`unsupported timestamp units ${u}`);
  if (!Number.isInteger(tsSec) || tsSec < 0 || !Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= 1e9) {
    throw new RangeError(`timestamp ${tsSec}.${tsNsec} not representable in pcapng`);
  }
  // Fraction of a second in units: floor(tsNsec * u / 1e9), exact.
  let frac: number;
  if (1e9 % u === 0) frac = Math.floor(tsNsec / (1e9 / u));
  else if (u % 1e9 === 0) frac = tsNsec * (u / 1e9);
  else frac = mulDivFloor(tsNsec, u, 1e9); // e.g. binary units: tsNsec * u may pass 2^53
  // tsSec * u + frac on 16-bit limbs.
  const limbs = [0, 0, 0, 0, 0];
  let s = tsSec;
  for (let i = 0; i < 4; i++) {
    limbs[i] = s % 65536;
    s = Math.floor(s / 65536);
  }
  if (s !== 0) throw new RangeError(`timestamp seconds ${tsSec} too large`);
  let carry = frac;
  for (let i = 0; i < 4; i++) {
    const v = limbs[i] * u + carry;
    limbs[i] = v % 65536;
    carry = Math.floor(v / 65536);
  }
  if (carry !== 0) throw new RangeError(`timestamp ${tsSec}.${tsNsec} overflows 64-bit ticks at ${u}/s`);
  return { hi: limbs[3] * 65536 + limbs[2], lo: limbs[1] * 65536 + limbs[0] };
}

/** floor(a * b / c) for integers a < 2^53, b < 2^36, c < 2^36: a * b on 16-bit limbs, then long division. */
function mulDivFloor(a: number, b: number, c: number): number {
  const prod: number[] = [];
  let carry = 0;
  let x = a;
  for (let i = 0; i < 5; i++) {
    const v = (x % 65536) * b + carry;
    x = Math.floor(x / 65536);
    prod.push(v % 65536);
    carry = Math.floor(v / 65536);
  }
  while (carry > 0) {
    prod.push(carry % 65536);
    carry = Math.floor(carry / 65536);
  }
  let r = 0;
  let q = 0;
  for (let i = prod.length - 1; i >= 0; i--) {
    const acc = r * 65536 + prod[i];
    let qi = Math.floor(acc / c);
    r = acc - qi * c;
    if (r < 0) { qi--; r += c; } else if (r >= c) { qi++; r -= c; }
    q = q * 65536 + qi;
  }
  return q;
}

/**
 * A pcapng Enhanced Packet Block without options. The timestamp is given as seconds +
 * nanoseconds and encoded in the interface's units (1e6 for if_tsresol 6, 1e9 for 9,
 * 2^p for binary resolutions), truncating finer digits.
 */
export function encodePcapngEnhancedPacketBlock(
  interfaceId: number,
  tsSec: number,
  tsNsec: number,
  tsresolUnitsPerSecond: number,
  data: Uint8Array,
  origLen: number,
  littleEndian = true,
): Uint8Array {
  const le = littleEndian;
  const { hi, lo } = timestampToTicks(tsSec, tsNsec, tsresolUnitsPerSecond);
  const total = 32 + ((data.length + 3) & ~3);
  const { bytes, view } = newBlock(6, total, le);
  view.setUint32(8, interfaceId >>> 0, le);
  view.setUint32(12, hi, le);
  view.setUint32(16, lo, le);
  view.setUint32(20, data.length, le);
  view.setUint32(24, origLen >>> 0, le);
  bytes.set(data, 28);
  return bytes;
}
