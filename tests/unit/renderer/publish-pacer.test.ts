/**
 * The live grids' publication pacing: changes coalesce into one publication per frame; with a
 * minimum interval, a change soon after a publication waits for the rest of the interval (a flood
 * re-renders a few times a second), while a change after a quiet spell shows on the next frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacedPublisher } from '../../../renderer/src/ui/publish-pacer.js';

function harness(minMs?: number) {
  let t = 1000;
  const frames: (() => void)[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  let published = 0;
  const changed = pacedPublisher(() => void published++, { frame: (fn) => void frames.push(fn), minMs, now: () => t, delay: (fn, ms) => void timers.push({ at: t + ms, fn }) });
  return {
    changed,
    get published() {
      return published;
    },
    frames,
    timers,
    advance(ms: number) {
      t += ms;
      for (const x of timers.splice(0).filter((x) => x.at <= t)) x.fn();
    },
    flushFrames() {
      for (const f of frames.splice(0)) f();
    },
  };
}

test('without a minimum, changes coalesce into one publication per frame', () => {
  const h = harness();
  h.changed();
  h.changed();
  assert.equal(h.frames.length, 1);
  h.flushFrames();
  assert.equal(h.published, 1);
  h.changed();
  h.flushFrames();
  assert.equal(h.published, 2, 'the next frame publishes again');
});

test('with a minimum, a change right after a publication waits out the interval; after a quiet spell it shows on the next frame', () => {
  const h = harness(100);
  h.changed();
  assert.equal(h.frames.length, 1, 'first change: the next frame');
  h.flushFrames();
  assert.equal(h.published, 1);
  h.advance(16);
  h.changed();
  h.changed();
  assert.equal(h.frames.length, 0, 'held back');
  assert.equal(h.timers.length, 1);
  assert.equal(h.timers[0].at, 1100, 'until 100 ms after the last publication');
  h.advance(84);
  assert.equal(h.frames.length, 1);
  h.flushFrames();
  assert.equal(h.published, 2, 'both changes in one publication');
  h.advance(500);
  h.changed();
  assert.equal(h.frames.length, 1, 'quiet for longer than the interval: no wait');
});
