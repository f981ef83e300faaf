/** The double-only 64-bit tick conversion agrees with a BigInt reference for every resolution. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TickConverter, tickConverterFor, tsresolOf } from '../../../common/capture/pcapng-timestamp.js';
import type { CaptureInterface } from '../../../common/capture/capture-types.js';
import { timestampToTicks } from '../../../common/capture/pcap-writer.js';
import { prng } from './capture-test-helpers.js';

function reference(ticks: bigint, tsresol: number): { sec: bigint; nsec: bigint } {
  const units = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  const sec = ticks / units;
  const nsec = ((ticks % units) * 1_000_000_000n) / units;
  return { sec, nsec };
}

function sampleTicks(rand: () => number): bigint[] {
  const out: bigint[] = [0n, 1n, (1n << 52n) - 1n, 1n << 52n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 64n) - 1n, 1_700_000_000_123_456_789n];
  // Exact multiples of every decimal unit and their neighbours, at large magnitudes.
  for (let i = 0; i < 200; i++) {
    const unit = 10n ** BigInt(i % 10);
    const k = ((1n << 64n) - 1n) / unit - BigInt(Math.floor(rand() * 2 ** 40)) * BigInt(1 + (i % 7) * 1000);
    for (const delta of [-1n, 0n, 1n, unit - 1n]) {
      const t = k * unit + delta;
      if (t >= 0n && t < 1n << 64n) out.push(t);
    }
  }
  for (let i = 0; i < 300; i++) {
    const hi = BigInt(Math.floor(rand() * 2 ** 32) >>> (Math.floor(rand() * 33) % 32));
    const lo = BigInt(Math.floor(rand() * 2 ** 32));
    out.push((hi << 32n) | lo);
  }
  return out;
}

test('decimal resolutions 10^0..10^-19 and binary 2^0..2^-100 give the exact floor of seconds and nanoseconds', () => {
  const rand = prng(1234);
  const ticks = sampleTicks(rand);
  const resolutions = [...Array(20).keys(), ...[0, 1, 10, 20, 30, 31, 32, 33, 40, 52, 53, 63, 64, 65, 100].map((p) => 0x80 | p)];
  const out = { tsSec: 0, tsNsec: 0 };
  for (const r of resolutions) {
    const conv = new TickConverter(r);
    for (const t of ticks) {
      const ref = reference(t, r);
      // Seconds beyond 2^53 cannot be exact in a double; the converter documents rounding there.
      if (ref.sec > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      conv.convert(Number(t >> 32n), Number(t & 0xffffffffn), out);
      assert.equal(`${out.tsSec}.${out.tsNsec}`, `${ref.sec}.${ref.nsec}`, `resolution ${r} ticks ${t}`);
    }
  }
});

test('writer tick encoding round-trips through the converter for µs, ns, ms and 2^-20 units', () => {
  const rand = prng(77);
  const out = { tsSec: 0, tsNsec: 0 };
  for (const [units, tsresol] of [[1e6, 6], [1e9, 9], [1e3, 3], [2 ** 20, 0x80 | 20]] as const) {
    const conv = new TickConverter(tsresol);
    for (let i = 0; i < 200; i++) {
      const sec = Math.floor(rand() * 5e9);
      const nsec = Math.floor(rand() * 1e9);
      const { hi, lo } = timestampToTicks(sec, nsec, units);
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const expectTicks = BigInt(sec) * BigInt(units) + (BigInt(nsec) * BigInt(units)) / 1_000_000_000n;
      assert.equal(t, expectTicks, `ticks for ${sec}.${nsec} at ${units}/s`);
      conv.convert(hi, lo, out);
      assert.equal(out.tsSec, sec);
      assert.equal(BigInt(out.tsNsec), ((BigInt(nsec) * BigInt(units)) / 1_000_000_000n) * 1_000_000_000n / BigInt(units));
    }
  }
});

test('timestampToTicks rejects values that do not fit 64 bits or non-integer units', () => {
  assert.throws(() => timestampToTicks(2 ** 40, 0, 1e9), RangeError);
  assert.throws(() => timestampToTicks(1, 0, 1.5), RangeError);
  assert.throws(() => timestampToTicks(1, 1e9, 1e6), RangeError);
});

test('tickConverterFor applies the interface resolution (decimal or binary) and its if_tsoffset', () => {
  const out = { tsSec: 0, tsNsec: 0 };
  tickConverterFor({ tsUnitsPerSecond: 1e9, tsResolutionPow2: 0, tsOffsetSec: -10 } as CaptureInterface).convert(0, 1_500_000_000, out);
  assert.deepEqual(out, { tsSec: -9, tsNsec: 500_000_000 });
  tickConverterFor({ tsUnitsPerSecond: 0, tsResolutionPow2: 10, tsOffsetSec: 100 } as CaptureInterface).convert(0, 1536, out);
  assert.deepEqual(out, { tsSec: 101, tsNsec: 500_000_000 });
  assert.equal(tsresolOf({ tsUnitsPerSecond: 1e6, tsResolutionPow2: 0 }), 6);
  assert.equal(tsresolOf({ tsUnitsPerSecond: 0, tsResolutionPow2: 20 }), 0x94);
});
