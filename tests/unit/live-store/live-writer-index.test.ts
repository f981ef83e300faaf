/**
 * The live writer indexes pcap segments in the walk that stores each record (no second walk by
 * the parser): each segment's final index must equal what the import pipeline builds from the
 * segment file itself (parser → CaptureIndexer → encodeIndex): every flow record, every packet
 * offset, the postings, the time order and the counts. Packets arrive both ways a writer gets
 * them (capture batches through packetRunBorrowed, single packets through packet()), across
 * size rotations, with IPv4, IPv6, VLAN, ICMP and non-IP frames.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';
import { LiveWriter } from '../../../node/store/live/live-writer.js';
import { appendBatchRecord, batchRecordLength, endBatchRun, startBatchRun, BATCH_RUN_HEADER } from '../../../node/store/live/packet-batch.js';
import { segmentsDir } from '../../../node/store/live/segment-files.js';
import { openWithDirectIo, takesDirectIo } from '../../helpers/direct-io.js';
import { fixturePackets } from '../../helpers/fixture-capture.js';
import { liveTraffic } from '../../helpers/live-traffic.js';
import { assertSegmentIndexIsImport } from './index-compare.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-index-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Mixed traffic: the fixture's flows (v4, v6, VLAN, ICMP, ARP) interleaved with generated TCP/UDP. */
function packets(): LivePacket[] {
  const fixture = fixturePackets().map((p) => ({ linkId: 0, tsSec: p.tsSec, tsNsec: p.tsUsec * 1000, capLen: p.frame.length, origLen: p.frame.length, data: p.frame }));
  const gen = [...liveTraffic({ seed: 7, count: 3000, flows: 60, t0: fixture[0].tsSec })];
  const out: LivePacket[] = [];
  for (let i = 0; i < gen.length; i++) {
    out.push(gen[i]);
    if (i % 100 === 0 && fixture.length) out.push(fixture.shift() as LivePacket);
  }
  return out.concat(fixture);
}

test('each pcap segment\'s final index equals the import of the segment file, packets from batches and single packets', async () => {
  const store = join(root, 's1');
  const w = await LiveWriter.open(store, { segmentBytes: 256 * 1024 });
  w.link({ id: 0, linkType: 1, snapLen: 65535, name: 'eth-test' });
  const all = packets();
  const batch = new Uint8Array(64 * 1024);
  const view = new DataView(batch.buffer);
  for (let i = 0; i < all.length; ) {
    if ((i >> 7) % 3 === 2) {
      // a stretch of single packets
      for (const end = Math.min(all.length, i + 128); i < end; i++) w.packet(all[i]);
      continue;
    }
    // a capture batch: one run of link 0
    let len = startBatchRun(view, 0, 0);
    while (i < all.length && len + batchRecordLength(all[i].capLen) <= batch.length && (i & 127) !== 127) len = appendBatchRecord(batch, view, len, all[i++]);
    if (i < all.length && (i & 127) === 127) w.packet(all[i++]);
    endBatchRun(view, 0, len);
    const r = w.packetRunBorrowed(0, batch.subarray(BATCH_RUN_HEADER, len), len - BATCH_RUN_HEADER);
    // the batch is written before the call returns: the next loop overwrites it at once, and the
    // segments compared below would differ if any of it were still to be written
    assert.equal(r.written, null, 'nothing of the batch is held after the call');
  }
  await w.close();
  assert.equal(w.stats().storedPackets, all.length);

  const segs = readdirSync(segmentsDir(store)).filter((f) => f.endsWith('.pcap')).sort();
  assert.ok(segs.length >= 3, `rotated into ${segs.length} segments`);
  let flows = 0;
  let stored = 0;
  for (const f of segs) {
    const { imported } = assertSegmentIndexIsImport(store, f);
    flows += imported.records.length;
    stored += imported.meta.packets;
  }
  assert.equal(stored, all.length, 'every packet is in one segment');
  assert.ok(flows > 60, `${flows} flows`);
});

for (const directIo of [false, true]) {
  test(`a batch's records are in the segment file when packetRunBorrowed returns, before any flush or turn of the event loop (${directIo ? 'O_DIRECT: whole blocks, as its I/O thread gets to them' : 'page cache: every byte'}), and every byte after flush()`, async () => {
    const store = join(root, `s-sync-${directIo}`);
    const w = await LiveWriter.open(store, { segmentBytes: 1 << 20, directIo });
    w.link({ id: 0, linkType: 1, snapLen: 65535, name: 'eth-test' });
    const all = packets().slice(0, 400);
    const batch = new Uint8Array(256 * 1024);
    const view = new DataView(batch.buffer);
    const expected: number[] = [];
    let header: Uint8Array | null = null;
    let segPath = '';
    const direct = directIo && process.env.TAPLINE_NATIVE !== '0' && takesDirectIo(store);
    for (let i = 0; i < all.length; ) {
      let len = startBatchRun(view, 0, 0);
      while (i < all.length && len + batchRecordLength(all[i].capLen) <= batch.length && (i & 63) !== 63) len = appendBatchRecord(batch, view, len, all[i++]);
      if ((i & 63) === 63) len = appendBatchRecord(batch, view, len, all[i++]);
      endBatchRun(view, 0, len);
      const records = batch.slice(BATCH_RUN_HEADER, len);
      w.packetRunBorrowed(0, batch.subarray(BATCH_RUN_HEADER, len), len - BATCH_RUN_HEADER);
      // no await since the call: what a kill -9 now would leave in the page cache
      const segs = readdirSync(segmentsDir(store)).filter((f) => f.endsWith('.pcap'));
      assert.equal(segs.length, 1);
      segPath = join(segmentsDir(store), segs[0]);
      const file = readFileSync(segPath);
      expected.push(...records);
      const total = 24 + expected.length;
      if (direct) {
        assert.ok(openWithDirectIo(segPath), 'the segment is written with O_DIRECT');
        assert.ok(file.length % 4096 === 0 && file.length <= total - (total % 4096), `whole blocks only, the partial last one staged (${file.length} of ${total} bytes)`);
      } else assert.equal(file.length, total, 'the header and every record handed over so far are written');
      header ??= file.length >= 24 ? new Uint8Array(file.subarray(0, 24)) : null;
      if (header) assert.deepEqual(new Uint8Array(file.subarray(24)), Uint8Array.from(expected.slice(0, file.length - 24)), 'byte for byte, in order');
      // the batch is overwritten at once by the next loop: nothing of it may still be pending
      batch.fill(0xa5);
    }
    await w.flush();
    assert.equal(w.stats().segmentWrites, direct ? 'direct' : 'page-cache');
    const file = readFileSync(segPath);
    assert.equal(file.length, 24 + expected.length, 'after a flush the file holds every byte, no padding');
    assert.deepEqual(new Uint8Array(file.subarray(24)), Uint8Array.from(expected));
    await w.close();
    assert.equal(openWithDirectIo(segPath), false, 'the O_DIRECT descriptor is closed with the segment');
    assert.deepEqual(new Uint8Array(readFileSync(segPath).subarray(24)), Uint8Array.from(expected), 'and the closed segment still holds every byte');
  });
}
