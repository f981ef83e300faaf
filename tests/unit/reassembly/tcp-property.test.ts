/**
 * Properties of TCP reassembly over random segmentations of a random stream:
 *  1. any permutation of the segments plus duplicated and re-cut retransmissions reassembles to
 *     exactly the original bytes (with a SYN; without one, from the first segment to arrive);
 *  2. with segments lost, nothing is invented: every delivered chunk equals the original bytes at
 *     its offset, and delivered bytes + reported gaps account for the whole stream.
 * Shapes are explicit and unbiased (fc.noBias): fast-check's default bias favours tiny arrays and
 * extreme integers, which would leave most runs with one or two segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpReassembler } from '../../../common/reassembly/tcp-reassembler.js';
import type { Direction } from '../../../common/reassembly/stream-types.js';
import { ACK, FIN, SYN, recorder, stream } from './reassembly-helpers.js';
import { prng } from '../../helpers/prng.js';

interface Seg {
  off: number;
  len: number;
  fin: boolean;
}


function randomBytes(n: number, rnd: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Cuts [0, len) with sizes taken in turn from `sizes`. */
function cut(len: number, sizes: number[]): Seg[] {
  const out: Seg[] = [];
  for (let off = 0, i = 0; off < len; i++) {
    const n = Math.min(sizes[i % sizes.length], len - off);
    out.push({ off, len: n, fin: false });
    off += n;
  }
  return out;
}

function shuffle<T>(a: T[], rnd: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const isnArb = fc.oneof(
  fc.noBias(fc.integer({ min: 0, max: 0xffffffff })),
  // close below the wrap, so the stream crosses 2^32
  fc.noBias(fc.integer({ min: 0xffffffff - 40000, max: 0xffffffff })),
);

const shapeArb = fc.record({
  len: fc.noBias(fc.integer({ min: 1, max: 30000 })),
  isn: isnArb,
  sizes: fc.noBias(fc.array(fc.noBias(fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 40 })),
  retransmissions: fc.noBias(fc.integer({ min: 0, max: 30 })),
  seed: fc.noBias(fc.integer({ min: 0, max: 0x7fffffff })),
  syn: fc.boolean(),
  fin: fc.boolean(),
  dir: fc.constantFrom<Direction>(0, 1),
});

function feed(r: TcpReassembler, dir: Direction, isn: number, data: Uint8Array, segs: Seg[]): void {
  segs.forEach((s, packet) =>
    r.push({
      dir,
      seq: (isn + 1 + s.off) >>> 0,
      ack: 0,
      flags: ACK | (s.fin ? FIN : 0),
      payload: data.subarray(s.off, s.off + s.len),
      wireLength: s.len,
      tsSec: packet,
      tsNsec: 0,
      packet: packet + 1,
    }),
  );
}

test('any permutation with duplicates and re-cut retransmissions reassembles to the original bytes', () => {
  fc.assert(
    fc.property(shapeArb, (p) => {
      const rnd = prng(p.seed);
      const data = randomBytes(p.len, rnd);
      const segs = cut(p.len, p.sizes);
      if (p.fin) segs[segs.length - 1].fin = true;
      // retransmissions: random ranges, cut differently from the originals
      for (let i = 0; i < p.retransmissions; i++) {
        const a = Math.floor(rnd() * p.len);
        const b = Math.min(p.len, a + 1 + Math.floor(rnd() * 4000));
        segs.push({ off: a, len: b - a, fin: p.fin && b === p.len });
      }
      shuffle(segs, rnd);
      const rec = recorder();
      const r = new TcpReassembler(rec);
      if (p.syn) r.push({ dir: p.dir, seq: p.isn, ack: 0, flags: SYN, payload: new Uint8Array(0), wireLength: 0, tsSec: 0, tsNsec: 0, packet: 0 });
      feed(r, p.dir, p.isn, data, segs);
      r.finish();
      // without a SYN the stream starts at the first segment that arrived
      const start = p.syn ? 0 : segs[0].off;
      const got = stream(rec, p.dir);
      assert.equal(got.length, p.len - start);
      assert.ok(Buffer.from(got).equals(Buffer.from(data.subarray(start))), 'bytes differ');
      const s = r.stats(p.dir);
      assert.equal(s.conflicts, 0);
      assert.equal(s.gapBytes, 0);
      assert.ok(rec.chunks.every((c, i) => c.gapBefore === 0 && (i === 0 || c.offset >= rec.chunks[i - 1].offset)));
      assert.equal(rec.chunks[0]?.offset ?? 0, 0);
      const end = rec.ends.find((e) => e.dir === p.dir);
      assert.equal(end?.reason, p.fin ? 'fin' : 'end-of-capture');
      assert.equal(end?.gapAtEnd, 0);
    }),
    { numRuns: 300 },
  );
});

test('with segments lost nothing is invented, and delivered bytes plus gaps cover the stream', () => {
  fc.assert(
    fc.property(shapeArb, fc.noBias(fc.integer({ min: 1, max: 60 })), (p, lossPercent) => {
      const rnd = prng(p.seed);
      const data = randomBytes(p.len, rnd);
      const all = cut(p.len, p.sizes);
      all[all.length - 1].fin = true; // the FIN says where the stream ends
      // keep the FIN-carrying segment so the end is known; lose others at random
      const kept = all.filter((s) => s.fin || rnd() * 100 >= lossPercent);
      shuffle(kept, rnd);
      const rec = recorder();
      const r = new TcpReassembler(rec, { maxHeldBytes: 1 + Math.floor(rnd() * 20000) });
      r.push({ dir: p.dir, seq: p.isn, ack: 0, flags: SYN, payload: new Uint8Array(0), wireLength: 0, tsSec: 0, tsNsec: 0, packet: 0 });
      feed(r, p.dir, p.isn, data, kept);
      r.finish();
      let delivered = 0;
      let gaps = 0;
      let prevEnd = 0;
      for (const c of rec.chunks) {
        assert.ok(Buffer.from(c.data).equals(Buffer.from(data.subarray(c.offset, c.offset + c.data.length))), `chunk at ${c.offset} is not the original bytes`);
        assert.equal(c.offset, prevEnd + c.gapBefore, 'offsets advance by data and gaps only');
        prevEnd = c.offset + c.data.length;
        delivered += c.data.length;
        gaps += c.gapBefore;
      }
      const end = rec.ends.find((e) => e.dir === p.dir);
      assert.ok(end);
      assert.equal(delivered + gaps + end.gapAtEnd, p.len);
      assert.equal(r.stats(p.dir).conflicts, 0);
    }),
    { numRuns: 300 },
  );
});
