/**
 * Exact conversion of pcapng 64-bit timestamps (two uint32 halves, in units of the interface's
 * if_tsresol) to (seconds, nanoseconds), with plain doubles and no BigInt.
 *
 * Nanosecond timestamps since the epoch exceed 2^53. For decimal units of at least 10^-3 s a
 * double estimate of the quotient is corrected with the exact remainder taken modulo 2^32 (one
 * division and an imul per packet). Elsewhere the ticks are divided over 16-bit limbs: the partial
 * remainder times 65536 plus the next limb stays below 2^53 for divisors < 2^37, so every step is
 * exact. Rules:
 * - decimal resolution 10^-n, n <= 9: exact; the remainder is scaled up to nanoseconds.
 * - decimal n > 9: the tick count is first divided (exactly, floor) down to nanoseconds, so finer
 *   digits are truncated — what Wireshark does.
 * - binary resolution 2^-p (if_tsresol MSB set): seconds are exact; nanoseconds are the exact
 *   floor of frac * 10^9 / 2^p (computed on limbs), i.e. truncated, never rounded up.
 * Seconds above 2^53 (only reachable with absurd resolutions such as 10^0 or 2^0 and a huge tick
 * count) cannot be represented exactly in a double and are rounded.
 */

import type { CaptureInterface } from './capture-types.js';

/** Where conversions are written (the parser's reusable PacketRecord satisfies this). */
export interface TimeTarget {
  tsSec: number;
  tsNsec: number;
}

const TWO32 = 4294967296;
/** Digits per limb-division pass: remainder * 65536 + limb must stay < 2^53, so divisor < 2^37. */
const MAX_STEP_DIGITS = 11;

// Results of divmod64, kept in module state so the hot path allocates nothing.
let qHi = 0;
let qLo = 0;
let rem = 0;

/** (hi * 2^32 + lo) divided by d (integer, 1 <= d <= 10^MAX_STEP_DIGITS): sets qHi, qLo, rem. */
function divmod64(hi: number, lo: number, d: number): void {
  let r = 0;
  let acc = hi >>> 16;
  let q3 = Math.floor(acc / d);
  r = acc - q3 * d;
  if (r < 0) { q3--; r += d; } else if (r >= d) { q3++; r -= d; }
  acc = r * 65536 + (hi & 0xffff);
  let q2 = Math.floor(acc / d);
  r = acc - q2 * d;
  if (r < 0) { q2--; r += d; } else if (r >= d) { q2++; r -= d; }
  acc = r * 65536 + (lo >>> 16);
  let q1 = Math.floor(acc / d);
  r = acc - q1 * d;
  if (r < 0) { q1--; r += d; } else if (r >= d) { q1++; r -= d; }
  acc = r * 65536 + (lo & 0xffff);
  let q0 = Math.floor(acc / d);
  r = acc - q0 * d;
  if (r < 0) { q0--; r += d; } else if (r >= d) { q0++; r -= d; }
  // Every acc < d * 65536, so every partial quotient is a 16-bit limb.
  qLo = q1 * 65536 + q0;
  qHi = q3 * 65536 + q2;
  rem = r;
}

const enum Kind {
  /** 10^-n with n <= 9: one division by 10^n. */
  Decimal,
  /** 10^-n with n > 9: divide down to nanoseconds first. */
  DecimalFine,
  /** 2^-p. */
  Binary,
}

// Scratch limbs for the binary-fraction multiply (little-endian 16-bit limbs).
const limbs = new Float64Array(6);

/** floor((fHi * 2^32 + fLo) * 1e9 / 2^p) for a fraction < 2^p (so the result is < 1e9). */
function binaryFractionToNs(fHi: number, fLo: number, p: number): number {
  let carry = 0;
  let v = (fLo & 0xffff) * 1e9 + carry;
  carry = Math.floor(v / 65536);
  limbs[0] = v - carry * 65536;
  v = (fLo >>> 16) * 1e9 + carry;
  carry = Math.floor(v / 65536);
  limbs[1] = v - carry * 65536;
  v = (fHi & 0xffff) * 1e9 + carry;
  carry = Math.floor(v / 65536);
  limbs[2] = v - carry * 65536;
  v = (fHi >>> 16) * 1e9 + carry;
  carry = Math.floor(v / 65536);
  limbs[3] = v - carry * 65536;
  limbs[4] = carry % 65536;
  limbs[5] = Math.floor(carry / 65536);
  // Gather the limbs from the one containing bit p upwards; the value is < 2^(p + 30 - 16k) < 2^46.
  const k = Math.min(p >> 4, 6);
  let acc = 0;
  for (let i = 5; i >= k; i--) acc = acc * 65536 + limbs[i];
  return Math.floor(acc / 2 ** (p - 16 * k));
}

/** Converts ticks of one interface's resolution. Construct once per interface. */
export class TickConverter {
  private readonly kind: Kind;
  /** Decimal: ticks per second (10^n); DecimalFine: 1e9 (applied after the pre-division). */
  private readonly divisor: number;
  /** Decimal: nanoseconds per tick (10^(9-n)). */
  private readonly nsPerTick: number;
  /** DecimalFine: successive exact divisors taking ticks down to nanoseconds. */
  private readonly preDivisors: readonly number[];
  private readonly pow2: number;

