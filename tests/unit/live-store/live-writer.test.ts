/**
 * The live store writer through the store's own query and slice paths: byte-exact records,
 * rotation, pcapng for mixed links, flow summaries, torn-tail repair.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLiveWriter, type LiveFlowSummary } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { writeSlice } from '../../../node/store/slicer.js';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { LiveFlowSummaryBatchSchema } from '../../../common/capture/live-flow-summary.js';
import { asStored, liveTraffic, storedPackets, type StoredPacket } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `s${n++}`);
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };

function segmentFiles(store: string): string[] {
  return readdirSync(join(store, 'segments')).sort();
}

describe('live writer', () => {
  test('packets written through the writer come back byte-exact from slices, across size rotations', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir, { segmentBytes: 200_000 });
    w.link(ETH);
    const sent: StoredPacket[] = [];
    for (const p of liveTraffic({ seed: 1, count: 3000 })) {
      w.packet(p);
      sent.push(asStored(p));
    }
    await w.close();
    const captures = segmentFiles(dir).filter((f) => f.endsWith('.pcap'));
    assert.ok(captures.length >= 5, `rotated into ${captures.length} segments`);
    for (const c of captures) assert.ok(statSync(join(dir, 'segments', c)).size <= 200_000, `${c} within segmentBytes`);
    assert.equal(segmentFiles(dir).filter((f) => f.endsWith('.live.tpi')).length, 0, 'closed segments keep only their final index');
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), sent);
      assert.equal(w.stats().durablePackets, 3000);
    } finally {
      await store.close();
    }
  });

  test('a flushed open segment is queryable and sliceable, with the segment\'s own pcap header and records', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    w.link(ETH);
    const pkts = [...liveTraffic({ seed: 2, count: 400, flows: 4 })];
    for (const p of pkts) w.packet(p);
    await w.flush();
    const store = await Store.open(dir);
    try {
      const flows = await store.findFlows({});
      assert.equal(flows.length, 4);
      assert.equal(flows.reduce((s, f) => s + f.record.clientPackets + f.record.serverPackets, 0), 400);
      const byId = await store.flowById(flows[0].id);
      assert.equal(byId?.record.firstSec, flows[0].record.firstSec);
      const out = join(dir, 'slice.pcap');
      await writeSlice(store, { flows }, out);
      // the slice of every flow of a single pcap source is its header plus its records verbatim
      const seg = segmentFiles(dir).find((f) => f.endsWith('.pcap')) as string;
      const segBytes = readFileSync(join(dir, 'segments', seg));
      assert.deepEqual(readFileSync(out), segBytes.subarray(0, readFileSync(out).length));
      assert.equal(readFileSync(out).length, segBytes.length);
      assert.equal(segBytes.readUInt32LE(0), 0xa1b23c4d, 'nanosecond pcap');
    } finally {
      await store.close();
      await w.close();
    }
  });

  test('links of different types go to a pcapng segment; each packet keeps its link', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    w.link(ETH);
    w.link({ id: 7, linkType: 101, snapLen: 65535, name: 'raw-test' });
    const a = [...liveTraffic({ seed: 3, count: 200, flows: 3, portBase: 30000 })];
    const b = [...liveTraffic({ seed: 4, count: 200, flows: 3, linkId: 7, linkType: 101, portBase: 31000 })];
    const merged = [...a, ...b].sort((x, y) => x.tsSec - y.tsSec || x.tsNsec - y.tsNsec);
    for (const p of merged) w.packet(p);
    await w.close();
    assert.deepEqual(segmentFiles(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => f.split('.')[1]), ['pcapng']);
    const seg = join(dir, 'segments', segmentFiles(dir).find((f) => f.endsWith('.pcapng')) as string);
    const links: number[] = [];
    const p = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: (r) => links.push(r.linkType) });
    p.push(new Uint8Array(readFileSync(seg)));
    p.end();
    assert.deepEqual(links, merged.map((m) => (m.linkId === 7 ? 101 : 1)));
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), merged.map(asStored));
    } finally {
      await store.close();
    }
  });

  test('a link of a new type announced mid-capture rotates from pcap to pcapng', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    w.link(ETH);
    const a = [...liveTraffic({ seed: 5, count: 50, flows: 2 })];
    for (const p of a) w.packet(p);
    w.link({ id: 1, linkType: 101, snapLen: 65535, name: 'raw-test' });
    const last = a[a.length - 1];
    const b = [...liveTraffic({ seed: 6, count: 50, flows: 2, linkId: 1, linkType: 101, t0: last.tsSec + 1, portBase: 32000 })];
    for (const p of b) w.packet(p);
    await w.close();
    assert.deepEqual(segmentFiles(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => f.split('.')[1]), ['pcap', 'pcapng']);
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), [...a, ...b].map(asStored));
    } finally {
      await store.close();
    }
  });

  test('flow summaries report start, update and end in batches', async () => {
    const dir = freshDir();
    const batches: LiveFlowSummary[][] = [];
    const w = await openLiveWriter(dir, { onFlows: (b) => batches.push(b) });
    w.link(ETH);
    const pkts = [...liveTraffic({ seed: 7, count: 100, flows: 5 })];
    for (const p of pkts.slice(0, 50)) w.packet(p);
    await w.flush();
    for (const p of pkts.slice(50)) w.packet(p);
    await w.close();
    assert.ok(batches.length >= 2);
    const all = batches.flat();
    const starts = all.filter((s) => s.event === 'start');
    const ends = all.filter((s) => s.event === 'end');
    assert.equal(starts.length, 5, 'one start per flow');
    assert.equal(ends.length, 5, 'every flow ends when its segment closes');
    assert.ok(all.some((s) => s.event === 'update'), 'flows active in both intervals are updated');
    for (const e of ends) assert.equal(e.reason, 'segment-closed');
    // the schema the receiving process checks them with accepts every batch
    for (const b of batches) assert.equal(LiveFlowSummaryBatchSchema.safeParse(b).success, true);
    const total = ends.reduce((s, e) => s + e.flow.packets, 0);
    assert.equal(total, 100);
  });

  test('a torn tail left by a dead writer is cut to the last whole record, and every whole packet is sliceable', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    w.link(ETH);
    const pkts = [...liveTraffic({ seed: 8, count: 300, flows: 6 })];
    for (const p of pkts) w.packet(p);
    await w.flush();
    // simulate kill -9: the writer's lock names a dead process; half a record follows the data
    const seg = join(dir, 'segments', segmentFiles(dir).find((f) => f.endsWith('.pcap')) as string);
    const whole = statSync(seg).size;
    appendFileSync(seg, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 200, 0, 0, 0, 200, 0, 0, 0, 9, 9]));
    writeFileSync(join(dir, 'segments', 'lock'), '999999999\n');
    const notices: string[] = [];
    const store = await Store.open(dir, { log: (l) => notices.push(l) });
    try {
      assert.equal(statSync(seg).size, whole, 'the torn record is cut');
      assert.ok(notices.some((l) => l.includes('cut 18 bytes')), notices.join('\n'));
      assert.deepEqual(await storedPackets(store), pkts.map(asStored));
    } finally {
      await store.close();
    }
    // the (abandoned) writer object is not closed: its lock was taken over
  });

  test('segments rotate by wall-clock time (segmentSeconds) while packets keep coming', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir, { segmentSeconds: 1, flushIntervalMs: 100 });
    w.link(ETH);
    const sent: StoredPacket[] = [];
    const gen = liveTraffic({ seed: 9, count: 1000, flows: 3 });
    // a packet every 50 ms until a second segment exists (bounded: at most 1000 packets)
    for (let i = 0; i < 1000; i++) {
      const p = gen.next();
      if (p.done) break;
      w.packet(p.value);
      sent.push(asStored(p.value));
      await new Promise((r) => setTimeout(r, 50));
      if (segmentFiles(dir).filter((f) => f.endsWith('.pcap')).length >= 2) break;
    }
    await w.close();
    assert.ok(segmentFiles(dir).filter((f) => f.endsWith('.pcap')).length >= 2, 'rotated by time');
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), sent);
    } finally {
      await store.close();
    }
  });

  test('capture gaps reported by the source are recorded', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    w.link(ETH);
    w.gap({ from: { sec: 1_700_000_000, nsec: 5 }, to: { sec: 1_700_000_030, nsec: 0 }, reason: 'ssh reconnect' });
    await w.close();
    const lines = readFileSync(join(dir, 'segments', 'gaps.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { from: string; to: string; reason: string });
    assert.deepEqual(lines.map((l) => [l.from, l.to, l.reason]), [['1700000000.000000005', '1700000030.000000000', 'ssh reconnect']]);
    assert.equal(w.stats().gaps, 1);
  });

  test('a second live writer on the same store is refused while the first runs', async () => {
    const dir = freshDir();
    const w = await openLiveWriter(dir);
    await assert.rejects(openLiveWriter(dir), /another live writer is running/);
    await w.close();
    const w2 = await openLiveWriter(dir);
    await w2.close();
  });
});
