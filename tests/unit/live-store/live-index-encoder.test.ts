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
import { FOOTER_SIZE, HEADER_SIZE, SectionType, type IndexMeta } from '../../../common/index/index-format.js';
import { IndexView, checkIndexHeader, decodeOffsets, parseIndexFooter, parseSectionTable } from '../../../common/index/index-reader.js';
import { encodeIndex, type EncodedIndex, type IndexMetaInput } from '../../../common/index/index-writer.js';
import { nativeCrc32 } from '../../../node/store/index-file.js';
import { LiveIndexEncoder } from '../../../node/store/live/live-index-encoder.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { prng } from '../../helpers/prng.js';

interface Decoded {
  meta: IndexMeta;
  records: unknown[];
  offsets: number[][];
  sections: Map<number, Uint8Array>;
}

/** Parses an encoded index with the reader's own checks (footer, CRC, section table, view). */
function decode(e: EncodedIndex): Decoded {
  const bytes = new Uint8Array(e.size);
  let at = 0;
  for (const c of e.chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const footer = parseIndexFooter(bytes.subarray(bytes.length - FOOTER_SIZE), bytes.length);
  assert.equal(typeof footer, 'object', String(footer));
  if (typeof footer === 'string') throw new Error(footer);
  assert.equal(nativeCrc32(bytes.subarray(0, bytes.length - FOOTER_SIZE)), footer.crc, 'CRC over the file');
  assert.equal(checkIndexHeader(bytes.subarray(0, HEADER_SIZE)), null);
  const spans = parseSectionTable(bytes.subarray(footer.tableOffset, footer.tableOffset + footer.sectionCount * 24), footer.sectionCount, footer.tableOffset);
  if (typeof spans === 'string') throw new Error(spans);
  const sections = new Map<number, Uint8Array>();
  for (const [t, s] of spans) sections.set(t, bytes.slice(s.offset, s.offset + s.length));
  const meta = JSON.parse(new TextDecoder().decode(sections.get(SectionType.Meta))) as IndexMeta;
  const view = new IndexView({
    meta,
    flows: sections.get(SectionType.Flows) as Uint8Array,
    ipPostings: sections.get(SectionType.IpPostings) as Uint8Array,
    portPostings: sections.get(SectionType.PortPostings) as Uint8Array,
    protoPostings: sections.get(SectionType.ProtoPostings) as Uint8Array,
    timeOrder: sections.get(SectionType.TimeOrder) as Uint8Array,
  });
  const off = sections.get(SectionType.Offsets) as Uint8Array;
  const records: unknown[] = [];
  const offsets: number[][] = [];
  for (let i = 0; i < view.flowCount; i++) {
    const r = view.record(i);
    assert.ok(r.offsetsStart + r.offsetsLength <= off.length, `flow ${i} offsets inside the section`);
    offsets.push([...decodeOffsets(off.subarray(r.offsetsStart, r.offsetsStart + r.offsetsLength), r.clientPackets + r.serverPackets)]);
    records.push({ ...r, offsetsStart: 0 });
  }
  return { meta, records, offsets, sections };
}

function metaOf(ix: CaptureIndexer, consumed: number): IndexMetaInput {
  return {
    writer: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    source: { path: 'x', fingerprint: '0'.repeat(64), size: consumed, mtimeMs: 0 },
    format: ix.fileInfo?.format ?? 'pcap',
    compressed: null,
    pcapHeaderHex: null,
    nanosecond: ix.fileInfo?.nanosecond ?? true,
    littleEndian: ix.fileInfo?.littleEndian ?? true,
    interfaces: ix.interfaces,
    packets: ix.packets,
    bytes: ix.bytes,
    indexedBytes: consumed,
    firstTs: ix.firstTs,
    lastTs: ix.lastTs,
    damage: null,
    counts: { nonIpPackets: ix.nonIpPackets, undecodedPackets: ix.undecodedPackets, malformedPackets: ix.malformedPackets },
  };
}

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