  /**
   * `tsresol` is the raw if_tsresol byte (6 = µs, the pcapng default; 9 = ns; 0x80|p = 2^-p);
   * `offsetSec` (if_tsoffset) is added to every converted seconds value.
   */
  constructor(tsresol: number, private readonly offsetSec = 0) {
    if (tsresol & 0x80) {
      this.kind = Kind.Binary;
      this.pow2 = tsresol & 0x7f;
      this.divisor = 0;
      this.nsPerTick = 0;
      this.preDivisors = [];
    } else if (tsresol <= 9) {
      this.kind = Kind.Decimal;
      this.pow2 = 0;
      this.divisor = 10 ** tsresol;
      this.nsPerTick = 10 ** (9 - tsresol);
      this.preDivisors = [];
    } else {
      this.kind = Kind.DecimalFine;
      this.pow2 = 0;
      this.divisor = 1e9;
      this.nsPerTick = 1;
      const steps: number[] = [];
      // floor(floor(x / a) / b) === floor(x / (a * b)): dividing in exact steps is exact.
      for (let n = tsresol - 9; n > 0; n -= MAX_STEP_DIGITS) steps.push(10 ** Math.min(n, MAX_STEP_DIGITS));
      this.preDivisors = steps;
    }
  }

  /** Writes the converted (hi, lo) tick count, plus the interface offset, into out.tsSec / out.tsNsec. */
  convert(hi: number, lo: number, out: TimeTarget): void {
    this.convertTicks(hi, lo, out);
    out.tsSec += this.offsetSec;
  }

  private convertTicks(hi: number, lo: number, out: TimeTarget): void {
    if (this.kind === Kind.Decimal) {
      const d = this.divisor;
      if (d >= 1000 || hi < 0x100000) {
        // Fast path. The double estimate of t / d is within 1 of the true quotient (2 for
        // d < 2048): t is off by at most 2^10 after rounding to 53 bits, and exact below 2^52.
        // The remainder is then recovered exactly modulo 2^32 (t mod 2^32 is lo); it lies in
        // [-d, 2d) (tiny for small d) and 2 * 1e9 < 2^31, so the int32 value is the true one.
        let q = Math.floor((hi * TWO32 + lo) / d);
        let r = (lo - Math.imul(q | 0, d)) | 0;
        while (r < 0) { q--; r += d; }
        while (r >= d) { q++; r -= d; }
        out.tsSec = q;
        out.tsNsec = r * this.nsPerTick;
        return;
      }
      // Coarse units (10^0..10^-2) with a huge tick count: the estimate could be far off.
      divmod64(hi, lo, d);
      out.tsSec = qHi * TWO32 + qLo;
      out.tsNsec = rem * this.nsPerTick;
      return;
    }
    if (this.kind === Kind.DecimalFine) {
      let h = hi;
      let l = lo;
      const steps = this.preDivisors;
      for (let i = 0; i < steps.length && (h !== 0 || l !== 0); i++) {
        divmod64(h, l, steps[i]);
        h = qHi;
        l = qLo;
      }
      divmod64(h, l, 1e9);
      out.tsSec = qHi * TWO32 + qLo;
      out.tsNsec = rem;
      return;
    }
    this.convertBinary(hi, lo, out);
  }

  private convertBinary(hi: number, lo: number, out: TimeTarget): void {
    const p = this.pow2;
    let fHi: number;
    let fLo: number;
    if (p === 0) {
      out.tsSec = hi * TWO32 + lo;
      out.tsNsec = 0;
      return;
    } else if (p < 32) {
      out.tsSec = hi * 2 ** (32 - p) + (lo >>> p);
      fHi = 0;
      fLo = lo % 2 ** p;
    } else if (p === 32) {
      out.tsSec = hi;
      fHi = 0;
      fLo = lo;
    } else if (p < 64) {
      out.tsSec = Math.floor(hi / 2 ** (p - 32));
      fHi = hi % 2 ** (p - 32);
      fLo = lo;
    } else {
      out.tsSec = 0;
      fHi = hi;
      fLo = lo;
    }
    out.tsNsec = binaryFractionToNs(fHi, fLo, p);
  }
}

/** The raw if_tsresol byte an interface was described with. */
export function tsresolOf(iface: Pick<CaptureInterface, 'tsUnitsPerSecond' | 'tsResolutionPow2'>): number {
  if (iface.tsUnitsPerSecond === 0) return 0x80 | iface.tsResolutionPow2;
  return Math.round(Math.log10(iface.tsUnitsPerSecond));
}

/** A converter for an interface's resolution and if_tsoffset (what the parser uses per packet). */
export function tickConverterFor(iface: CaptureInterface): TickConverter {
  return new TickConverter(tsresolOf(iface), iface.tsOffsetSec);
}
