/**
 * Batches with fast-path columns (the native capture thread's, or the TypeScript fill) write the
 * very store batches without them write: each segment's bytes, and each segment's final index
 * equal to the import of the segment file (the general TypeScript path) in every flow record,
 * packet offset, posting and count; on generated mixed traffic (IPv4, IPv6, VLAN, ICMP, ARP,
 * TCP restarts) across rotations and batches of several runs, and on every Ethernet corpus
 * capture. And the writer does index from the columns: an altered entry changes the index.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import type { CaptureSink, PacketRecordView } from '../../../common/capture/capture-types.js';
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { COLUMN_BYTES, COLUMN_SRC_IS_A, COLUMN_WORDS } from '../../../common/flow/fast-columns.js';
import { SectionType } from '../../../common/index/index-format.js';
import { encodeIndex } from '../../../common/index/index-writer.js';
import { loadNativeCapture } from '../../../node/capture/sources/native-capture-addon.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { nativeCrc32 } from '../../../node/store/index-file.js';
import { fillBatchColumns } from '../../../node/store/live/batch-columns.js';
import { LiveWriter } from '../../../node/store/live/live-writer.js';
import { appendBatchRecord, batchRecordLength, endBatchRun, startBatchRun, BATCH_RUN_HEADER } from '../../../node/store/live/packet-batch.js';
import { segmentIndexPath, segmentsDir } from '../../../node/store/live/segment-files.js';
import { writeBatch } from '../../../node/store/live/write-batch.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { fixturePackets } from '../../helpers/fixture-capture.js';
import { liveTraffic } from '../../helpers/live-traffic.js';
import { decode, metaOf, type Decoded } from './index-compare.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-cols-'));
after(() => rmSync(root, { recursive: true, force: true }));
const native = loadNativeCapture();

type Fill = 'none' | 'ts' | 'native';

function mixed(): LivePacket[] {
  const fixture = fixturePackets().map((p) => ({ linkId: 0, tsSec: p.tsSec, tsNsec: p.tsUsec * 1000, capLen: p.frame.length, origLen: p.frame.length, data: p.frame }));
  const gen = [...liveTraffic({ seed: 9, count: 4000, flows: 80, t0: fixture[0].tsSec })];
  const out: LivePacket[] = [];
  for (let i = 0; i < gen.length; i++) {
    out.push(gen[i]);
    if (i % 90 === 0 && fixture.length) out.push(fixture.shift() as LivePacket);
  }
  return out.concat(fixture);
}

/**
 * Writes `all` into a new store in batches of up to `perBatch` packets, each batch in runs of up
 * to `perRun` (of link 0), columns filled as `fill` says (`alter`: then flips every fast
 * entry's direction bit); returns the store.
 */
async function writeStore(name: string, all: LivePacket[], linkType: number, fill: Fill, segmentBytes: number, perBatch = 300, perRun = 120, alter = false): Promise<string> {
  const store = join(root, name);
  const w = await LiveWriter.open(store, { segmentBytes });
  w.link({ id: 0, linkType, snapLen: 262144, name: 'cols-test' });
  for (let i = 0; i < all.length; ) {
    let bytes = 0;
    const end = Math.min(all.length, i + perBatch);
    for (let j = i; j < end; j++) bytes += BATCH_RUN_HEADER + batchRecordLength(all[j].capLen) + COLUMN_BYTES;
    const buf = new Uint8Array(bytes + 16);
    const view = new DataView(buf.buffer);
    let len = 0;
    while (i < end) {
      const runAt = len;
      len = startBatchRun(view, runAt, 0);
      for (const stop = Math.min(end, i + perRun); i < stop; ) len = appendBatchRecord(buf, view, len, all[i++]);
      endBatchRun(view, runAt, len);
    }
    const cols = new Int32Array(buf.buffer, 0, buf.length >>> 2);
    if (fill === 'native' && native.ok) native.addon.fillColumns(buf, len, linkType);
    else if (fill !== 'none') fillBatchColumns(buf, len, linkType, cols);
    if (alter) {
      // every fast entry says the other endpoint sent it: a packet of a flow already in the
      // table is then counted in the wrong direction (a new flow's packet takes the general path)
      for (let k = 0, w0 = cols.length - COLUMN_WORDS; k < len && w0 * 4 >= len; k++, w0 -= COLUMN_WORDS) if (cols[w0] & 1) cols[w0] ^= COLUMN_SRC_IS_A;
    }
    const r = writeBatch(w, buf, len, fill === 'none' ? null : cols);
    await Promise.all(r.writes);
  }
  await w.close();
  assert.equal(w.stats().storedPackets, all.length);
  return store;
}

