/**
 * Fast-path columns (common/flow/fast-columns.ts): the TypeScript fill is the fast path's decode
 * (decodeFastIpv4) and the flow table's key and hash, and the native capture thread's fill
 * (native/capture/src/fast-columns.h, run through the addon's fillColumns on the same batch) is
 * byte for byte the TypeScript one, on generated and mutated frames, random bytes, frames cut
 * short, other link types and every corpus capture; and indexing from the columns gives the index
 * onPacket gives (also tests/unit/live-store/fast-columns-store.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CaptureSink, PacketRecordView } from '../../../common/capture/capture-types.js';
import { flowKeyHash } from '../../../common/flow/carried-flows.js';
import { COLUMN_FAST, COLUMN_SRC_IS_A, COLUMN_WORDS, fillFastColumn, ipv4KeyWord0 } from '../../../common/flow/fast-columns.js';
import { createFastIpv4, decodeFastIpv4 } from '../../../common/packet/ipv4-fast-path.js';
import { loadNativeCapture } from '../../../node/capture/sources/native-capture-addon.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { fillBatchColumns } from '../../../node/store/live/batch-columns.js';
import { BATCH_RUN_HEADER, appendBatchRecordFrom, batchRecordLength, endBatchRun, startBatchRun } from '../../../node/store/live/packet-batch.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { conversationArb, frameArb, pcapFile } from '../../helpers/frame-arbitraries.js';
import { encodeWholeIndex } from '../../helpers/index-bytes.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { createPcapParser } from '../../../common/capture/pcap-parser.js';

const native = loadNativeCapture();

test('the TypeScript fill is decodeFastIpv4 with the flow table\'s canonical key and hash', () => {
  const fast = createFastIpv4();
  const cols = new Int32Array(COLUMN_WORDS + 3);
  let accepted = 0;
  fc.assert(
    fc.property(frameArb, fc.nat(8), (frame, pad) => {
      const chunk = new Uint8Array(pad + frame.length + 8).fill(0xee);
      chunk.set(frame, pad);
      cols.fill(-1);
      fillFastColumn(1, chunk, pad, pad + frame.length, cols, 2);
      assert.equal(cols[1], -1, 'nothing written before the entry');
      assert.equal(cols[2 + COLUMN_WORDS], -1, 'nothing written after the entry');
      const ok = decodeFastIpv4(chunk, pad, pad + frame.length, fast);
      if (!ok) {
        assert.deepEqual([...cols.subarray(2, 2 + COLUMN_WORDS)], [0, 0, 0, 0, 0, 0]);
        return;
      }
      accepted++;
      const meta = cols[2];
      assert.equal(meta & COLUMN_FAST, COLUMN_FAST);
      assert.equal((meta >>> 16) & 0xff, fast.proto);
      assert.equal((meta >>> 2) & 0x1ff, fast.tcpFlags);
      const srcIsA = fast.src < fast.dst || (fast.src === fast.dst && fast.srcPort <= fast.dstPort);
      assert.equal((meta & COLUMN_SRC_IS_A) !== 0, srcIsA);
      // the FlowTable key of this packet (flow-table.ts buildIpKey), hashed as the table hashes keys
      const key = new Uint32Array(12);
      key[0] = ipv4KeyWord0(fast.proto);
      key[1] = ((fast.vlan + 1) & 0xffff) | (((fast.vlanInner + 1) & 0xffff) << 16);
      key[2] = srcIsA ? fast.src : fast.dst;
      key[6] = srcIsA ? fast.dst : fast.src;
      key[10] = srcIsA ? ((fast.srcPort << 16) | fast.dstPort) >>> 0 : ((fast.dstPort << 16) | fast.srcPort) >>> 0;
      assert.deepEqual([cols[3], cols[4], cols[5], cols[6]], [key[1] | 0, key[2] | 0, key[6] | 0, key[10] | 0]);
      assert.equal(cols[7], flowKeyHash(key));
    }),
    { numRuns: 3000, seed: 17 },
  );
  assert.ok(accepted > 500, `only ${accepted} frames took the fast path`);
  // another link type: never fast
  const frame = fc.sample(frameArb, { numRuns: 1, seed: 3 })[0];
  cols.fill(-1);
  fillFastColumn(101, frame, 0, frame.length, cols, 0);
  assert.deepEqual([...cols.subarray(0, COLUMN_WORDS)], [0, 0, 0, 0, 0, 0]);
});

/** A batch of one run holding `frames` (each cut to capLen), with room for their columns. */
function batchOf(frames: Uint8Array[], capLens?: number[]): { buf: Uint8Array; len: number } {
  let bytes = BATCH_RUN_HEADER;
  for (const f of frames) bytes += batchRecordLength(f.length) + COLUMN_WORDS * 4;
  const buf = new Uint8Array(bytes + 64);
  const view = new DataView(buf.buffer);
  let len = startBatchRun(view, 0, 0);
  frames.forEach((f, i) => {
    const capLen = Math.min(f.length, capLens?.[i] ?? f.length);
    len = appendBatchRecordFrom(buf, view, len, 1_700_000_000 + i, i, f, capLen, f.length);
  });
  endBatchRun(view, 0, len);
  return { buf, len };
}

