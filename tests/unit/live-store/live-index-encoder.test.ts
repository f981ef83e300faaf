/**
 * The incremental snapshot encoder against the import pipeline's own encodeIndex: fed the same
 * capture in pieces, every incremental snapshot must read back (through the v1 reader's checks)
 * as the same index: meta, every flow record, every flow's packet offsets, the postings and the
 * time order. Only the placement of offset lists inside their section may differ.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { SectionType } from '../../../common/index/index-format.js';
import { encodeIndex, type EncodedIndex } from '../../../common/index/index-writer.js';
import { nativeCrc32 } from '../../../node/store/index-file.js';
import { LiveIndexEncoder } from '../../../node/store/live/live-index-encoder.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { prng } from '../../helpers/prng.js';
import { decode, metaOf } from './index-compare.js';

function assertSame(inc: EncodedIndex, full: EncodedIndex, what: string): void {
  const a = decode(inc);
  const b = decode(full);
  assert.deepEqual(a.meta, b.meta, `${what}: meta`);
  assert.deepEqual(a.records, b.records, `${what}: flow records`);
  assert.deepEqual(a.offsets, b.offsets, `${what}: packet offsets`);
  for (const t of [SectionType.IpPostings, SectionType.PortPostings, SectionType.ProtoPostings, SectionType.TimeOrder]) {
    assert.deepEqual(a.sections.get(t), b.sections.get(t), `${what}: section ${t}`);
  }
}

/** Feeds a capture in random pieces, taking an incremental snapshot after each and comparing it. */
function checkCapture(bytes: Uint8Array, seed: number, pieces: number): number {
  const rnd = prng(seed);
  const ix = new CaptureIndexer();
  const parser = createCaptureParser(ix);
  const enc = new LiveIndexEncoder(ix.table, nativeCrc32);
  let at = 0;
  let snapshots = 0;
  while (at < bytes.length) {
    const n = Math.max(1, Math.floor(rnd() * ((2 * bytes.length) / pieces)));
    parser.push(bytes.subarray(at, Math.min(bytes.length, at + n)));
    at += n;
    const inc = enc.encode(metaOf(ix, parser.consumed));
    const full = encodeIndex(ix.table, metaOf(ix, parser.consumed), nativeCrc32);
    assertSame(inc, full, `after ${Math.min(at, bytes.length)} bytes`);
    snapshots++;
  }
  return snapshots;
}

describe('live index encoder', { skip: corpusSkipReason }, () => {
  test('every corpus capture, fed in random pieces: each incremental snapshot reads back as encodeIndex of the same table', () => {
    let total = 0;
    for (const name of corpusCaptures()) {
      const bytes = new Uint8Array(readFileSync(capturePath(name)));
      try {
        total += checkCapture(bytes, name.length, 12);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
    assert.ok(total > 100, `${total} snapshots compared`);
  });

  test('a quiet interval re-encodes nothing, and a flow that grows keeps its id and gains only its new packets', () => {
    const bytes = new Uint8Array(readFileSync(capturePath('zeek__wikipedia.pcap')));
    const ix = new CaptureIndexer();
    const parser = createCaptureParser(ix);
    const enc = new LiveIndexEncoder(ix.table, nativeCrc32);
    parser.push(bytes.subarray(0, bytes.length >> 1));
    const first = decode(enc.encode(metaOf(ix, parser.consumed)));
    assert.ok(enc.last.dirtyFlows > 0 && enc.last.newFlows === enc.last.dirtyFlows);
    enc.encode(metaOf(ix, parser.consumed));
    assert.deepEqual({ ...enc.last }, { dirtyFlows: 0, newFlows: 0, offsetBytesCopied: 0, fullResort: false }, 'nothing changed, nothing encoded');
    parser.push(bytes.subarray(bytes.length >> 1));
    const second = decode(enc.encode(metaOf(ix, parser.consumed)));
    assert.ok(enc.last.dirtyFlows < ix.table.count, `${enc.last.dirtyFlows} of ${ix.table.count} flows re-encoded`);
    for (let f = 0; f < first.offsets.length; f++) assert.deepEqual(second.offsets[f].slice(0, first.offsets[f].length), first.offsets[f], `flow ${f} keeps its earlier packets`);
  });
});
