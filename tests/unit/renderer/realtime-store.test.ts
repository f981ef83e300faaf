/**
 * The Real-Time store: live batches (any event kind, including kinds this build does not know)
 * become aggregated rows published once per frame; pause / auto-pause hold new rows back with a
 * count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { createRealtimeStore } from '../../../renderer/src/realtime/realtime-store.js';
import { HTTP_V4 } from './fixtures.js';

const frames: (() => void)[] = [];
const frame = (fn: () => void) => frames.push(fn);
const flush = () => frames.splice(0).forEach((f) => f());

const flowEvent = (i: number): TaplineEvent => ({ id: `f${i}`, sensor: 'lab', ts: `${1000 + i}.0`, rank: 0, kind: 'flow', flow: { ...HTTP_V4, id: `ddc7da321d65-${i}`, server_port: 1000 + i } });
const discovery = (ip: string): TaplineEvent => ({ id: `d-${ip}`, sensor: 'lab', ts: '2000.0', rank: 1, kind: 'service', ip, port: 22, service: 'ssh OpenSSH_9.2' }) as unknown as TaplineEvent;

test('rows are published once per frame however many batches arrived', () => {
  const rt = createRealtimeStore({ frame });
  rt.getState().setShowFlowRows(true);
  flush();
  const v0 = rt.getState().version;
  for (let i = 0; i < 50; i++) rt.getState().ingest([flowEvent(i)]);
  assert.equal(frames.length, 1);
  flush();
  assert.equal(rt.getState().version, v0 + 1);
  assert.equal(rt.getState().visibleCount, 50);
});

test('manual and automatic pause hold new rows back and count them', () => {
  const rt = createRealtimeStore({ frame });
  rt.getState().setShowFlowRows(true);
  rt.getState().ingest([flowEvent(1)]);
  rt.getState().setScrolledAway(true);
  assert.equal(rt.getState().pause, 'auto');
  rt.getState().ingest([flowEvent(2), flowEvent(3)]);
  flush();
  assert.equal(rt.getState().visibleCount, 1);
  assert.equal(rt.getState().pendingNew, 2);
  rt.getState().setScrolledAway(false);
  flush();
  assert.equal(rt.getState().pause, 'live');
  assert.equal(rt.getState().visibleCount, 3);
  rt.getState().setPaused('manual');
  rt.getState().setScrolledAway(false); // scrolling back does not end a manual pause
  assert.equal(rt.getState().pause, 'manual');
});

test('flow events are hidden until enabled; an unknown kind tied to an address brings its flow row with it', () => {
  const rt = createRealtimeStore({ frame });
  rt.getState().ingest([flowEvent(1)]);
  flush();
  assert.equal(rt.getState().visibleCount, 0);
  assert.equal(rt.getState().total, 1);
  rt.getState().ingest([discovery(HTTP_V4.server_ip ?? '')]);
  flush();
  assert.equal(rt.getState().visibleCount, 2);
  const rows = [0, 1].map((i) => rt.getState().agg.rowAt(i));
  assert.deepEqual(rows.map((r) => r?.rowKind).sort(), ['event', 'flow']);
  assert.equal(rows.find((r) => r?.rowKind === 'event')?.kind, 'service');
});
