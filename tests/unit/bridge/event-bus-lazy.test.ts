/** EventBus.publishLazy: the same batches, sequence numbers and replay as publish(), each event built once and only when needed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../../common/bridge/event-bus.js';
import type { EventBatch, TaplineEvent } from '../../../common/bridge/messages.js';

function notice(n: number): TaplineEvent {
  return { kind: 'notice', id: `e${n}`, sensor: 's', ts: `${1700000000 + n}.000000000`, rank: 0, level: 'info', message: `m${n}` };
}

function manualBus(replay = 100): { bus: EventBus; tick: () => void } {
  let pending: (() => void) | null = null;
  const bus = new EventBus({ intervalMs: 100, replay, setTimer: (fn) => ((pending = fn), 1), clearTimer: () => (pending = null) });
  return {
    bus,
    tick: () => {
      const fn = pending;
      pending = null;
      fn?.();
    },
  };
}

/** A source that counts how often each event is built. */
function source(offset: number, n: number) {
  const built = new Array<number>(n).fill(0);
  return { built, event: (i: number) => (built[i]++, notice(offset + i)) };
}

test('lazily published events reach subscribers as eagerly published ones do, built once for all subscribers', () => {
  const eager = manualBus();
  const lazy = manualBus();
  const got = { eager: [] as EventBatch[], lazy: [] as EventBatch[], lazy2: [] as EventBatch[] };
  eager.bus.subscribe((b) => got.eager.push(b));
  lazy.bus.subscribe((b) => got.lazy.push(b));
  lazy.bus.subscribe((b) => got.lazy2.push(b));
  eager.bus.publish(notice(0));
  lazy.bus.publish(notice(0));
  for (let i = 1; i <= 5; i++) eager.bus.publish(notice(i));
  const src = source(1, 5);
  assert.equal(lazy.bus.publishLazy(5, src), 6);
  assert.deepEqual(src.built, [0, 0, 0, 0, 0], 'nothing built before delivery');
  eager.tick();
  lazy.tick();
  assert.deepEqual(got.lazy, got.eager);
  assert.deepEqual(got.lazy2, got.eager);
  assert.deepEqual(src.built, [1, 1, 1, 1, 1]);
  assert.equal(got.lazy[0].events[3], got.lazy2[0].events[3], 'one object for every subscriber');
});

test('without subscribers nothing is built until history is asked for; replay after a sequence number works across lazy events', () => {
  const { bus, tick } = manualBus(4);
  const src = source(0, 6);
  bus.publishLazy(6, src);
  assert.deepEqual(src.built, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(bus.recent().map((e) => e.id), ['e2', 'e3', 'e4', 'e5']);
  const got: EventBatch[] = [];
  bus.subscribe((b) => got.push(b), 3);
  tick();
  assert.deepEqual(got.map((b) => [b.seq, b.events.map((e) => e.id), b.missed]), [[6, ['e3', 'e4', 'e5'], 0]]);
  assert.deepEqual(src.built, [0, 0, 1, 1, 1, 1], 'built once each, only those asked for');
  assert.equal(bus.publishLazy(0, src), 6);
});
