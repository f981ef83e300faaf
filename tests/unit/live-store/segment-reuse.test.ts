/**
 * The live writer reuses a closed segment's indexer (flow table, offset arena) and index encoder
 * for a later segment (CaptureIndexer.reset, FlowTable.reset, LiveIndexEncoder.reset). A reused
 * one still holds the previous capture's columns, arena pages and encoder buffers; every index it
 * then encodes must be byte for byte the one a fresh indexer and encoder give.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { encodeIndex, type EncodedIndex } from '../../../common/index/index-writer.js';
import { nativeCrc32 } from '../../../node/store/index-file.js';
import { LiveIndexEncoder } from '../../../node/store/live/live-index-encoder.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { metaOf } from './index-compare.js'; // fixed createdAt: equal indexes are equal bytes

function bytesOf(e: EncodedIndex): Uint8Array {
  const out = new Uint8Array(e.size);
  let at = 0;
  for (const c of e.chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Indexes `bytes` in `pieces` pushes with an incremental snapshot after each, then the import's
 * encodeIndex of the same table: every index as bytes.
 */
function indexes(ix: CaptureIndexer, enc: LiveIndexEncoder, bytes: Uint8Array, pieces: number): Uint8Array[] {
  const parser = createCaptureParser(ix);
  const out: Uint8Array[] = [];
  const step = Math.max(1, Math.ceil(bytes.length / pieces));
  for (let at = 0; at < bytes.length; at += step) {
    parser.push(bytes.subarray(at, Math.min(bytes.length, at + step)));
    out.push(bytesOf(enc.encode(metaOf(ix, parser.consumed))));
  }
  parser.end();
  ix.finish();
  out.push(bytesOf(enc.encode(metaOf(ix, parser.consumed))));
  out.push(bytesOf(encodeIndex(ix.table, metaOf(ix, parser.consumed), nativeCrc32)));
  return out;
}

describe('segment indexer reuse', { skip: corpusSkipReason }, () => {
  test('a reset indexer and encoder, full of the capture before, encode every corpus capture exactly as fresh ones', () => {
    const names = corpusCaptures();
    // one indexer and encoder through every capture in turn, each after the others' data
    const reused = new CaptureIndexer();
    const reusedEnc = new LiveIndexEncoder(reused.table, nativeCrc32);
    let compared = 0;
    let grownPast = 0;
    for (const name of names) {
      const bytes = new Uint8Array(readFileSync(capturePath(name)));
      const fresh = new CaptureIndexer();
      const want = indexes(fresh, new LiveIndexEncoder(fresh.table, nativeCrc32), bytes, 5);
      const flowsBefore = reused.table.count;
      if (flowsBefore > fresh.table.count) grownPast++;
      reused.reset();
      reusedEnc.reset();
      assert.equal(reused.table.count, 0, `${name}: empty after reset`);
      const got = indexes(reused, reusedEnc, bytes, 5);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Buffer.from(got[i]).equals(Buffer.from(want[i])), `${name}: index ${i + 1} of ${want.length} differs from a fresh indexer's`);
        compared++;
      }
      assert.equal(reused.packets, fresh.packets, `${name}: packets`);
      assert.equal(reused.table.count, fresh.table.count, `${name}: flows`);
    }
    assert.ok(compared > 100, `${compared} indexes compared`);
    // the property is only tested where the reused table held more than the next capture needs
    assert.ok(grownPast > 10, `${grownPast} captures indexed by a table that had held more flows`);
  });

  test('an indexer that split its input into index parts refuses a reset (its tables carry flows)', () => {
    const ix = new CaptureIndexer();
    const bytes = new Uint8Array(readFileSync(capturePath('zeek__wikipedia.pcap')));
    createCaptureParser(ix).push(bytes);
    ix.nextPart(0);
    assert.throws(() => ix.reset(), /index parts cannot be reused/);
    assert.throws(() => ix.table.reset(), /cannot be reused/);
  });
});
