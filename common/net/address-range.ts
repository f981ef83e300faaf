/**
 * Host filters as ranges in the index's 16-byte address key space (IPv4 as ::ffff:a.b.c.d), so an
 * exact address and a CIDR block are both one contiguous run of posting keys.
 */
import { parseIp } from '../packet/community-id.js';

export interface AddressRange {
  /** The text the user gave, for messages. */
  text: string;
  lo: Uint8Array;
  hi: Uint8Array;
}

export function parseAddressRange(text: string): AddressRange | null {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(ipText);
  if (!ip) return null;
  const bits = ip.version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > bits) return null;
  }
  const lo = new Uint8Array(16);
  if (ip.version === 4) {
    lo[10] = 0xff;
    lo[11] = 0xff;
    lo.set(ip.bytes.subarray(0, 4), 12);
    prefix += 96;
  } else lo.set(ip.bytes.subarray(0, 16));
  const hi = new Uint8Array(lo);
  for (let bit = prefix; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte] &= ~mask;
    hi[byte] |= mask;
  }
  return { text, lo, hi };
}

/** Whether a 16-byte posting key lies within the range. */
export function rangeContains(r: AddressRange, key: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) {
    if (key[i] !== r.lo[i]) {
      if (key[i] < r.lo[i]) return false;
      break;
    }
  }
  for (let i = 0; i < 16; i++) {
    if (key[i] !== r.hi[i]) return key[i] < r.hi[i];
  }
  return true;
}
