/**
 * IP addresses and CIDR blocks as numeric ranges, compiled once so that matching an address is a
 * binary search over sorted, merged intervals (threat lists hold thousands of entries, and every
 * row of a 100,000-row search is checked against them).
 *
 * IPv4 addresses are one number (0 … 2^32-1); IPv6 addresses are a bigint. IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) count as the IPv4 address, so either spelling matches.
 */
import { parseIp } from '../packet/ip-address.js';

/** A parsed address: IPv4 as a number, IPv6 as a bigint. */
export type AddressKey = number | bigint;

const V4_MASK = 0xffffffffn;

/** Dotted quad without leading zeros, by hand: this runs for every address of every ranked row. */
function parseV4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      if (++dots > 3) return -1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** The numeric key of an address, or null when the text is not an IP address. */
export function addressKey(text: string): AddressKey | null {
  if (!text.includes(':')) {
    const v4 = parseV4(text);
    return v4 < 0 ? null : v4;
  }
  const ip = parseIp(text);
  if (!ip || ip.version !== 6) return null;
  let v = 0n;
  for (let i = 0; i < 16; i++) v = (v << 8n) | BigInt(ip.bytes[i]);
  if (v >> 32n === 0xffffn) return Number(v & V4_MASK); // ::ffff:a.b.c.d
  return v;
}

export interface AddressBlock {
  /** The text as given (for messages and round trips). */
  text: string;
  lo: AddressKey;
  hi: AddressKey;
}

/** "a.b.c.d", "a.b.c.d/n", an IPv6 address or block; host bits are ignored. Null when invalid. */
export function parseBlock(text: string): AddressBlock | null {
  const slash = text.indexOf('/');
  const key = addressKey(slash < 0 ? text : text.slice(0, slash));
  if (key === null) return null;
  const mappedV4 = typeof key === 'number' && text.includes(':');
  let bits = typeof key === 'number' ? (mappedV4 ? 128 : 32) : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > bits) return null;
  }
  if (mappedV4) {
    // ::ffff:a.b.c.d/n covers IPv4 only from /96 on; a shorter prefix would reach beyond ::ffff:0:0/96
    if (prefix < 96) return null;
    prefix -= 96;
    bits = 32;
  }
  if (typeof key === 'number') {
    const size = 2 ** (32 - prefix);
    const lo = Math.floor(key / size) * size;
    return { text, lo, hi: lo + size - 1 };
  }
  const hostBits = BigInt(128 - prefix);
  const lo = (key >> hostBits) << hostBits;
  return { text, lo, hi: lo + (1n << hostBits) - 1n };
}

/** Sorts blocks and merges overlapping or adjacent ones into disjoint intervals. */
function merge4(blocks: { lo: number; hi: number }[]): { lo: number[]; hi: number[] } {
  blocks.sort((a, b) => a.lo - b.lo);
  const lo: number[] = [];
  const hi: number[] = [];
  for (const b of blocks) {
    const last = hi.length - 1;
    if (last >= 0 && b.lo <= hi[last] + 1) hi[last] = Math.max(hi[last], b.hi);
    else {
      lo.push(b.lo);
      hi.push(b.hi);
    }
  }
  return { lo, hi };
}

function merge6(blocks: { lo: bigint; hi: bigint }[]): { lo: bigint[]; hi: bigint[] } {
  blocks.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const lo: bigint[] = [];
  const hi: bigint[] = [];
  for (const b of blocks) {
    const last = hi.length - 1;
    if (last >= 0 && b.lo <= hi[last] + 1n) {
      if (b.hi > hi[last]) hi[last] = b.hi;
    } else {
      lo.push(b.lo);
      hi.push(b.hi);
    }
  }
  return { lo, hi };
}

/** Index of the last interval whose lo ≤ key, or -1. */
function floorIndex<K extends AddressKey>(lo: readonly K[], key: K): number {
  let a = 0;
  let b = lo.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (lo[mid] <= key) a = mid + 1;
    else b = mid;
  }
  return a - 1;
}

/** A set of addresses and blocks, compiled into sorted disjoint intervals per family. */
export class AddressSet {
  private readonly v4lo: number[];
  private readonly v4hi: number[];
  private readonly v6lo: bigint[];
  private readonly v6hi: bigint[];

  /** Invalid entries are skipped (inputs are validated where they enter: the schemas). */
  constructor(entries: Iterable<string>) {
    const v4: { lo: number; hi: number }[] = [];
    const v6: { lo: bigint; hi: bigint }[] = [];
    for (const e of entries) {
      const b = parseBlock(e);
      if (!b) continue;
      if (typeof b.lo === 'number') v4.push({ lo: b.lo, hi: b.hi as number });
      else v6.push({ lo: b.lo, hi: b.hi as bigint });
    }
    const m4 = merge4(v4);
    const m6 = merge6(v6);
    this.v4lo = m4.lo;
    this.v4hi = m4.hi;
    this.v6lo = m6.lo;
    this.v6hi = m6.hi;
  }

  get empty(): boolean {
    return this.v4lo.length === 0 && this.v6lo.length === 0;
  }

  hasKey(key: AddressKey): boolean {
    if (typeof key === 'number') {
      const i = floorIndex(this.v4lo, key);
      return i >= 0 && key <= this.v4hi[i];
    }
    const i = floorIndex(this.v6lo, key);
    return i >= 0 && key <= this.v6hi[i];
  }

  has(address: string): boolean {
    const k = addressKey(address);
    return k !== null && this.hasKey(k);
  }
}
