/**
 * Live batches validated and delivered in time slices: a quiet stream is delivered at once as
 * before; a big batch is split across tasks when the slice budget runs out, in order, with its
 * `missed` on the first part only; bad events cost themselves and are reported once per batch;
 * unsubscribing drops what is queued.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventBatch, TaplineEvent } from '../../../common/bridge/messages.js';
import { MIN_SLICE, SlicedBatchIntake, type IntakeEnv } from '../../../renderer/src/bridge/sliced-intake.js';
import { HTTP_V4 } from './fixtures.js';

const flowEvent = (i: number): TaplineEvent => ({ kind: 'flow', id: `e${i}`, sensor: 'lab', ts: '1362692526.869344000', rank: 0, flow: { ...HTTP_V4, id: `ddc7da321d65-${i}` } });

/** A clock that moves `step` ms per reading, and a task queue run by hand. */
function manualEnv(step: number): IntakeEnv & { tasks: (() => void)[]; runAll(): number } {
  let t = 0;
  const tasks: (() => void)[] = [];
  return {
    tasks,
    now: () => (t += step),
    later: (fn) => void tasks.push(fn),
    runAll() {
      let n = 0;
      while (tasks.length) {
        tasks.shift()?.();
        n++;
      }
      return n;
    },
  };
}

test('a small batch on a quiet stream is delivered inside push, checked event by event', () => {
  const env = manualEnv(1000); // even a very slow clock cannot split it
  const got: EventBatch[] = [];
  const rejected: string[] = [];
  const intake = new SlicedBatchIntake((b) => got.push(b), (d) => rejected.push(d), env);
  assert.equal(intake.push({ seq: 7, missed: 2, events: [flowEvent(1), { kind: 'flow', id: 'x' }, flowEvent(2)] }), 7);
  assert.equal(env.tasks.length, 0);
  assert.deepEqual(got, [{ seq: 7, missed: 2, events: [flowEvent(1), flowEvent(2)] }]);
  assert.equal(rejected.length, 1);
  assert.match(rejected[0], /^1 event\(s\) failed validation \(/);
  assert.equal(intake.push({ seq: 'x', events: [] }), null);
  assert.deepEqual(rejected.slice(1), ['a batch without a valid seq/events/missed envelope']);
  // an empty batch still arrives (it may carry missed)
  intake.push({ seq: 8, missed: 0, events: [] });
  assert.deepEqual(got[1], { seq: 8, missed: 0, events: [] });
});

test('a big batch is split into slices that yield between them; everything arrives in order, missed only on the first part', () => {
  // 0.1 ms per clock reading: a slice of 8 ms covers about 40 readings, so MIN_SLICE events per slice
  const env = manualEnv(0.1);
  const got: EventBatch[] = [];
  const intake = new SlicedBatchIntake((b) => got.push(b), () => assert.fail('nothing is invalid'), env, { budgetMs: 8 });
  const first = Array.from({ length: 500 }, (_, i) => flowEvent(i));
  const second = Array.from({ length: 100 }, (_, i) => flowEvent(500 + i));
  intake.push({ seq: 1, missed: 3, events: first });
  const inPush = got.reduce((n, b) => n + b.events.length, 0);
  assert.ok(inPush >= MIN_SLICE && inPush < 500, `only a slice ran inside push (${inPush} events)`);
  assert.equal(env.tasks.length, 1, 'the rest waits for a later task');
  intake.push({ seq: 2, missed: 0, events: second });
  assert.equal(env.tasks.length, 1, 'a batch arriving meanwhile queues behind, no second pump');
  assert.equal(intake.backlog, 600 - inPush);
  const slices = env.runAll();
  assert.ok(slices >= 3, `several later slices (${slices})`);
  const ids = got.flatMap((b) => b.events.map((e) => e.id));
  assert.deepEqual(ids, [...first, ...second].map((e) => e.id));
  assert.equal(got[0].missed, 3);
  assert.ok(got.slice(1).every((b) => b.missed === 0));
  assert.deepEqual([...new Set(got.map((b) => b.seq))], [1, 2]);
  assert.equal(intake.backlog, 0);
});

test('invalid events in a sliced batch are reported once, when the batch is through', () => {
  const env = manualEnv(1);
  const rejected: string[] = [];
  const intake = new SlicedBatchIntake(() => undefined, (d) => rejected.push(d), env, { budgetMs: 8 });
  const events: unknown[] = Array.from({ length: 300 }, (_, i) => (i % 100 === 0 ? { kind: 'flow', id: i } : flowEvent(i)));
  intake.push({ seq: 1, missed: 0, events });
  assert.equal(rejected.length, 0, 'not yet: the batch is not through');
  env.runAll();
  assert.equal(rejected.length, 1);
  assert.match(rejected[0], /^3 event\(s\) failed validation/);
});

test('clear drops what is queued: nothing more is delivered', () => {
  const env = manualEnv(1);
  const got: EventBatch[] = [];
  const intake = new SlicedBatchIntake((b) => got.push(b), () => undefined, env, { budgetMs: 8 });
  intake.push({ seq: 1, missed: 0, events: Array.from({ length: 400 }, (_, i) => flowEvent(i)) });
  const before = got.length;
  intake.clear();
  env.runAll();
  assert.equal(got.length, before);
});

test('a producer faster than the page is held back: past maxBacklog, push works the queue down before it returns', () => {
  const env = manualEnv(100); // every slice is over budget at once
  const got: EventBatch[] = [];
  const intake = new SlicedBatchIntake((b) => got.push(b), () => undefined, env, { budgetMs: 8, maxBacklog: 100 });
  let next = 0;
  for (let b = 0; b < 10; b++) {
    intake.push({ seq: b + 1, missed: 0, events: Array.from({ length: 200 }, () => flowEvent(next++)) });
    assert.ok(intake.backlog <= 100, `backlog ${intake.backlog} after batch ${b + 1}`);
  }
  env.runAll();
  assert.equal(intake.backlog, 0);
  assert.deepEqual(
    got.flatMap((x) => x.events.map((e) => e.id)),
    Array.from({ length: 2000 }, (_, i) => `e${i}`),
  );
});
