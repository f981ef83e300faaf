/** The reassembly building blocks on their own: history ring, held segments, budget, IP defragmenter. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryRing } from '../../../common/reassembly/history-ring.js';
import { HeldSegments, HELD_OVERHEAD } from '../../../common/reassembly/held-segments.js';
import { ReassemblyBudget } from '../../../common/reassembly/memory-budget.js';
import { Defragmenter } from '../../../common/reassembly/ip-defrag.js';
import { seqDiff } from '../../../common/reassembly/seq.js';
import { text } from './reassembly-helpers.js';

describe('HistoryRing', () => {
  test('keeps the last cap bytes across growth and wrap-around, and compares them', () => {
    const budget = new ReassemblyBudget(1 << 20);
    const h = new HistoryRing(10000, budget);
    const all = text(50000);
    for (let o = 0; o < all.length; o += 777) h.append(o, all.subarray(o, Math.min(all.length, o + 777)));
    assert.equal(h.size, 10000);
    assert.equal(budget.used, 10000);
    assert.equal(h.compare(45000, all, 45000, 5000), 0);
    assert.equal(h.checked, 5000);
    const changed = all.slice(45000, 46000);
    changed[10] ^= 1;
    changed[999] ^= 1;
    assert.equal(h.compare(45000, changed, 0, 1000), 2);
    // older than the window: nothing to compare
    assert.equal(h.compare(1000, all, 1000, 1000), 0);
    assert.equal(h.checked, 0);
    h.dispose();
    assert.equal(budget.used, 0);
  });

  test('after a gap, history restarts at the new offset', () => {
    const h = new HistoryRing(4096, new ReassemblyBudget(1 << 20));
    h.append(0, text(100));
    h.append(200, text(100, 200));
    assert.equal(h.compare(50, text(50, 50), 0, 50), 0);
    assert.equal(h.checked, 0);
    assert.equal(h.compare(250, text(10, 250), 0, 10), 0);
    assert.equal(h.checked, 10);
  });

  test('a refused budget leaves no history (overlaps are then unchecked)', () => {
    const h = new HistoryRing(4096, new ReassemblyBudget(100));
    h.append(0, text(100));
    assert.equal(h.size, 0);
    assert.equal(h.compare(0, text(100), 0, 100), 0);
    assert.equal(h.checked, 0);
  });
});

describe('HeldSegments', () => {
  test('stay sorted whatever the insertion order; removal from the front', () => {
    const s = new HeldSegments();
    for (const start of [50, 10, 90, 30, 70]) s.insert({ start, end: start + 10, data: new Uint8Array(10) });
    assert.equal(s.count, 5);
    assert.equal(s.cost, 50 + 5 * HELD_OVERHEAD);
    assert.equal(s.indexEndingAfter(35), 1);
    assert.equal(s.indexEndingAfter(100), 5);
    const order: number[] = [];
    for (let x = s.shift(); x; x = s.shift()) order.push(x.start);
    assert.deepEqual(order, [10, 30, 50, 70, 90]);
    assert.ok(s.empty);
    assert.equal(s.bytes, 0);
  });
});

describe('ReassemblyBudget', () => {
  test('reserves within its limit, counts refusals and the peak', () => {
    const b = new ReassemblyBudget(100);
    assert.ok(b.tryReserve(60));
    assert.ok(!b.tryReserve(41));
    assert.ok(b.tryReserve(40));
    b.release(70);
    assert.equal(b.used, 30);
    assert.equal(b.peak, 100);
    assert.equal(b.refused, 1);
  });
});

describe('sequence arithmetic', () => {
  test('differences across the wrap', () => {
    assert.equal(seqDiff(5, 0xfffffffb), 10);
    assert.equal(seqDiff(0xfffffffb, 5), -10);
    assert.equal(seqDiff(2 ** 32 + 7, 7), 0);
  });
});

describe('Defragmenter', () => {
  test('overlapping fragments: the first received bytes win', () => {
    const d = new Defragmenter();
    assert.equal(d.add(0, 1, 0, true, new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1])), null);
    assert.equal(d.add(0, 1, 16, false, new Uint8Array([3, 3, 3, 3])), null);
    const whole = d.add(0, 1, 4, true, new Uint8Array([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]));
    assert.deepEqual([...(whole ?? [])], [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]);
    assert.equal(d.incomplete, 0);
  });

  test('fragments are copied (callers reuse Buffer memory)', () => {
    const d = new Defragmenter();
    const mem = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    d.add(0, 9, 0, true, mem);
    mem.fill(0);
    assert.deepEqual([...(d.add(0, 9, 8, false, Buffer.from([9])) ?? [])], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('directions and ids are separate datagrams; limits drop the oldest', () => {
    const d = new Defragmenter({ maxDatagrams: 2 });
    d.add(0, 7, 0, true, new Uint8Array(8));
    d.add(1, 7, 0, true, new Uint8Array(8));
    d.add(0, 8, 0, true, new Uint8Array(8));
    assert.equal(d.incomplete, 2);
    assert.equal(d.dropped, 1);
    assert.equal(d.add(0, 7, 8, false, new Uint8Array(8)), null, 'its first fragment was dropped');
  });
});