/** The batch's columns filled by C and by TypeScript, on copies: the whole buffers must be equal. */
function assertFillsEqual(buf: Uint8Array, len: number, linkType: number, what: string): number {
  assert.ok(native.ok);
  const c = buf.slice();
  const t = buf.slice();
  const n = native.addon.fillColumns(c, len, linkType);
  const m = fillBatchColumns(t, len, linkType, new Int32Array(t.buffer, 0, t.length >>> 2));
  assert.equal(n, m, `${what}: records`);
  assert.deepEqual(c, t, `${what}: the native columns differ from the TypeScript fill`);
  return n;
}

describe('the native capture thread\'s column fill', { skip: native.ok ? undefined : native.reason }, () => {
  test('equals the TypeScript fill on generated, mutated and cut frames and random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(frameArb, frameArb, fc.uint8Array({ maxLength: 90 })), fc.option(fc.nat(70), { nil: undefined })), { minLength: 1, maxLength: 40 }), (pkts) => {
        const { buf, len } = batchOf(
          pkts.map(([f]) => f),
          pkts.map(([f, cut]) => cut ?? f.length),
        );
        assertFillsEqual(buf, len, 1, 'generated');
      }),
      { numRuns: 600, seed: 23 },
    );
  });

  test('writes zeros for another link type, and refuses a batch whose columns would overlap its records', () => {
    const frames = fc.sample(frameArb, { numRuns: 20, seed: 5 });
    const { buf, len } = batchOf(frames);
    assertFillsEqual(buf, len, 113, 'linux cooked');
    const tight = new Uint8Array(len + 8);
    tight.set(buf.subarray(0, len));
    assert.throws(() => (native.ok ? native.addon.fillColumns(tight, len, 1) : 0), /overlap/);
    assert.throws(() => fillBatchColumns(tight, len, 1, new Int32Array(tight.buffer, 0, tight.length >>> 2)), /overlap/);
    // a run running past len is refused, not read
    assert.throws(() => (native.ok ? native.addon.fillColumns(buf, len - 1, 1) : 0), /runs past/);
  });

  test('equals the TypeScript fill on every corpus capture', { skip: corpusSkipReason }, async () => {
    let fastSeen = 0;
    for (const name of corpusCaptures()) {
      const frames: Uint8Array[] = [];
      let linkType = -1;
      const sink: CaptureSink = {
        onFileInfo: () => undefined,
        onInterface: () => undefined,
        onPacket: (rec: PacketRecordView) => {
          linkType = rec.linkType;
          frames.push(rec.buffer.slice(rec.bufferOffset, rec.bufferOffset + rec.capLen));
        },
      };
      await readCaptureFile(capturePath(name), sink);
      for (let i = 0; i < frames.length; i += 2000) {
        const { buf, len } = batchOf(frames.slice(i, i + 2000));
        assertFillsEqual(buf, len, linkType, name);
        if (linkType === 1) {
          const cols = new Int32Array(buf.buffer, 0, buf.length >>> 2);
          fillBatchColumns(buf, len, 1, cols);
          for (let k = 0; k < Math.min(2000, frames.length - i); k++) if (cols[cols.length - (k + 1) * COLUMN_WORDS] & COLUMN_FAST) fastSeen++;
        }
      }
    }
    assert.ok(fastSeen > 1000, `${fastSeen} corpus packets take the fast path`);
  });
});

/** The index of `frames` built through onPacket (columns: false) or through onPacketColumns. */
function indexWith(frames: { frame: Uint8Array; sec: number; usec: number }[], columns: boolean): Uint8Array {
  const file = pcapFile(frames);
  const ix = new CaptureIndexer();
  const cols = new Int32Array(COLUMN_WORDS);
  const sink: CaptureSink = {
    onFileInfo: (i) => ix.onFileInfo(i),
    onInterface: (i) => ix.onInterface(i),
    onPacket: (rec) => {
      if (!columns) return ix.onPacket(rec);
      fillFastColumn(rec.linkType, rec.buffer, rec.bufferOffset, rec.bufferOffset + rec.capLen, cols, 0);
      ix.onPacketColumns(rec, cols, 0);
    },
  };
  const parser = createPcapParser(sink);
  for (let p = 0; p < file.length; p += 1000) parser.push(file.subarray(p, Math.min(file.length, p + 1000)));
  parser.end();
  return encodeWholeIndex(ix);
}

test('indexing from columns gives byte-identical indexes on random sequences (new flows, idle gaps, FIN/RST then SYN restarts)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.oneof(frameArb, conversationArb), fc.constantFrom(0, 0, 1, 5, 130, 1000), fc.nat(999_999)), { minLength: 1, maxLength: 120 }),
      (pkts) => {
        let sec = 1_700_000_000;
        const frames = pkts.map(([frame, gap, usec]) => {
          sec += gap;
          return { frame, sec, usec };
        });
        assert.deepEqual(indexWith(frames, true), indexWith(frames, false));
      },
    ),
    { numRuns: 500, seed: 29 },
  );
});
