/**
 * Snapshot indexes of an open live segment, encoded incrementally: the same version-1 file that
 * encodeIndex writes (any v1 reader opens it), but each snapshot redoes only what changed since
 * the previous one, so a flush costs in proportion to the traffic since the last flush, not to
 * the open segment.
 *
 * What is kept between snapshots (the FlowTable only appends flows and grows them):
 * - Flow records (112 bytes each) in one growing buffer; a flow is re-encoded only when its
 *   packet count moved (every change to a flow comes with a packet), and its identity part
 *   (addresses, ports, the Community ID hash: a SHA-1, the costliest part of a record) only when
 *   the flow is new or its client and server swapped.
 * - Offsets: each flow's list lives in a slot with room to grow (1.5x), rewritten in place when a
 *   dirty flow still fits, moved to the end of the section when it outgrows its slot. A v1 reader
 *   reads each list at (offsetsStart, offsetsLength), so the unused room is never read. The
 *   segment's final index is encoded the same way (the slack is a fraction of a percent of it).
 * - Postings: encodeIndex's own builders (common/index/postings.ts), kept between snapshots: a
 *   new flow's keys are appended once as (key, id) pairs in typed arrays, and a section is
 *   re-encoded (one native sort of the pairs) only when flows arrived. (A sorted map of key
 *   strings with an id blob per key, kept here before, cost several times more per flow: a live
 *   segment starts every flow afresh, so each segment adds all its keys anew.)
 * - TimeOrder: new flows are sorted among themselves and merged into the previous order (a full
 *   re-sort only when an older flow's first packet time moved back, which out-of-order timestamps
 *   can do).
 * What is redone every time: one pass comparing packet counts (a typed-array scan), the meta JSON,
 * and the CRC and write of the file (native, memory speed; the index is about 1% of the segment).
 *
 * The returned chunks are views of the encoder's buffers: they must be written before the next
 * encode() (the live writer keeps one snapshot in flight at a time).
 */
import type { Crc32 } from '../../../common/encoding/crc32.js';
import { FlowKind, type FlowTable } from '../../../common/flow/flow-table.js';
import {
  FLOW_RECORD_SIZE,
  FOOTER_MAGIC,
  FlowFlag,
  HEADER_MAGIC,
  INDEX_VERSION,
  SectionType,
  asciiBytes,
  type IndexMeta,
} from '../../../common/index/index-format.js';
import type { EncodedIndex, IndexMetaInput } from '../../../common/index/index-writer.js';
import { writeFlowCounters, writeFlowIdentity } from '../../../common/index/flow-record-writer.js';
import { IpPostingsBuilder, NumericPostingsBuilder } from '../../../common/index/postings.js';

export interface LiveIndexEncodeStats {
  /** Flows whose record was (re)encoded by the last encode(). */
  dirtyFlows: number;
  /** Flows added since the encode before it. */
  newFlows: number;
  /** Offset bytes copied by the last encode(). */
  offsetBytesCopied: number;
  /** Whether the last encode() had to re-sort every flow by time. */
  fullResort: boolean;
}

export class LiveIndexEncoder {
  /** Flows covered by the previous snapshot. */
  private n = 0;
  private cap = 0;
  private records = new Uint8Array(0);
  private rv = new DataView(this.records.buffer);
  private seenPackets = new Float64Array(0);
  private seenFirstSec = new Float64Array(0);
  private seenFirstNsec = new Uint32Array(0);
  private seenClientIsA = new Uint8Array(0);
  private slotStart = new Float64Array(0);
  private slotCap = new Float64Array(0);
  private offsets = new Uint8Array(64 * 1024);
  private offLen = 0;
  private order = new Uint32Array(0);
  private readonly ipPost = new IpPostingsBuilder();
  private readonly portPost = new NumericPostingsBuilder(2);
  private readonly protoPost = new NumericPostingsBuilder(2);
  /** The postings sections as last encoded, and the flow count they cover. */
  private postings: [Uint8Array, Uint8Array, Uint8Array] | null = null;
  private postingsFlows = -1;
  private maxDuration = 0;
  private fragmentedFlows = 0;
  private readonly addrA = new Uint8Array(16);
  private readonly addrB = new Uint8Array(16);
  readonly last: LiveIndexEncodeStats = { dirtyFlows: 0, newFlows: 0, offsetBytesCopied: 0, fullResort: false };

  constructor(
    private readonly table: FlowTable,
    private readonly crc: Crc32,
  ) {}

