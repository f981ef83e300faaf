/**
 * The ring: under continuous traffic the segments never exceed maxStoreBytes by more than one
 * segment, deleted segments take their flows with them, and age retention deletes old segments.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openLiveWriter } from '../../../node/store/live/index.js';
import { enforceRetention } from '../../../node/store/live/retention.js';
import { newSegmentId, segmentCapturePath, segmentIndexPath, segmentLiveIndexPath, segmentsDir } from '../../../node/store/live/segment-files.js';
import { Store } from '../../../node/store/store.js';
import { flowPackets } from '../../../node/store/slicer.js';
import { asStored, liveTraffic, storedPackets } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-ret-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };

function segmentBytes(dir: string): { total: number; largestCapture: number; files: string[] } {
  const seg = join(dir, 'segments');
  let total = 0;
  let largestCapture = 0;
  const files = readdirSync(seg).filter((f) => /^[0-9a-f]{12}\./.test(f));
  for (const f of files) {
    const n = statSync(join(seg, f)).size;
    total += n;
    if (/\.pcap(ng)?$/.test(f)) largestCapture = Math.max(largestCapture, n);
  }
  return { total, largestCapture, files };
}

describe('retention', () => {
  test('the store never exceeds maxStoreBytes by more than one segment, and queries only return flows still on disk', async () => {
    const dir = join(root, 'bytes');
    const max = 1_000_000;
    const w = await openLiveWriter(dir, { maxStoreBytes: max, segmentBytes: 200_000 });
    w.link(ETH);
    const all = [...liveTraffic({ seed: 21, count: 20_000, flows: 50, maxPayload: 600 })];
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < all.length; i += 500) {
      for (const p of all.slice(i, i + 500)) w.packet(p);
      await w.flush();
      const b = segmentBytes(dir);
      worst = Math.max(worst, b.total);
      largest = Math.max(largest, b.largestCapture);
    }
    assert.ok(w.stats().storedPackets === all.length);
    assert.ok(largest <= 200_000);
    assert.ok(worst <= max + largest + 64 * 1024, `worst ${worst} bytes vs bound ${max} + one segment ${largest} (+ its index)`);
    await w.close();
    assert.ok(segmentBytes(dir).total <= max + largest + 64 * 1024);
    const store = await Store.open(dir);
    try {
      // what remains is the newest packets, each sliceable, a suffix of what was sent
      const got = await storedPackets(store);
      assert.ok(got.length > 0 && got.length < all.length);
      assert.deepEqual(got, all.slice(all.length - got.length).map(asStored));
      // every flow a query returns reads back completely
      for (const f of await store.findFlows({})) {
        let n = 0;
        for await (const _ of flowPackets(store, { flows: [f] })) n++;
        assert.equal(n, f.record.clientPackets + f.record.serverPackets);
      }
    } finally {
      await store.close();
    }
  });

  test('segments older than maxAgeSeconds are deleted within seconds', async () => {
    const dir = join(root, 'age');
    // segments rotate at least every maxAge/4 = 1 s of wall-clock time
    const w = await openLiveWriter(dir, { maxAgeSeconds: 2, flushIntervalMs: 200 });
    w.link(ETH);
    const first = [...liveTraffic({ seed: 22, count: 100, flows: 3 })];
    for (const p of first) w.packet(p);
    await w.flush();
    const store = await Store.open(dir);
    try {
      assert.equal((await storedPackets(store)).length, 100);
      // keep traffic flowing (a new packet every 100 ms) until the first packets are gone; bounded
      const more = liveTraffic({ seed: 23, count: 300, flows: 3, t0: 1_800_000_000, portBase: 40000 });
      let gone = false;
      for (let i = 0; i < 300 && !gone; i++) {
        const n = more.next();
        if (!n.done) w.packet(n.value);
        await sleep(100);
        const left = await storedPackets(store);
        gone = !left.some((p) => p.tsSec < 1_800_000_000);
      }
      assert.ok(gone, 'the first segment was deleted by age');
      // the later traffic is kept (its segments are younger than 2 s when the first one goes)
      assert.ok((await storedPackets(store)).length > 0, 'newer packets are still stored');
    } finally {
      await store.close();
      await w.close();
    }
  });
});

describe('reads racing retention', () => {
  test('a read of flows found before retention deleted their segment leaves that segment out instead of failing', async () => {
    const dir = join(root, 'race');
    const w = await openLiveWriter(dir, { segmentBytes: 100_000 });
    w.link(ETH);
    const all = [...liveTraffic({ seed: 31, count: 2_000, flows: 10, maxPayload: 600 })];
    for (const p of all) w.packet(p);
    await w.close();
    const store = await Store.open(dir);
    try {
      const flows = await store.findFlows({});
      const before = await storedPackets(store);
      assert.equal(before.length, all.length);
      // retention deletes the oldest segments between the query and the read
      const r = await enforceRetention(dir, { maxStoreBytes: 300_000, maxAgeSeconds: 0, openSegment: null, log: () => undefined });
      assert.ok(r.deleted.length >= 1 && r.segments >= 1, `deleted ${r.deleted.length}, kept ${r.segments}`);
      const got: string[] = [];
      for await (const p of flowPackets(store, { flows })) got.push(Buffer.from(p.record.data).toString('hex'));
      // exactly the packets a query made now returns: the surviving segments' packets, in order
      const now = await storedPackets(store);
      assert.ok(now.length > 0 && now.length < all.length);
      assert.deepEqual(got.sort(), now.map((p) => p.hex).sort());
    } finally {
      await store.close();
    }
  });

  test('a segment capture file missing while its index is still listed is an error, not a silent gap', async () => {
    const dir = join(root, 'missing');
    const w = await openLiveWriter(dir, { segmentBytes: 100_000 });
    w.link(ETH);
    for (const p of liveTraffic({ seed: 32, count: 1_000, flows: 5, maxPayload: 600 })) w.packet(p);
    await w.close();
    const store = await Store.open(dir);
    try {
      const flows = await store.findFlows({});
      const pcap = readdirSync(segmentsDir(dir)).filter((f) => /\.pcap(ng)?$/.test(f)).sort()[0];
      rmSync(join(segmentsDir(dir), pcap));
      await assert.rejects(async () => {
        for await (const _ of flowPackets(store, { flows })) void _;
      }, /ENOENT/);
    } finally {
      await store.close();
    }
  });
});

describe('retention passes with the writer\'s size cache', () => {
  test('closed segments are sized once, open and new ones every pass; deletions leave the cache', async () => {
    const dir = join(root, 'cache');
    mkdirSync(segmentsDir(dir), { recursive: true });
    const ids: string[] = [];
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 6; i++) {
      const id = newSegmentId(t0 + i * 1000, (x) => ids.includes(x));
      ids.push(id);
      writeFileSync(segmentCapturePath(dir, id, 'pcap'), new Uint8Array(1000));
      // the last one is open: a snapshot index, no final index
      if (i < 5) writeFileSync(segmentIndexPath(dir, id), new Uint8Array(100));
      else writeFileSync(segmentLiveIndexPath(dir, id), new Uint8Array(50));
    }
    const onDisk = (): number => readdirSync(segmentsDir(dir)).filter((f) => /^[0-9a-f]{12}\./.test(f)).reduce((n, f) => n + statSync(join(segmentsDir(dir), f)).size, 0);
    const closedSizes = new Map<string, number>();
    const pass = (maxStoreBytes = 0) => enforceRetention(dir, { maxStoreBytes, maxAgeSeconds: 0, openSegment: ids[5], log: () => undefined, closedSizes });
    let r = await pass();
    assert.deepEqual([r.segments, r.bytes], [6, 5 * 1100 + 1050]);
    assert.deepEqual([...closedSizes.keys()].sort(), ids.slice(0, 5), 'closed segments cached, the open one not');
    // the open segment grows: seen; a closed one is trusted not to change (here it does: proof the cache is used)
    appendFileSync(segmentCapturePath(dir, ids[5], 'pcap'), new Uint8Array(500));
    appendFileSync(segmentCapturePath(dir, ids[1], 'pcap'), new Uint8Array(7));
    r = await pass();
    assert.equal(r.bytes, 5 * 1100 + 1550);
    // a segment deleted by someone else leaves the cache and the total
    rmSync(segmentCapturePath(dir, ids[0], 'pcap'));
    rmSync(segmentIndexPath(dir, ids[0]));
    r = await pass();
    assert.deepEqual([r.segments, r.bytes], [5, 4 * 1100 + 1550]);
    assert.equal(closedSizes.has(ids[0]), false);
    // the byte bound deletes the oldest closed segments, and their cache entries
    r = await pass(3000);
    assert.deepEqual(r.deleted, [ids[1], ids[2], ids[3]]);
    assert.deepEqual([...closedSizes.keys()], [ids[4]]);
    assert.equal(r.bytes, onDisk(), 'the total is what is on disk');
  });
});
