/** Store statistics of a long-lived Store (serve, the desktop app) include segments written after it opened. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLiveWriter } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { storeStats } from '../../../node/store/store-stats.js';
import { liveTraffic } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestats-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('storeStats of a Store opened before the capture started counts the live segment\'s packets and flows', async () => {
  const dir = join(root, 's');
  const w = await openLiveWriter(dir);
  const store = await Store.open(dir);
  try {
    const before = await storeStats(store, 'local');
    assert.equal(before.total.packets, 0);
    w.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' });
    for (const p of liveTraffic({ seed: 7, count: 250, flows: 3 })) w.packet(p);
    await w.flush();
    const during = await storeStats(store, 'local');
    assert.equal(during.captures.length, 1);
    assert.equal(during.total.packets, 250);
    assert.ok(during.total.flows >= 1);
    assert.ok(during.total.size > 0);
  } finally {
    await w.close();
    await store.close();
  }
});