interface SegmentView {
  file: Uint8Array;
  live: Decoded;
  imported: Decoded;
}

function segments(store: string): SegmentView[] {
  return readdirSync(segmentsDir(store))
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => {
      const file = new Uint8Array(readFileSync(join(segmentsDir(store), f)));
      const ix = new CaptureIndexer({ fastPath: false });
      const parser = createCaptureParser(ix);
      parser.push(file);
      parser.end();
      ix.finish();
      const imported = decode(encodeIndex(ix.table, metaOf(ix, parser.consumed), nativeCrc32));
      const idx = new Uint8Array(readFileSync(segmentIndexPath(store, f.replace(/\.pcap$/, ''))));
      return { file, imported, live: decode({ chunks: [idx], size: idx.length, meta: imported.meta }) };
    });
}

function assertIndexEqualsImport(s: SegmentView, what: string): void {
  for (const k of ['packets', 'bytes', 'indexedBytes', 'firstTs', 'lastTs', 'flowCount', 'counts'] as const) {
    assert.deepEqual(s.live.meta[k], s.imported.meta[k], `${what}: meta ${k}`);
  }
  assert.deepEqual(s.live.records, s.imported.records, `${what}: flow records`);
  assert.deepEqual(s.live.offsets, s.imported.offsets, `${what}: packet offsets`);
  for (const t of [SectionType.IpPostings, SectionType.PortPostings, SectionType.ProtoPostings, SectionType.TimeOrder]) {
    assert.deepEqual(s.live.sections.get(t), s.imported.sections.get(t), `${what}: section ${t}`);
  }
}

/** Stores written with each fill: same segment bytes, and every index the import of its segment. */
async function assertFillsWriteOneStore(name: string, all: LivePacket[], linkType: number, segmentBytes: number): Promise<number> {
  const fills: Fill[] = native.ok ? ['none', 'ts', 'native'] : ['none', 'ts'];
  const stores = [];
  for (const f of fills) stores.push(segments(await writeStore(`${name}-${f}`, all, linkType, f, segmentBytes)));
  const base = stores[0];
  stores.forEach((segs, i) => {
    assert.equal(segs.length, base.length, `${name} ${fills[i]}: segments`);
    segs.forEach((s, j) => {
      assert.deepEqual(s.file, base[j].file, `${name} ${fills[i]}: segment ${j} bytes`);
      assertIndexEqualsImport(s, `${name} ${fills[i]} segment ${j}`);
    });
  });
  return base.length;
}

describe('fast-path columns in the live writer', () => {
  test('mixed traffic, rotations, batches of several runs: the same store with and without columns', async () => {
    const n = await assertFillsWriteOneStore('mixed', mixed(), 1, 256 * 1024);
    assert.ok(n >= 3, `rotated into ${n} segments`);
  });

  test('the writer indexes from the columns: an altered entry gives another index', async () => {
    const all = mixed().slice(0, 900);
    const plain = segments(await writeStore('alter-plain', all, 1, 'ts', 64 << 20));
    const altered = segments(await writeStore('alter-changed', all, 1, 'ts', 64 << 20, 300, 120, true));
    assert.deepEqual(altered[0].file, plain[0].file, 'the packets stored are the same');
    assert.notDeepEqual(altered[0].live.records, plain[0].live.records, 'the altered ports made flows of their own');
  });

  test('every corpus capture: the same store with and without columns', { skip: corpusSkipReason }, async () => {
    let tested = 0;
    for (const name of corpusCaptures()) {
      const all: LivePacket[] = [];
      let linkType = -1;
      let mixedLinks = false;
      const sink: CaptureSink = {
        onFileInfo: () => undefined,
        onInterface: () => undefined,
        onPacket: (rec: PacketRecordView) => {
          if (linkType >= 0 && rec.linkType !== linkType) mixedLinks = true;
          linkType = rec.linkType;
          all.push({ linkId: 0, tsSec: rec.tsSec, tsNsec: rec.tsNsec, capLen: rec.capLen, origLen: rec.origLen, data: rec.buffer.slice(rec.bufferOffset, rec.bufferOffset + rec.capLen) });
        },
      };
      await readCaptureFile(capturePath(name), sink);
      // one link type per store (a pcap segment); nanosecond fractions as a capture has them
      if (mixedLinks || all.length === 0 || all.some((p) => p.tsNsec >= 1e9)) continue;
      await assertFillsWriteOneStore(`corpus-${tested}`, all, linkType, 64 << 20);
      tested++;
    }
    assert.ok(tested > 3, `${tested} corpus captures`);
  });
});
