/**
 * The slot-return ring between the store writer's thread and the capture side (slot-returns.ts):
 * ids come out in the order they went in, a full ring refuses (the writer then sends a message),
 * the wake flag is reported once per request, and the counts keep working past int32 wrap-around.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotReturnReader, SlotReturnWriter, createSlotReturns } from '../../../node/store/live/slot-returns.js';

const drainAll = (r: SlotReturnReader): number[] => {
  const out: number[] = [];
  r.drain((s) => out.push(s));
  return out;
};

describe('slot-return ring', () => {
  test('ids come out in order, each once, and a full ring refuses until read', () => {
    const mem = createSlotReturns(4);
    const w = new SlotReturnWriter(mem);
    const r = new SlotReturnReader(mem);
    assert.deepEqual(drainAll(r), []);
    for (const s of [7, 3, 9, 1]) assert.deepEqual(w.put(s), { put: true, wake: false });
    assert.deepEqual(w.put(5), { put: false, wake: false }, 'a fifth id does not fit in four cells');
    assert.deepEqual(drainAll(r), [7, 3, 9, 1]);
    assert.deepEqual(drainAll(r), [], 'nothing twice');
    assert.equal(w.put(5).put, true);
    assert.deepEqual(drainAll(r), [5]);
  });

  test('the capacity is rounded up to a power of two', () => {
    const mem = createSlotReturns(5);
    const w = new SlotReturnWriter(mem);
    for (let i = 0; i < 8; i++) assert.equal(w.put(i).put, true);
    assert.equal(w.put(8).put, false);
  });

  test('a wake asked for is reported by the next put only', () => {
    const mem = createSlotReturns(8);
    const w = new SlotReturnWriter(mem);
    const r = new SlotReturnReader(mem);
    assert.equal(w.put(1).wake, false);
    r.wantWake();
    assert.deepEqual(w.put(2), { put: true, wake: true });
    assert.equal(w.put(3).wake, false);
    assert.deepEqual(drainAll(r), [1, 2, 3]);
  });

  test('counts that wrap around int32 keep order and bounds', () => {
    const mem = createSlotReturns(4);
    const words = new Int32Array(mem);
    // both counts just below the wrap: the next puts carry them across 2^31 and 2^32
    words[0] = 0x7ffffffe;
    words[1] = 0x7ffffffe;
    const w = new SlotReturnWriter(mem);
    const r = new SlotReturnReader(mem);
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) assert.equal(w.put(round * 10 + i).put, true);
      assert.equal(w.put(99).put, false);
      seen.push(...drainAll(r));
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    words[0] = -2;
    words[1] = -2;
    for (let i = 0; i < 4; i++) assert.equal(w.put(i).put, true);
    assert.deepEqual(drainAll(r), [0, 1, 2, 3]);
  });

  test('a buffer that is not a ring is refused', () => {
    assert.throws(() => new SlotReturnReader(new SharedArrayBuffer(4 * (3 + 6))), /not a slot-return ring/);
    assert.throws(() => createSlotReturns(0), /capacity/);
  });
});
