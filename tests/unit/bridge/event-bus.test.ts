/** The event bus: batches at most every interval, replays for reconnecting clients, counts what a client missed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../../common/bridge/event-bus.js';
import type { EventBatch, TaplineEvent } from '../../../common/bridge/messages.js';

function notice(n: number): TaplineEvent {
  return { kind: 'notice', id: `e${n}`, sensor: 's', ts: `${1700000000 + n}.000000000`, rank: 0, level: 'info', message: `m${n}` };
}

/** A bus on a manual clock: tick() fires the pending timer. */
function manualBus(opts: { replay?: number; maxQueue?: number; maxBatch?: number } = {}) {
  let pending: (() => void) | null = null;
  let timers = 0;
  const bus = new EventBus({
    ...opts,
    intervalMs: 100,
    setTimer: (fn) => {
      pending = fn;
      timers++;
      return timers;
    },
    clearTimer: () => {
      pending = null;
    },
  });
  return {
    bus,
    tick: () => {
      const fn = pending;
      pending = null;
      fn?.();
    },
    hasTimer: () => pending !== null,
  };
}

test('events published within one interval reach a subscriber as one batch, in order', () => {
  const { bus, tick } = manualBus();
  const got: EventBatch[] = [];
  bus.subscribe((b) => got.push(b));
  for (let i = 1; i <= 500; i++) bus.publish(notice(i));
  assert.equal(got.length, 0, 'nothing before the interval elapses');
  tick();
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].events.map((e) => e.id), Array.from({ length: 500 }, (_, i) => `e${i + 1}`));
  assert.equal(got[0].seq, 500);
  assert.equal(got[0].missed, 0);
});

test('a burst larger than the batch cap is spread over several ticks', () => {
  const { bus, tick, hasTimer } = manualBus({ maxBatch: 100 });
  const got: EventBatch[] = [];
  bus.subscribe((b) => got.push(b));
  for (let i = 1; i <= 250; i++) bus.publish(notice(i));
  tick();
  tick();
  tick();
  assert.deepEqual(got.map((b) => b.events.length), [100, 100, 50]);
  assert.equal(hasTimer(), false, 'idle bus schedules nothing');
});

test('a reconnecting client resumes after its last sequence number from the replay buffer', () => {
  const { bus, tick } = manualBus();
  for (let i = 1; i <= 10; i++) bus.publish(notice(i));
  const got: EventBatch[] = [];
  bus.subscribe((b) => got.push(b), 7);
  tick();
  assert.deepEqual(got[0].events.map((e) => e.id), ['e8', 'e9', 'e10']);
  assert.equal(got[0].missed, 0);
});

test('what fell out of the replay buffer is reported as missed, never silently lost', () => {
  const { bus, tick } = manualBus({ replay: 5 });
  for (let i = 1; i <= 20; i++) bus.publish(notice(i));
  const got: EventBatch[] = [];
  bus.subscribe((b) => got.push(b), 2);
  tick();
  assert.deepEqual(got[0].events.map((e) => e.id), ['e16', 'e17', 'e18', 'e19', 'e20']);
  assert.equal(got[0].missed, 13, 'events 3..15');
});

test('a subscriber that cannot keep up loses its oldest queued events, counted; others are unaffected', () => {
  const { bus, tick } = manualBus({ maxQueue: 10 });
  const slow: EventBatch[] = [];
  const fast: EventBatch[] = [];
  bus.subscribe((b) => slow.push(b));
  for (let i = 1; i <= 25; i++) bus.publish(notice(i));
  bus.subscribe((b) => fast.push(b));
  bus.publish(notice(26));
  tick();
  assert.equal(slow[0].events.length, 10);
  assert.equal(slow[0].events[0].id, 'e17');
  assert.equal(slow[0].missed, 16);
  assert.deepEqual(fast[0].events.map((e) => e.id), ['e26']);
});

test('a subscriber that throws does not stop delivery to the others', () => {
  const { bus, tick } = manualBus();
  const got: EventBatch[] = [];
  bus.subscribe(() => {
    throw new Error('socket closed');
  });
  bus.subscribe((b) => got.push(b));
  bus.publish(notice(1));
  tick();
  assert.equal(got.length, 1);
});

test('unsubscribing stops delivery', () => {
  const { bus, tick } = manualBus();
  const got: EventBatch[] = [];
  const off = bus.subscribe((b) => got.push(b));
  off();
  bus.publish(notice(1));
  tick();
  assert.equal(got.length, 0);
});