  /**
   * Starts over for the table after its FlowTable.reset (the writer's next segment reuses a
   * closed segment's table and encoder), keeping the grown buffers: the indexes it then encodes
   * are byte for byte those of a fresh encoder (the offset slots' slack is zeroed again). Only
   * once every index encode() returned has been written: they are views of these buffers.
   */
  reset(): void {
    const n = this.n;
    this.records.fill(0, 0, n * FLOW_RECORD_SIZE);
    this.offsets.fill(0, 0, this.offLen);
    for (const c of [this.seenPackets, this.seenFirstSec, this.slotStart, this.slotCap]) c.fill(0, 0, n);
    this.seenFirstNsec.fill(0, 0, n);
    this.seenClientIsA.fill(0, 0, n);
    this.n = 0;
    this.offLen = 0;
    this.order = new Uint32Array(0);
    this.ipPost.clear();
    this.portPost.clear();
    this.protoPost.clear();
    this.postings = null;
    this.postingsFlows = -1;
    this.maxDuration = 0;
    this.fragmentedFlows = 0;
    Object.assign(this.last, { dirtyFlows: 0, newFlows: 0, offsetBytesCopied: 0, fullResort: false });
  }

  encode(metaIn: IndexMetaInput): EncodedIndex {
    const t = this.table;
    const n0 = this.n;
    const n = t.count;
    if (n > this.cap) this.grow(n);
    let dirty = 0;
    let copied = 0;
    let resort = false;
    for (let f = 0; f < n; f++) {
      const pk = t.pktsA[f] + t.pktsB[f];
      if (f < n0 && pk === this.seenPackets[f]) continue;
      dirty++;
      this.seenPackets[f] = pk;
      if (f < n0 && (t.firstSec[f] !== this.seenFirstSec[f] || t.firstNsec[f] !== this.seenFirstNsec[f])) resort = true;
      this.seenFirstSec[f] = t.firstSec[f];
      this.seenFirstNsec[f] = t.firstNsec[f];
      copied += this.writeRecord(f, f >= n0);
    }
    const timeOrder = this.timeOrder(n0, n, resort);
    this.n = n;
    Object.assign(this.last, { dirtyFlows: dirty, newFlows: n - n0, offsetBytesCopied: copied, fullResort: resort });
    // postings change only with new flows (a flow's keys are added once, when it is new)
    if (this.postings === null || this.postingsFlows !== n) {
      this.postings = [this.ipPost.encode(), this.portPost.encode(), this.protoPost.encode()];
      this.postingsFlows = n;
    }
    const postings = this.postings;
    const meta: IndexMeta = {
      ...metaIn,
      indexVersion: INDEX_VERSION,
      flowCount: n,
      maxDurationSec: this.maxDuration,
      counts: { ...metaIn.counts, fragmentedFlows: this.fragmentedFlows },
    };
    return {
      ...assemble(
        [
          [SectionType.Meta, new TextEncoder().encode(JSON.stringify(meta))],
          [SectionType.Flows, this.records.subarray(0, n * FLOW_RECORD_SIZE)],
          [SectionType.Offsets, this.offsets.subarray(0, this.offLen)],
          [SectionType.IpPostings, postings[0]],
          [SectionType.PortPostings, postings[1]],
          [SectionType.ProtoPostings, postings[2]],
          [SectionType.TimeOrder, new Uint8Array(timeOrder.buffer, timeOrder.byteOffset, timeOrder.byteLength)],
        ],
        this.crc,
      ),
      meta,
    };
  }

  /**
   * Encodes flow f's record; returns offset bytes copied. The identity part (addresses, ports,
   * kind, VLANs, Community ID hash, postings) is written for a new flow, and again only when the
   * table swapped which endpoint is the client; counters, times, flags and offsets every time.
   */
  private writeRecord(f: number, isNew: boolean): number {
    const t = this.table;
    const at = f * FLOW_RECORD_SIZE;
    const raw = this.records;
    const v = this.rv;
    if (isNew || this.seenClientIsA[f] !== t.clientIsA[f]) this.writeIdentity(f, isNew);
    const wasFragmented = !isNew && (raw[at + 3] & FlowFlag.Fragmented) !== 0;
    // durations only grow (last moves later, first earlier): a running maximum is exact
    const durExact = writeFlowCounters(t, f, raw, v, at);
    if (t.fragmented[f] && !wasFragmented) this.fragmentedFlows++;
    if (durExact > this.maxDuration) this.maxDuration = durExact;
    const len = this.writeOffsets(f, isNew);
    v.setFloat64(at + 96, this.slotStart[f], true);
    v.setUint32(at + 104, len, true);
    return len;
  }

  private writeIdentity(f: number, isNew: boolean): void {
    const t = this.table;
    const kind = t.kind[f];
    this.seenClientIsA[f] = t.clientIsA[f];
    const addrA = this.addrA;
    const addrB = this.addrB;
    writeFlowIdentity(t, f, this.records, this.rv, f * FLOW_RECORD_SIZE, addrA, addrB);
    if (!isNew) return;
    if (kind === FlowKind.Ip) {
      this.ipPost.add(t.ipVersion[f], addrA, f);
      this.ipPost.add(t.ipVersion[f], addrB, f);
      if (t.hasPorts[f] === 1) {
        const pa = t.portOf(f, 0);
        const pb = t.portOf(f, 1);
        this.portPost.add(Math.min(pa, pb), f);
        this.portPost.add(Math.max(pa, pb), f);
      }
      this.protoPost.add(t.proto[f], f);
    } else this.protoPost.add(0x100 | kind, f);
  }

