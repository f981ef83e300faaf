/** 32-bit TCP sequence-number arithmetic (RFC 1982 serial numbers). Environment-free. */

/**
 * Signed distance a − b in sequence space, in [−2^31, 2^31). `| 0` is ToInt32, which reduces any
 * integral double modulo 2^32 exactly, so a and b may be unreduced sums such as base + offset.
 */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n reduced to an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
