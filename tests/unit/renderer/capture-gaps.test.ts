/**
 * The sensor window's capture gaps: fetched through Bridge.captureGaps (the newest GAPS_LIMIT),
 * shown newest first with their total; a failure is kept in words beside the last good list; a
 * late answer of an older refresh never overwrites a newer one. Gap lengths read as people say them.
 * On the Historical time chart a gap shades the buckets it touches (only gaps in the chart's span).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { CaptureGaps } from '../../../common/capture/capture-gap.js';
import { GAPS_LIMIT, createCaptureGapsStore, formatGapLength } from '../../../renderer/src/capture-gaps/capture-gaps-store.js';
import { gapBucketSpans } from '../../../renderer/src/capture-gaps/gap-spans.js';
import { FakeBridge } from './fake-bridge.js';

const gap = (from: number, seconds: number, reason: string) => ({
  from: `${from}.000000000`,
  to: `${from + seconds}.000000000`,
  seconds,
  reason,
  segment: null,
});

test('gaps come newest first with their total; a failure keeps the last list and says what happened', async () => {
  const bridge = new FakeBridge();
  bridge.gaps = { gaps: [gap(1_700_000_000, 2, 'ssh feed lost: connection reset'), gap(1_700_000_100, 30, 'remote tcpdump restarted')], total: 5, unreadableLines: 1 };
  const asked: (number | undefined)[] = [];
  const answer = bridge.captureGaps.bind(bridge);
  bridge.captureGaps = (o) => {
    asked.push(o?.limit);
    return answer(o);
  };
  const s = createCaptureGapsStore({ bridge, now: () => 42 });
  assert.equal(s.getState().loadedAt, null);
  await s.getState().refresh();
  const st = s.getState();
  assert.deepEqual(asked, [GAPS_LIMIT]);
  assert.deepEqual(st.gaps.map((g) => g.reason), ['remote tcpdump restarted', 'ssh feed lost: connection reset']);
  assert.deepEqual([st.total, st.unreadableLines, st.loadedAt, st.error], [5, 1, 42, null]);

  bridge.gapsFailure = new BridgeCallError('the sensor did not answer', 'check the connection');
  await s.getState().refresh();
  assert.deepEqual(s.getState().error, { message: 'the sensor did not answer', hint: 'check the connection' });
  assert.equal(s.getState().gaps.length, 2, 'the last good list stays');
  bridge.gapsFailure = null;
  await s.getState().refresh();
  assert.equal(s.getState().error, null);
});

test('an older refresh answering late does not overwrite a newer one', async () => {
  const answers: ((g: CaptureGaps) => void)[] = [];
  const s = createCaptureGapsStore({ bridge: { captureGaps: () => new Promise<CaptureGaps>((r) => answers.push(r)) }, now: () => 1 });
  const first = s.getState().refresh();
  const second = s.getState().refresh();
  answers[1]({ gaps: [gap(1_700_000_500, 1, 'newer')], total: 1, unreadableLines: 0 });
  await second;
  answers[0]({ gaps: [gap(1_700_000_000, 1, 'older')], total: 1, unreadableLines: 0 });
  await first;
  assert.deepEqual(s.getState().gaps.map((g) => g.reason), ['newer']);
});

test('gap lengths', () => {
  assert.equal(formatGapLength(0.25), '250 ms');
  assert.equal(formatGapLength(1.5), '1.5 s');
  assert.equal(formatGapLength(30.25), '30 s');
  assert.equal(formatGapLength(200), '3 min 20 s');
  assert.equal(formatGapLength(7500), '2 h 05 min');
});

test('gaps on a bucketed time chart: the buckets each gap touches, clamped to the chart; gaps outside left out', () => {
  const starts = [1000, 1060, 1120, 1180]; // 60 s buckets, chart covers [1000, 1240)
  const spans = gapBucketSpans(
    [gap(900, 50, 'before the chart'), gap(950, 100, 'overlaps the start'), gap(1070, 65, 'inside'), gap(1200, 500, 'runs past the end'), gap(1240, 10, 'after the chart')],
    starts,
    60,
  );
  assert.deepEqual(
    spans.map((s) => [s.gap.reason, s.x1, s.x2]),
    [
      ['overlaps the start', 1000, 1000],
      ['inside', 1060, 1120],
      ['runs past the end', 1180, 1180],
    ],
  );
  assert.deepEqual(gapBucketSpans([gap(1000, 1, 'x')], [], 60), [], 'no buckets, no marks');
});