  /** Copies flow f's whole encoded offset list into its slot (moving it when it outgrew it). */
  private writeOffsets(f: number, isNew: boolean): number {
    const t = this.table;
    const unsorted = t.offsetsUnsorted(f);
    const encoded = unsorted ? t.encodedOffsets(f) : null;
    const len = encoded ? encoded.length : t.encodedOffsetsLength(f);
    if (isNew || len > this.slotCap[f]) {
      const cap = len + (len >>> 1) + 8;
      this.ensureOffsets(this.offLen + cap);
      this.slotStart[f] = this.offLen;
      this.slotCap[f] = cap;
      this.offLen += cap;
    }
    const at = this.slotStart[f];
    if (encoded) this.offsets.set(encoded, at);
    else t.copyEncodedOffsets(f, this.offsets, at);
    return len;
  }

  private ensureOffsets(need: number): void {
    if (need <= this.offsets.length) return;
    const next = new Uint8Array(Math.max(need, this.offsets.length * 2));
    next.set(this.offsets.subarray(0, this.offLen));
    this.offsets = next;
  }

  /** Flow ids by first packet time, ties by id (encodeIndex's order). */
  private timeOrder(n0: number, n: number, resort: boolean): Uint32Array {
    const fs = this.seenFirstSec;
    const fn = this.seenFirstNsec;
    const cmp = (a: number, b: number): number => fs[a] - fs[b] || fn[a] - fn[b] || a - b;
    if (resort) {
      const all = Array.from({ length: n }, (_, i) => i).sort(cmp);
      this.order = Uint32Array.from(all);
      return this.order;
    }
    if (n === n0) return this.order;
    const added = Array.from({ length: n - n0 }, (_, i) => n0 + i).sort(cmp);
    const old = this.order;
    const out = new Uint32Array(n);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) out[k++] = cmp(old[i], added[j]) <= 0 ? old[i++] : added[j++];
    while (i < old.length) out[k++] = old[i++];
    while (j < added.length) out[k++] = added[j++];
    this.order = out;
    return out;
  }

  private grow(min: number): void {
    const cap = Math.max(min, this.cap * 2, 256);
    const g = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.records = g(this.records, cap * FLOW_RECORD_SIZE);
    this.rv = new DataView(this.records.buffer);
    this.seenPackets = g(this.seenPackets, cap);
    this.seenFirstSec = g(this.seenFirstSec, cap);
    this.seenFirstNsec = g(this.seenFirstNsec, cap);
    this.seenClientIsA = g(this.seenClientIsA, cap);
    this.slotStart = g(this.slotStart, cap);
    this.slotCap = g(this.slotCap, cap);
    this.cap = cap;
  }
}

/**
 * The v1 file around its sections: header, 8-aligned sections, section table, footer with CRC.
 * Plain loops, no closures made per call: a fresh closure per encode, once inlined, made V8 drop
 * encode()'s optimized code ("wrong call target") and compile it again.
 */
function assemble(sections: [number, Uint8Array][], crc: Crc32): Omit<EncodedIndex, 'meta'> {
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(16);
  const hv = new DataView(header.buffer);
  header.set(asciiBytes(HEADER_MAGIC), 0);
  hv.setUint32(8, INDEX_VERSION, true);
  chunks.push(header);
  let size = header.length;
  let c = crc(header, 0);
  const table = new Uint8Array(sections.length * 24);
  const tv = new DataView(table.buffer);
  // each section, then the table, starts 8-aligned
  let tableOffset = 0;
  for (let i = 0; i <= sections.length; i++) {
    const p = (8 - (size % 8)) % 8;
    if (p) {
      const pad = ZERO_PAD.subarray(0, p);
      chunks.push(pad);
      size += p;
      c = crc(pad, c);
    }
    let body: Uint8Array = table;
    if (i < sections.length) {
      body = sections[i][1];
      tv.setUint32(i * 24, sections[i][0], true);
      tv.setFloat64(i * 24 + 8, size, true);
      tv.setFloat64(i * 24 + 16, body.length, true);
    } else tableOffset = size;
    chunks.push(body);
    size += body.length;
    c = crc(body, c);
  }
  const footer = new Uint8Array(32);
  const fv = new DataView(footer.buffer);
  fv.setFloat64(0, tableOffset, true);
  fv.setUint32(8, sections.length, true);
  fv.setUint32(12, c, true);
  footer.set(asciiBytes(FOOTER_MAGIC), 16);
  fv.setUint32(24, INDEX_VERSION, true);
  chunks.push(footer);
  size += footer.length;
  return { chunks, size };
}

/** Zero bytes for section padding (read only: padding chunks are views of it). */
const ZERO_PAD = new Uint8Array(8);
