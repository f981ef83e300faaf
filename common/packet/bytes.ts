/**
 * Big/little-endian readers over a Uint8Array. Plain byte math instead of a DataView: creating
 * a DataView per packet would allocate, and V8 inlines these small functions in the hot path.
 * Callers bounds-check first; out-of-range bytes read as undefined → 0 via the bit operators.
 */

export function u16be(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

export function u16le(d: Uint8Array, o: number): number {
  return d[o] | (d[o + 1] << 8);
}

/** Unsigned 32-bit big-endian (a multiply keeps the top bit from turning the result negative). */
export function u32be(d: Uint8Array, o: number): number {
  return d[o] * 0x1000000 + ((d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]);
}
