/**
 * The live writer with its native indexing of packets of existing flows (native-stretch.ts) must
 * write exactly the stores it writes without (nativeFlows: false): the same segment files, and
 * each segment's final index equal to the import of the segment file by the general decoder
 * (fastPath: false): flow records, packet offsets, postings, time order, counts. Batches and
 * single packets interleaved (so records of the writer's own buffer precede runs), size rotations
 * inside native stretches, mixed IPv4/IPv6/VLAN/ICMP/ARP traffic with FIN/RST-then-SYN restarts
 * and idle gaps.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';
import { loadFlowIndexAddon } from '../../../node/native/flow-index-addon.js';
import { LiveWriter } from '../../../node/store/live/live-writer.js';
import { appendBatchRecord, batchRecordLength, endBatchRun, startBatchRun, BATCH_RUN_HEADER } from '../../../node/store/live/packet-batch.js';
import { segmentsDir } from '../../../node/store/live/segment-files.js';
import { fixturePackets } from '../../helpers/fixture-capture.js';
import { conversationArb, frameArb } from '../../helpers/frame-arbitraries.js';
import { liveTraffic } from '../../helpers/live-traffic.js';
import { assertSegmentIndexIsImport } from './index-compare.js';

const load = loadFlowIndexAddon();
const skip = load.ok ? undefined : `flow-index addon not loaded: ${load.reason}`;
const root = mkdtempSync(join(tmpdir(), 'tl-native-flows-'));
after(() => rmSync(root, { recursive: true, force: true }));
let stores = 0;

/**
 * Writes `all` to a new store: runs of up to `batchBytes` through packetRunBorrowed, every
 * `singleEvery`-th stretch of 16 packets through packet(); returns the store and the writer's stats.
 */
async function writeStore(all: LivePacket[], nativeFlows: boolean, segmentBytes: number, batchBytes: number, singleEvery: number): Promise<{ store: string; native: number; stored: number }> {
  const store = join(root, `s${stores++}`);
  const w = await LiveWriter.open(store, { segmentBytes, nativeFlows });
  w.link({ id: 0, linkType: 1, snapLen: 65535, name: 'eth-test' });
  const batch = new Uint8Array(batchBytes + BATCH_RUN_HEADER + 70_000);
  const view = new DataView(batch.buffer);
  let stretch = 0;
  for (let i = 0; i < all.length; stretch++) {
    if (singleEvery > 0 && stretch % singleEvery === singleEvery - 1) {
      for (const end = Math.min(all.length, i + 16); i < end; i++) w.packet(all[i]);
      continue;
    }
    let len = startBatchRun(view, 0, 0);
    do len = appendBatchRecord(batch, view, len, all[i++]);
    while (i < all.length && len + batchRecordLength(all[i].capLen) <= batchBytes + BATCH_RUN_HEADER);
    endBatchRun(view, 0, len);
    w.packetRunBorrowed(0, batch.subarray(BATCH_RUN_HEADER, len), len - BATCH_RUN_HEADER);
    batch.fill(0x5a); // nothing of a batch may be read after the call
  }
  await w.close();
  const st = w.stats();
  return { store, native: st.nativeIndexedPackets, stored: st.storedPackets };
}

/** Each segment's bytes, and its final index checked against the general decoder's import of it. */
function checkSegments(store: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const segs = readdirSync(segmentsDir(store)).filter((f) => f.endsWith('.pcap')).sort();
  for (const f of segs) {
    const { bytes: file } = assertSegmentIndexIsImport(store, f, { fastPath: false });
    out.set(f.slice(-12), file); // segment ids differ between stores: compare by order
  }
  return out;
}

function sameSegments(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  const x = [...a.values()];
  const y = [...b.values()];
  assert.equal(x.length, y.length, 'segment count');
  for (let i = 0; i < x.length; i++) assert.ok(x[i].equals(y[i]), `segment ${i + 1} bytes`);
}

/** The fixture's flows (IPv4, IPv6, VLAN, ICMP, ARP) interleaved with generated TCP/UDP. */
function mixed(count: number, flows: number): LivePacket[] {
  const fixture = fixturePackets().map((p) => ({ linkId: 0, tsSec: p.tsSec, tsNsec: p.tsUsec * 1000, capLen: p.frame.length, origLen: p.frame.length, data: p.frame }));
  const gen = [...liveTraffic({ seed: 3, count, flows, t0: fixture[0].tsSec, maxPayload: 300 })];
  const out: LivePacket[] = [];
  for (let i = 0; i < gen.length; i++) {
    out.push(gen[i]);
    if (i % 50 === 0 && fixture.length) out.push(fixture.shift() as LivePacket);
  }
  return out.concat(fixture);
}

test('mixed traffic over rotations: the same segments and indexes with and without the native path', { skip }, async () => {
  const all = mixed(6000, 150);
  for (const [segmentBytes, batchBytes, singleEvery] of [
    [64 * 1024, 16 * 1024, 3],
    [200_000, 256 * 1024, 0],
    [1 << 20, 1 << 20, 5],
  ] as const) {
    const js = await writeStore(all, false, segmentBytes, batchBytes, singleEvery);
    const nat = await writeStore(all, true, segmentBytes, batchBytes, singleEvery);
    assert.equal(js.native, 0);
    assert.equal(nat.stored, all.length);
    assert.ok(nat.native > all.length / 2, `${nat.native} of ${all.length} packets indexed natively`);
    sameSegments(checkSegments(nat.store), checkSegments(js.store));
  }
});

test('random sequences with idle gaps and restarts: native stores equal the general decoder\'s imports', { skip }, async () => {
  let native = 0;
  let total = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.oneof({ arbitrary: conversationArb, weight: 6 }, { arbitrary: frameArb, weight: 1 }), fc.constantFrom(0, 0, 0, 0, 0, 1, 121, 901, -1), fc.nat(999_999_999)), {
        minLength: 20,
        maxLength: 300,
      }),
      fc.constantFrom(2048, 8192, 1 << 20),
      fc.constantFrom(200, 1500, 64 * 1024),
      async (pkts, segmentBytes, batchBytes) => {
        let sec = 1_700_000_000;
        const all: LivePacket[] = pkts.map(([frame, gap, nsec]) => {
          sec += gap;
          return { linkId: 0, tsSec: sec, tsNsec: nsec, capLen: frame.length, origLen: frame.length + 4, data: frame };
        });
        const nat = await writeStore(all, true, segmentBytes, batchBytes, 4);
        checkSegments(nat.store);
        rmSync(nat.store, { recursive: true, force: true });
        native += nat.native;
        total += all.length;
      },
    ),
    { numRuns: 60, seed: 5 },
  );
  assert.ok(native > total / 4, `${native} of ${total} packets indexed natively`);
});
