/**
 * FlowChains resumed from the state before the last segment (what a long-lived reader does when
 * only the open segment's snapshot changed) links exactly as a full pass does, however often it
 * is resumed, and resuming never changes chains already handed out.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowChains, pieceRef } from '../../../node/store/flow-chains.js';
import { openLiveWriter } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { liveTraffic } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-cap-chains-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Every piece's flow (its head) and the flow's pieces, as text. */
function describe(c: FlowChains, counts: number[]): string[] {
  const out: string[] = [`links ${c.continuations}`];
  counts.forEach((n, f) => {
    for (let i = 0; i < n; i++) out.push(`${f}:${i} -> ${c.head(f, i)} [${c.pieces(c.head(f, i)).join(',')}]`);
  });
  return out;
}

test('resumed linking equals a full pass, and leaves earlier results untouched', async () => {
  const dir = join(root, 's');
  const w = await openLiveWriter(dir, { segmentBytes: 50_000 });
  w.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' });
  for (const p of liveTraffic({ seed: 4, count: 2500, flows: 12, maxPayload: 300 })) w.packet(p);
  await w.close();
  const store = await Store.open(dir);
  try {
    const files = await store.indexes();
    assert.ok(files.length >= 5, `${files.length} segments`);
    const inputs = files.map((f) => ({ view: f.file.view, flowCount: f.file.view.flowCount, continuations: f.file.view.continuations, segment: true }));
    const counts = files.map((f) => f.file.view.flowCount);
    const full = describe(FlowChains.build(inputs), counts);
    assert.ok(FlowChains.build(inputs).continuations > 10, 'flows do cross rotations here');
    const { chains, beforeLast } = FlowChains.buildResumable(inputs);
    assert.deepEqual(describe(chains, counts), full);
    const once = FlowChains.resume(beforeLast, inputs);
    const twice = FlowChains.resume(beforeLast, inputs);
    assert.deepEqual(describe(once, counts), full);
    assert.deepEqual(describe(twice, counts), full);
    assert.deepEqual(describe(chains, counts), full, 'the chains built first are unchanged');
    // a link into the last segment: the piece before it points forward in every result
    const last = files.length - 1;
    const linkedLast = Array.from({ length: counts[last] }, (_, i) => i).find((i) => once.head(last, i) !== pieceRef(last, i));
    assert.ok(linkedLast !== undefined, 'the last segment continues earlier pieces');
  } finally {
    await store.close();
  }
});

test('no captures at all: nothing to link, built or resumed', () => {
  const { chains, beforeLast } = FlowChains.buildResumable([]);
  assert.equal(chains.continuations, 0);
  assert.equal(FlowChains.resume(beforeLast, []).continuations, 0);
});
