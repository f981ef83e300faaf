import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventBatch, TaplineEvent } from '../../../common/bridge/messages.js';
import { createBatchSlicer } from '../../../renderer/src/app/batch-slicer.js';
import { HTTP_V4 } from './fixtures.js';

const ev = (i: number): TaplineEvent => ({ id: `f-${i}`, sensor: 'lab', ts: `${1000 + i}.0`, rank: 0, kind: 'flow', flow: { ...HTTP_V4, id: `ddc7da321d65-${i}` } });
const batch = (from: number, n: number, missed = 0): EventBatch => ({ seq: from + n, missed, events: Array.from({ length: n }, (_, i) => ev(from + i)) });

/** A clock the applied slices advance, and a task queue run by hand. */
function harness(costPerSliceMs: number, opts: { sliceEvents?: number; budgetMs?: number; maxQueued?: number } = {}) {
  let clock = 0;
  const tasks: (() => void)[] = [];
  const applied: EventBatch[] = [];
  const perTask: number[] = [0];
  const slicer = createBatchSlicer(
    (b) => {
      applied.push(b);
      perTask[perTask.length - 1]! += b.events.length;
      clock += costPerSliceMs;
    },
    { sliceEvents: opts.sliceEvents ?? 100, budgetMs: opts.budgetMs ?? 8, maxQueued: opts.maxQueued ?? 10_000, now: () => clock, yieldTask: (fn) => tasks.push(fn) },
  );
  const runTasks = (): void => {
    while (tasks.length) {
      perTask.push(0);
      tasks.shift()!();
    }
  };
  return { slicer, applied, perTask, runTasks, tasks };
}

test('batch slicer: a big batch is applied in slices, a task stops at the time budget, all events in order', () => {
  const h = harness(3);
  h.slicer.push(batch(0, 1000, 7));
  // 3 ms a slice, 8 ms budget: three slices in the first task, the rest later
  assert.equal(h.perTask[0], 300);
  assert.equal(h.slicer.queued, 700);
  h.runTasks();
  assert.ok(h.perTask.every((n) => n <= 300), `every task applied at most 300 events: ${h.perTask.join(',')}`);
  const ids = h.applied.flatMap((b) => b.events.map((e) => e.id));
  assert.deepEqual(ids, Array.from({ length: 1000 }, (_, i) => `f-${i}`));
  assert.deepEqual(h.applied.map((b) => b.missed), [7, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'missed is told once');
  assert.equal(h.slicer.queued, 0);
});

test('batch slicer: a batch arriving while others wait goes after them; a small batch on an idle slicer is applied at once', () => {
  const h = harness(5);
  h.slicer.push(batch(0, 50));
  assert.equal(h.applied.length, 1, 'idle: applied in the same task');
  h.slicer.push(batch(50, 400));
  h.slicer.push(batch(450, 10));
  assert.equal(h.tasks.length, 1, 'one pump scheduled, not one per batch');
  h.runTasks();
  const ids = h.applied.flatMap((b) => b.events.map((e) => Number(e.id.slice(2))));
  assert.deepEqual(ids, Array.from({ length: 460 }, (_, i) => i));
});

test('batch slicer: past maxQueued the backlog is applied at once (nothing dropped, memory bounded)', () => {
  const h = harness(5, { maxQueued: 500 });
  h.slicer.push(batch(0, 400));
  assert.equal(h.slicer.queued, 200);
  h.slicer.push(batch(400, 400));
  assert.equal(h.slicer.queued, 0);
  assert.equal(h.applied.flatMap((b) => b.events).length, 800);
});
