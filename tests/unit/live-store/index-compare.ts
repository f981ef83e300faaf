/**
 * Reading an encoded index back for comparisons (the live encoder against encodeIndex, the live
 * writer's segment indexes against an import of the segment file): through the v1 reader's own
 * checks (footer, CRC, section table, view), with each flow's packet offsets decoded.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { FOOTER_SIZE, HEADER_SIZE, SectionType, type IndexMeta } from '../../../common/index/index-format.js';
import { IndexView, checkIndexHeader, decodeOffsets, parseIndexFooter, parseSectionTable } from '../../../common/index/index-reader.js';
import { encodeIndex, type EncodedIndex, type IndexMetaInput } from '../../../common/index/index-writer.js';
import { nativeCrc32 } from '../../../node/store/index-file.js';
import { segmentIndexPath, segmentsDir } from '../../../node/store/live/segment-files.js';

export interface Decoded {
  meta: IndexMeta;
  records: unknown[];
  offsets: number[][];
  sections: Map<number, Uint8Array>;
}

/** Parses an encoded index with the reader's own checks (footer, CRC, section table, view). */
export function decode(e: EncodedIndex): Decoded {
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

export function metaOf(ix: CaptureIndexer, consumed: number): IndexMetaInput {
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

/**
 * Asserts that the live segment `file` of `store` has a final index equal, field by field, to
 * what importing the segment file gives (records, offsets, postings, time order, counts); returns
 * the segment's bytes and that import. `fastPath: false` imports with the general decoder only.
 */
export function assertSegmentIndexIsImport(store: string, file: string, opts: { fastPath?: boolean } = {}): { bytes: Buffer; imported: Decoded } {
  const id = file.replace(/\.pcap$/, '');
  const bytes = readFileSync(join(segmentsDir(store), file));
  const ix = new CaptureIndexer(opts);
  const parser = createCaptureParser(ix);
  parser.push(bytes);
  parser.end();
  ix.finish();
  const imported = decode(encodeIndex(ix.table, metaOf(ix, parser.consumed), nativeCrc32));
  const idx = new Uint8Array(readFileSync(segmentIndexPath(store, id)));
  const live = decode({ chunks: [idx], size: idx.length, meta: imported.meta });
  for (const k of ['packets', 'bytes', 'indexedBytes', 'firstTs', 'lastTs', 'flowCount', 'counts'] as const) {
    assert.deepEqual(live.meta[k], imported.meta[k], `${file}: meta ${k}`);
  }
  assert.deepEqual(live.records, imported.records, `${file}: flow records`);
  assert.deepEqual(live.offsets, imported.offsets, `${file}: packet offsets`);
  for (const t of [SectionType.IpPostings, SectionType.PortPostings, SectionType.ProtoPostings, SectionType.TimeOrder]) {
    assert.deepEqual(live.sections.get(t), imported.sections.get(t), `${file}: section ${t}`);
  }
  return { bytes, imported };
}

