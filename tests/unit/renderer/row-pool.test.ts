import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK_ROWS, RowPool, blockBase, visibleRange } from '../../../renderer/src/ui/row-pool.js';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const slotsOf = (pairs: [number, number][]): Map<number, number> => new Map(pairs);

test('row pool: a row still in view keeps its slot; rows that came in take the slots of rows that left', () => {
  const pool = new RowPool();
  const first = slotsOf(pool.assign(range(0, 10)));
  assert.deepEqual([...first.values()].sort((a, b) => a - b), range(0, 10));
  const second = slotsOf(pool.assign(range(3, 10)));
  for (let i = 3; i < 10; i++) assert.equal(second.get(i), first.get(i), `row ${i} kept its slot`);
  // rows 10..12 came in and took the slots rows 0..2 freed: still ten slots, 0..9
  assert.deepEqual([...second.values()].sort((a, b) => a - b), range(0, 10));
});

test('row pool: a jump past the whole window reuses the same slots (no new elements), listed in slot order', () => {
  const pool = new RowPool();
  pool.assign(range(0, 40));
  const jumped = pool.assign(range(500_000, 40));
  assert.deepEqual(jumped.map(([, s]) => s), range(0, 40));
  assert.deepEqual(new Set(jumped.map(([i]) => i)), new Set(range(500_000, 40)));
});

test('row pool: a growing window adds slots, a shrinking one keeps the survivors, reset forgets', () => {
  const pool = new RowPool();
  pool.assign(range(0, 5));
  const grown = slotsOf(pool.assign(range(0, 8)));
  assert.deepEqual(range(0, 5).map((i) => grown.get(i)), range(0, 5));
  assert.deepEqual([5, 6, 7].map((i) => grown.get(i)), [5, 6, 7]);
  const shrunk = slotsOf(pool.assign([6, 7]));
  assert.deepEqual([shrunk.get(6), shrunk.get(7)], [6, 7]);
  pool.reset();
  assert.deepEqual(pool.assign([6, 7]), [[6, 0], [7, 1]]);
});

test('block base: rows inside one block share a base, so their offsets stay put while scrolling', () => {
  assert.equal(blockBase(0, 24), 0);
  assert.equal(blockBase(BLOCK_ROWS - 1, 24), 0);
  assert.equal(blockBase(BLOCK_ROWS, 24), BLOCK_ROWS * 24);
  assert.equal(blockBase(999_999, 40), Math.floor(999_999 / BLOCK_ROWS) * BLOCK_ROWS * 40);
  assert.equal(blockBase(-3, 24), 0);
});

test('visible range: the rows under the viewport plus overscan, clamped to the row count', () => {
  assert.deepEqual(visibleRange(0, 240, 24, 1_000_000, 4), { start: 0, end: 14 });
  // offset 2,412 px: row 100 is half hidden at the top, row 110 half shown at the bottom
  assert.deepEqual(visibleRange(2412, 240, 24, 1_000_000, 4), { start: 96, end: 115 });
  assert.deepEqual(visibleRange(999_990 * 24, 240, 24, 1_000_000, 4), { start: 999_986, end: 1_000_000 });
  assert.deepEqual(visibleRange(0, 240, 24, 3, 4), { start: 0, end: 3 });
  assert.deepEqual(visibleRange(5000, 240, 24, 0, 4), { start: 0, end: 0 });
  // an offset past the end (the count just shrank) renders the last rows it can, never a negative range
  const r = visibleRange(10_000, 240, 24, 50, 4);
  assert.ok(r.start <= r.end && r.end === 50);
});
