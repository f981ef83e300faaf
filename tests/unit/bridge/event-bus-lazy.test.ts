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

/** A source that wants to know when the bus lets go of it (LazyEvents.released) and fails loudly if an event is built from it after that. */
function releasable(offset: number, _n: number): { released: number; gone: boolean; event(i: number): TaplineEvent } {
  const s = { released: 0, gone: false, event: (i: number): TaplineEvent => (assert.ok(!s.gone, 'built after it was released'), notice(offset + i)) };
  return s;
}

function lazySource(r: ReturnType<typeof releasable>): { event(i: number): TaplineEvent; released(): void } {
  return {
    event: (i) => r.event(i),
    released: () => {
      r.released++;
      r.gone = true;
    },
  };
}

test('a lazily published source is released once no replay slot holds it any more, not before; replayed events stay right', () => {
  const { bus } = manualBus(10);
  const a = releasable(0, 4);
  bus.publishLazy(4, lazySource(a));
  const b = releasable(4, 4);
  bus.publishLazy(4, lazySource(b));
  assert.equal(a.released, 0);
  // 2 of a's 4 slots overwritten: still held
  const c = releasable(8, 4);
  bus.publishLazy(4, lazySource(c));
  assert.equal(a.released, 0);
  // history builds what is replayed (a's last two): the items then no longer need a
  assert.deepEqual(
    bus.recent().map((e) => e.id),
    ['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11'],
  );
  // every replayed event was built: no slot and no unbuilt item refers to a, b or c
  assert.deepEqual([a.released, b.released, c.released], [1, 1, 1]);
  // d's slots overwritten by later sources: released only once the last one goes
  const d = releasable(12, 8);
  bus.publishLazy(8, lazySource(d));
  const e = releasable(20, 9);
  bus.publishLazy(9, lazySource(e));
  assert.equal(d.released, 0, 'one slot left');
  bus.publishLazy(1, lazySource(releasable(29, 1)));
  assert.equal(d.released, 1);
  assert.equal(e.released, 0);
  assert.deepEqual(
    bus.recent().map((x) => x.id),
    ['e20', 'e21', 'e22', 'e23', 'e24', 'e25', 'e26', 'e27', 'e28', 'e29'],
  );
  assert.deepEqual([a.released, b.released, c.released, d.released, e.released], [1, 1, 1, 1, 1], 'each once');
});

test('a source longer than the replay buffer, or a bus without one, is released only after its publication', () => {
  const { bus } = manualBus(3);
  const a = releasable(0, 5);
  bus.publishLazy(5, lazySource(a));
  assert.equal(a.released, 0, 'its last 3 events are still replayable');
  assert.deepEqual(
    bus.recent().map((e) => e.id),
    ['e2', 'e3', 'e4'],
  );
  assert.equal(a.released, 1);
  const none = manualBus(0);
  const b = releasable(0, 2);
  none.bus.publishLazy(2, lazySource(b));
  assert.equal(b.released, 1);
});

test('with a subscriber a source is released once every item made from it was built and its slots are gone; an item never built keeps it', () => {
  const { bus, tick } = manualBus(4);
  const got: string[] = [];
  bus.subscribe((batch) => got.push(...batch.events.map((e) => e.id)));
  const a = releasable(0, 3);
  bus.publishLazy(3, lazySource(a));
  assert.equal(a.released, 0, 'queued, not built');
  tick();
  assert.deepEqual(got, ['e0', 'e1', 'e2']);
  assert.equal(a.released, 1, 'every item built on delivery');
  // a slow subscriber's queue drops items (maxQueue): those never built keep their source
  let pending: (() => void) | null = null;
  const small = new EventBus({ intervalMs: 100, replay: 2, maxQueue: 2, setTimer: (fn) => ((pending = fn), 1), clearTimer: () => (pending = null) });
  small.subscribe(() => undefined);
  const b = releasable(0, 4);
  small.publishLazy(4, lazySource(b));
  (pending as (() => void) | null)?.();
  assert.equal(b.released, 0, 'two items dropped unbuilt: never released (the garbage collector frees it)');
});
