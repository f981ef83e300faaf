/**
 * The live store writer running in its own thread (ThreadedLiveWriter): what it stores is what
 * the in-thread writer stores, byte for byte; flush() makes the open segment queryable; a full
 * hand-off ring drops packets at the hand-off, counted apart, keeping every packet before them.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFlowIndexAddon } from '../../../node/native/flow-index-addon.js';
import { openThreadedLiveWriter, type LiveFlowSummary } from '../../../node/store/live/index.js';
import { segmentDirectIo } from '../../../node/store/live/segment-direct-io.js';
import { takesDirectIo } from '../../helpers/direct-io.js';
import { Store } from '../../../node/store/store.js';
import { LiveFlowSummaryBatchSchema } from '../../../common/capture/live-flow-summary.js';
import { asStored, liveTraffic, storedPackets, type StoredPacket } from '../../helpers/live-traffic.js';
import { appendBatchRecord, batchRecordLength, endBatchRun, forEachBatchRecord, startBatchRun, BATCH_RUN_HEADER } from '../../../node/store/live/packet-batch.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-thread-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `s${n++}`);
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };

describe('packet batch', () => {
  test('records round-trip with every field, including a zero-length packet, as the pcap records a segment stores', () => {
    const buf = new Uint8Array(4096);
    const view = new DataView(buf.buffer);
    const pkts = [
      { linkId: 3, tsSec: 0xfffffffe, tsNsec: 999_999_999, capLen: 5, origLen: 1500, data: Uint8Array.from([1, 2, 3, 4, 5]) },
      { linkId: 3, tsSec: 1, tsNsec: 0, capLen: 0, origLen: 60, data: new Uint8Array(0) },
      { linkId: 3, tsSec: 2, tsNsec: 7, capLen: 2, origLen: 2, data: Uint8Array.from([9, 8, 7]) },
    ];
    let len = 0;
    for (const p of pkts) len = appendBatchRecord(buf, view, len, p);
    const back: unknown[] = [];
    forEachBatchRecord(buf, len, 3, (p) => back.push({ ...p, data: [...p.data] }));
    assert.deepEqual(back, [
      { ...pkts[0], data: [1, 2, 3, 4, 5] },
      { ...pkts[1], data: [] },
      { ...pkts[2], data: [9, 8] },
    ]);
    // the first record, byte for byte, is a pcap record (ns, little-endian) of those fields
    assert.deepEqual([...buf.subarray(0, 21)], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xc9, 0x9a, 0x3b, 5, 0, 0, 0, 0xdc, 0x05, 0, 0, 1, 2, 3, 4, 5]);
    assert.throws(() => forEachBatchRecord(buf, len - 1, 3, () => undefined), /runs past/);
  });
});

describe('threaded live writer', () => {
  test("the writer's options reach its thread: nativeFlows and directIo off keep every packet in TypeScript and the page cache", async () => {
    const stats = async (opts: { nativeFlows?: boolean; directIo?: boolean }): Promise<{ native: number; writes: string | null; stored: number }> => {
      const dir = freshDir();
      const w = await openThreadedLiveWriter(dir, { segmentBytes: 200_000, ...opts });
      w.link(ETH);
      for (const p of liveTraffic({ seed: 5, count: 2000, flows: 8 })) w.packet(p);
      await w.close();
      const st = w.stats();
      return { native: st.nativeIndexedPackets, writes: st.segmentWrites, stored: st.storedPackets };
    };
    const off = await stats({ nativeFlows: false, directIo: false });
    assert.deepEqual(off, { native: 0, writes: 'page-cache', stored: 2000 });
    const on = await stats({});
    assert.equal(on.stored, 2000);
    if (loadFlowIndexAddon().ok) assert.ok(on.native > 0, `${on.native} packets indexed in C by default`);
    if (segmentDirectIo().io && takesDirectIo(root)) assert.equal(on.writes, 'direct');
  });

  test('stores every packet byte-exact across rotations and reports flows and exact final stats', async () => {
    const dir = freshDir();
    const flows: LiveFlowSummary[] = [];
    const w = await openThreadedLiveWriter(dir, { segmentBytes: 200_000, onFlows: (b) => flows.push(...b) });
    w.link(ETH);
    const sent: StoredPacket[] = [];
    let i = 0;
    for (const p of liveTraffic({ seed: 1, count: 3000 })) {
      w.packet(p);
      sent.push(asStored(p));
      // let batches go over in several turns, as a capture does
      if (++i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await w.close();
    const captures = readdirSync(join(dir, 'segments')).filter((f) => f.endsWith('.pcap'));
    assert.ok(captures.length >= 5, `rotated into ${captures.length} segments`);
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), sent);
    } finally {
      await store.close();
    }
    const st = w.stats();
    assert.equal(st.receivedPackets, 3000);
    assert.equal(st.storedPackets, 3000);
    assert.equal(st.durablePackets, 3000);
    assert.equal(st.droppedHandoff, 0);
    assert.ok(flows.length > 0);
    LiveFlowSummaryBatchSchema.parse(flows);
  });

  test('packets of several links, interleaved, are stored byte-exact: one link type gives pcap segments, two give pcapng', async () => {
    for (const [types, ext] of [
      [[1, 1], '.pcap'],
      [[1, 101], '.pcapng'],
    ] as const) {
      const dir = freshDir();
      const w = await openThreadedLiveWriter(dir, { segmentBytes: 150_000 });
      w.link({ id: 0, linkType: types[0], snapLen: 262144, name: 'a' });
      w.link({ id: 1, linkType: types[1], snapLen: 262144, name: 'b' });
      const a = liveTraffic({ seed: 31, count: 800, linkId: 0, linkType: types[0], portBase: 20000 });
      const b = liveTraffic({ seed: 32, count: 800, linkId: 1, linkType: types[1] as 1 | 101, portBase: 30000, t0: 1_700_000_000 });
      const sent: StoredPacket[] = [];
      for (let i = 0; i < 800; i++) {
        // runs of 1..3 packets per link, so batches switch links often
        for (const [g, n] of [[a, 1 + (i % 3)], [b, 1 + ((i + 1) % 2)]] as const) {
          for (let k = 0; k < n; k++) {
            const r = g.next();
            if (r.done) continue;
            w.packet(r.value);
            sent.push(asStored(r.value));
          }
        }
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await w.close();
      const files = readdirSync(join(dir, 'segments')).filter((f) => /^[0-9a-f]{12}\.pcap(ng)?$/.test(f));
      assert.ok(files.length >= 2 && files.every((f) => f.endsWith(ext)), `${files.join(' ')} are all ${ext}`);
      const store = await Store.open(dir);
      try {
        const got = await storedPackets(store);
        const key = (p: StoredPacket): string => `${p.tsSec}.${p.tsNsec}.${p.hex}`;
        assert.deepEqual(got.map(key).sort(), sent.map(key).sort(), `every packet stored (${ext})`);
      } finally {
        await store.close();
      }
      assert.equal(w.stats().storedPackets, sent.length);
      assert.equal(w.stats().droppedHandoff, 0);
    }
  });

  test('flush() makes what was handed over queryable while the writer runs', async () => {
    const dir = freshDir();
    const w = await openThreadedLiveWriter(dir);
    try {
      w.link(ETH);
      for (const p of liveTraffic({ seed: 2, count: 400, flows: 4 })) w.packet(p);
      await w.flush();
      assert.equal(w.stats().durablePackets, 400);
      const store = await Store.open(dir);
      try {
        const flows = await store.findFlows({});
        assert.equal(flows.length, 4);
        assert.equal(flows.reduce((s, f) => s + f.record.clientPackets + f.record.serverPackets, 0), 400);
      } finally {
        await store.close();
      }
    } finally {
      await w.close();
    }
  });

  test('a full hand-off ring drops the packets that do not fit, counted as hand-off drops; earlier ones are all stored', async () => {
    const dir = freshDir();
    // two batches in flight at most; handed over synchronously, and slots given back by message
    // (not through the slot-return ring, which this thread reads at once), so none can come back
    // meanwhile
    const w = await openThreadedLiveWriter(dir, { handoffBytes: 2 << 20, slotReturnRing: false });
    w.link(ETH);
    const sent: StoredPacket[] = [];
    for (let seed = 10; seed < 40; seed++) {
      for (const p of liveTraffic({ seed, count: 500 })) {
        w.packet(p);
        sent.push(asStored(p));
      }
    }
    await w.close();
    const st = w.stats();
    assert.equal(st.receivedPackets, sent.length);
    assert.ok(st.droppedHandoff > 0, 'some packets dropped at the hand-off');
    assert.equal(st.storedPackets + st.droppedHandoff, sent.length);
    const store = await Store.open(dir);
    try {
      const stored = await storedPackets(store);
      assert.equal(stored.length, st.storedPackets);
      // the ring holds three batches' worth: the stored packets are the first ones, in order
      assert.deepEqual(stored, sent.slice(0, stored.length));
    } finally {
      await store.close();
    }
  });

  test('batches in buffers from takeBatchBuffer, more than the hand-off bound holds: a taker that ran out is told when a slot comes back, and every packet is stored in order', { timeout: 60_000 }, async () => {
    const dir = freshDir();
    // two 1 MiB batches at most out at once (the smallest bound), so the taker runs out many
    // times over: the writer gives a slot back as soon as it has indexed and written the batch
    // (synchronously), and with a larger bound a fast writer thread could keep ahead of the taker
    const w = await openThreadedLiveWriter(dir, { handoffBytes: 2 << 20, segmentBytes: 4 << 20 });
    w.link(ETH);
    // about 22 MB of packets: twenty-two batches; the filling loop below only copies, so it outruns the writer
    const packets = [...liveTraffic({ seed: 100, count: 28_800 })];
    const sent: StoredPacket[] = packets.map(asStored);
    let waits = 0;
    let next = 0;
    // a failed assertion must not leave the thread running (it would keep the test process alive)
    const closed = w.close.bind(w);
    try {
    while (next < packets.length) {
      let buf = w.takeBatchBuffer();
      while (buf === null) {
        // without a word from the writer when it gives a slot back, this waits for ever (and the test times out)
        waits++;
        await new Promise<void>((r) => w.onBatchBufferFree(r));
        w.onBatchBufferFree(null);
        buf = w.takeBatchBuffer();
      }
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let len = startBatchRun(view, 0, ETH.id);
      let count = 0;
      let bytes = 0;
      while (next < packets.length && len + batchRecordLength(Math.min(packets[next].capLen, packets[next].data.length)) <= buf.length) {
        const p = packets[next++];
        len = appendBatchRecord(buf, view, len, p);
        count++;
        bytes += p.origLen;
      }
      endBatchRun(view, 0, len);
      assert.ok(len > BATCH_RUN_HEADER, 'a batch holds at least one packet');
      w.packetBatch(buf, len, count, bytes);
    }
    } finally {
      await closed();
    }
    assert.ok(waits > 0, 'the taker ran out of buffers at least once');
    const st = w.stats();
    assert.equal(st.droppedHandoff, 0);
    assert.equal(st.storedPackets, sent.length);
    assert.equal(st.queuedBytes, 0, 'every slot came back');
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), sent);
    } finally {
      await store.close();
    }
  });

  test('a second writer on the same store in this process is refused', async () => {
    const dir = freshDir();
    const w = await openThreadedLiveWriter(dir);
    try {
      await assert.rejects(openThreadedLiveWriter(dir), /another live writer is running/);
    } finally {
      await w.close();
    }
  });
});
