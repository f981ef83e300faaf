/**
 * Serializes a finished FlowTable into the version-1 index format (see index-format.ts).
 * Flow ids are the table's flow numbers: the order in which flows' first packets were read.
 */
import { ByteWriter } from '../encoding/byte-writer.js';
import { crc32 as defaultCrc32, type Crc32 } from '../encoding/crc32.js';
import { FlowKind, type FlowTable } from '../flow/flow-table.js';
import { writeFlowCounters, writeFlowIdentity } from './flow-record-writer.js';
import {
  FLOW_RECORD_SIZE,
  FOOTER_MAGIC,
  HEADER_MAGIC,
  INDEX_VERSION,
  SectionType,
  asciiBytes,
  type IndexMeta,
} from './index-format.js';
import { IpPostingsBuilder, NumericPostingsBuilder } from './postings.js';

export interface EncodedIndex {
  /** The file's bytes in order; write them one after another. */
  chunks: Uint8Array[];
  size: number;
  meta: IndexMeta;
}

/** Fields of IndexMeta that the writer computes from the table. */
export type IndexMetaInput = Omit<IndexMeta, 'flowCount' | 'maxDurationSec' | 'indexVersion' | 'counts'> & {
  counts: Omit<IndexMeta['counts'], 'fragmentedFlows'>;
};

export function encodeIndex(table: FlowTable, metaIn: IndexMetaInput, crc: Crc32 = defaultCrc32): EncodedIndex {
  const n = table.count;
  const flows = new ByteWriter(Math.max(1024, n * FLOW_RECORD_SIZE));
  const offsets = new ByteWriter(Math.max(1024, table.packets * 3));
  const ipPost = new IpPostingsBuilder();
  const portPost = new NumericPostingsBuilder(2);
  const protoPost = new NumericPostingsBuilder(2);
  const addrA = new Uint8Array(16);
  const addrB = new Uint8Array(16);
  let maxDuration = 0;
  let fragmentedFlows = 0;

  for (let f = 0; f < n; f++) {
    const at = flows.reserve(FLOW_RECORD_SIZE);
    const v = flows.dataView;
    const kind = table.kind[f];
    writeFlowIdentity(table, f, flows.raw, v, at, addrA, addrB);
    const durExact = writeFlowCounters(table, f, flows.raw, v, at);
    if (durExact > maxDuration) maxDuration = durExact;
    // packet offsets: zigzag LEB128 deltas, copied from the table's arena
    const start = offsets.length;
    if (table.offsetsUnsorted(f)) offsets.bytes(table.encodedOffsets(f));
    else {
      const len = table.encodedOffsetsLength(f);
      const to = offsets.reserveForCopy(len);
      table.copyEncodedOffsets(f, offsets.raw, to);
    }
    flows.dataView.setFloat64(at + 96, start, true);
    flows.dataView.setUint32(at + 104, offsets.length - start, true);
    if (kind === FlowKind.Ip) {
      ipPost.add(table.ipVersion[f], addrA, f);
      ipPost.add(table.ipVersion[f], addrB, f);
      if (table.hasPorts[f] === 1) {
        const pa = table.portOf(f, 0);
        const pb = table.portOf(f, 1);
        portPost.add(Math.min(pa, pb), f);
        portPost.add(Math.max(pa, pb), f);
      }
      protoPost.add(table.proto[f], f);
    } else {
      protoPost.add(0x100 | kind, f);
    }
    if (table.fragmented[f]) fragmentedFlows++;
  }

  // flow ids by first packet time (stable: ties keep flow id order)
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const fs = table.firstSec;
  const fn = table.firstNsec;
  const sorted = Array.from(order).sort((a, b) => fs[a] - fs[b] || fn[a] - fn[b] || a - b);
  const timeOrder = new Uint8Array(Uint32Array.from(sorted).buffer);

  const meta: IndexMeta = {
    ...metaIn,
    indexVersion: INDEX_VERSION,
    flowCount: n,
    maxDurationSec: maxDuration,
    counts: { ...metaIn.counts, fragmentedFlows },
  };
  const sections: [number, Uint8Array][] = [
    [SectionType.Meta, new TextEncoder().encode(JSON.stringify(meta))],
    [SectionType.Flows, flows.take()],
    [SectionType.Offsets, offsets.take()],
    [SectionType.IpPostings, ipPost.encode()],
    [SectionType.PortPostings, portPost.encode()],
    [SectionType.ProtoPostings, protoPost.encode()],
    [SectionType.TimeOrder, timeOrder],
  ];
  if (table.continuations > 0) sections.push([SectionType.Continuations, encodeContinuations(table)]);
  return { ...assemble(sections, crc), meta };
}

/** The Continuations section: (flow, earlier part, flow there) per flow continuing one. */
function encodeContinuations(table: FlowTable): Uint8Array {
  const out = new Uint32Array(table.continuations * 3);
  let k = 0;
  for (let f = 0; f < table.count; f++) {
    if (table.contPart[f] < 0) continue;
    out[k++] = f;
    out[k++] = table.contPart[f];
    out[k++] = table.contFlow[f];
  }
  // little-endian on every platform Tapline runs on (x86-64, arm64)
  return new Uint8Array(out.buffer);
}

function assemble(sections: [number, Uint8Array][], crc: Crc32): Omit<EncodedIndex, 'meta'> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let c = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    size += b.length;
    c = crc(b, c);
  };
  const header = new ByteWriter(16);
  header.bytes(asciiBytes(HEADER_MAGIC));
  header.u32(INDEX_VERSION);
  header.u32(0);
  push(header.finish());
  const table = new ByteWriter(sections.length * 24);
  for (const [type, body] of sections) {
    const pad = (8 - (size % 8)) % 8;
    if (pad) push(new Uint8Array(pad));
    table.u32(type);
    table.u32(0);
    table.f64(size);
    table.f64(body.length);
    push(body);
  }
  const pad = (8 - (size % 8)) % 8;
  if (pad) push(new Uint8Array(pad));
  const tableOffset = size;
  push(table.finish());
  const footer = new ByteWriter(32);
  footer.f64(tableOffset);
  footer.u32(sections.length);
  footer.u32(c);
  footer.bytes(asciiBytes(FOOTER_MAGIC));
  footer.u32(INDEX_VERSION);
  footer.u32(0);
  const fb = footer.finish();
  chunks.push(fb);
  size += fb.length;
  return { chunks, size };
}
