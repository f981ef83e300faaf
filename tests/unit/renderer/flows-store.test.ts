import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { FlowRow } from '../../../common/bridge/messages.js';
import { createFlowsStore } from '../../../renderer/src/flows/flows-store.js';
import { FakeBridge, tick } from './fake-bridge.js';
import { HTTP_V4, HTTP_V6, ICMP_V4, flowN } from './fixtures.js';

function setup(maxRows?: number) {
  const bridge = new FakeBridge();
  const frames: (() => void)[] = [];
  const store = createFlowsStore({ bridge, zone: () => 'UTC', now: () => 1_700_000_000_000, frame: (fn) => frames.push(fn), maxRows });
  /** Runs the pending animation frame(s), as the browser would before painting. */
  const paint = () => {
    for (const f of frames.splice(0)) f();
  };
  return { bridge, store, paint, st: () => store.getState() };
}

const live = (flow: FlowRow, rank = 0) => ({ flow, rank });

test('submit validates the form, runs the search and shows the rows', async () => {
  const { bridge, paint, st } = setup();
  st().setField('host1', '10.0.0.300');
  assert.equal(await st().submit(), false);
  assert.ok(st().fieldErrors.host1);
  assert.equal(bridge.searches.length, 0);
  st().setField('host1', '141.142.228.5');
  assert.equal(st().fieldErrors.host1, undefined, 'editing a field clears its error');
  const done = st().submit();
  assert.equal(st().status.kind, 'loading');
  bridge.answer([HTTP_V4]);
  assert.equal(await done, true);
  assert.deepEqual(bridge.searches[0], { hosts: ['141.142.228.5'], limit: 1000 });
  paint();
  assert.equal(st().visibleCount, 1);
  const status = st().status;
  assert.ok(status.kind === 'done' && status.count === 1 && !status.truncated);
});

test('live flows merge into the results once per frame, filtered by the search', async () => {
  const { bridge, paint, st } = setup();
  st().setField('port', '80');
  const p = st().submit();
  // events during the search wait for its results, then merge (no duplicates)
  st().ingest([live(HTTP_V4, 5), live(ICMP_V4)]);
  bridge.answer([HTTP_V4]);
  await p;
  paint();
  assert.equal(st().visibleCount, 1, 'the ICMP flow does not match port 80');
  assert.equal(st().rows.rowAt(0)?.rank, 5, 'the live rank was merged into the result row');
  const v = st().version;
  st().ingest([live(HTTP_V6)]);
  st().ingest([live({ ...HTTP_V6, id: 'cf0de69c9718-2' })]);
  assert.equal(st().version, v, 'nothing is published before the frame');
  paint();
  assert.equal(st().version, v + 1, 'one publish for both batches');
  assert.equal(st().visibleCount, 3);
});

test('pause holds rows back with counts; scrolling away pauses and coming back resumes', async () => {
  const { bridge, paint, st } = setup();
  const p = st().submit();
  bridge.answer([flowN(1)]);
  await p;
  st().setPaused('manual');
  st().ingest([live(flowN(2)), live(flowN(3)), live({ ...flowN(1), packets: 1 })]);
  paint();
  assert.equal(st().visibleCount, 1);
  assert.equal(st().pendingNew, 2);
  assert.equal(st().pendingUpdates, 1);
  st().setScrolledAway(false);
  assert.equal(st().pause, 'manual', 'a manual pause is not undone by scrolling');
  st().setPaused('live');
  paint();
  assert.equal(st().visibleCount, 3);
  assert.equal(st().pendingNew, 0);

  st().setScrolledAway(true);
  assert.equal(st().pause, 'auto');
  st().ingest([live(flowN(4))]);
  paint();
  assert.equal(st().pendingNew, 1);
  st().setScrolledAway(false);
  paint();
  assert.equal(st().pause, 'live');
  assert.equal(st().visibleCount, 4);
});

test('an import while paused re-runs the search on resume, not before', async () => {
  const { bridge, st } = setup();
  const p = st().submit();
  bridge.answer([]);
  await p;
  st().setPaused('manual');
  st().importFinished();
  assert.equal(st().refreshHeld, true);
  assert.equal(bridge.searches.length, 1);
  st().setPaused('live');
  assert.equal(bridge.searches.length, 2);
  bridge.answer([HTTP_V4]);
  await tick();
  assert.equal(st().refreshHeld, false);
  st().importFinished();
  assert.equal(bridge.searches.length, 3, 'live: re-run at once');
});

test('a failed search keeps the rows and shows the error with its hint', async () => {
  const { bridge, paint, st } = setup();
  const p = st().submit();
  bridge.answer([HTTP_V4]);
  await p;
  const q = st().submit();
  bridge.pending.shift()?.reject(new BridgeCallError('since is after until', 'swap them', 400));
  await q;
  paint();
  const s = st().status;
  assert.ok(s.kind === 'error' && s.message === 'since is after until' && s.hint === 'swap them' && s.status === 400);
  assert.equal(st().visibleCount, 1);
});

test('filter by a value refines the search; exclude hides rows locally; search by IP starts afresh', async () => {
  const { bridge, paint, st } = setup();
  const p = st().submit();
  bridge.answer([HTTP_V4, HTTP_V6]);
  await p;
  st().setField('port', '80');
  const f = st().filterBy('ip', '192.150.187.43');
  assert.deepEqual(bridge.searches.at(-1), { hosts: ['192.150.187.43'], port: 80, limit: 1000 });
  bridge.answer([HTTP_V4]);
  assert.equal(await f, null);
  const g = st().filterBy('proto', 6);
  assert.deepEqual(bridge.searches.at(-1), { hosts: ['192.150.187.43'], port: 80, proto: 6, limit: 1000 });
  bridge.answer([HTTP_V4]);
  await g;
  st().exclude({ field: 'port', value: 80 });
  paint();
  assert.equal(st().visibleCount, 0);
  st().removeExclusion(0);
  paint();
  assert.equal(st().visibleCount, 1);
  const s = st().searchIp('10.0.0.1');
  assert.deepEqual(bridge.searches.at(-1), { hosts: ['10.0.0.1'], limit: 1000 });
  bridge.answer([]);
  await s;
  assert.equal(st().form.port, '');
});

test('a newer search wins over a slower older one', async () => {
  const { bridge, paint, st } = setup();
  const a = st().runSearch({ limit: 10 });
  const b = st().runSearch({ limit: 20 });
  bridge.answer([HTTP_V4, HTTP_V6]);
  bridge.answer([ICMP_V4]);
  await Promise.all([a, b]);
  paint();
  assert.equal(st().visibleCount, 1);
  assert.equal(st().rows.rowAt(0)?.id, ICMP_V4.id);
});

test('the selection stays on its flow when the row cap drops older rows', async () => {
  const { bridge, paint, st } = setup(1000);
  const p = st().submit();
  bridge.answer([]);
  await p;
  st().ingest(Array.from({ length: 1000 }, (_, i) => live(flowN(i))));
  paint();
  st().select(st().rows.find('lab', '0123456789ab-500'));
  st().ingest([live(flowN(1000))]);
  paint();
  assert.equal(st().dropped, 100, 'the oldest tenth went at once');
  assert.equal(st().rows.row(st().selectedSlot)?.id, '0123456789ab-500');
  st().select(st().rows.find('lab', '0123456789ab-150'));
  st().ingest(Array.from({ length: 100 }, (_, i) => live(flowN(1001 + i))));
  paint();
  assert.equal(st().selectedSlot, -1, 'a dropped row is no longer selected');
});
