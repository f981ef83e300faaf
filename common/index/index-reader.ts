/**
 * Reads a version-1 index: the footer and section table (to locate sections in a file), and an
 * IndexView over the loaded sections that answers flow queries through the postings.
 */
import { decodeZigzagOffsets } from '../flow/offset-arena.js';
import { rangeContains, type AddressRange } from '../net/address-range.js';
import { compareTs, type Timestamp } from '../time/timestamp.js';
import {
  FLOW_RECORD_SIZE,
  FOOTER_MAGIC,
  FOOTER_SIZE,
  FlowFlag,
  HEADER_MAGIC,
  HEADER_SIZE,
  INDEX_VERSION,
  TABLE_ENTRY_SIZE,
  fnv1a,
  matchesAscii,
  type IndexMeta,
} from './index-format.js';
import { PostingsView, intersectIds } from './postings.js';
import { flowCommunityId } from '../flow/flow-identity.js';
import type { FlowKind } from '../flow/flow-table.js';

export interface IndexFooter {
  tableOffset: number;
  sectionCount: number;
  crc: number;
}

export interface SectionSpan {
  offset: number;
  length: number;
}

/** Why an index cannot be used (it is then rebuilt), or null when the footer is sound. */
export function parseIndexFooter(footer: Uint8Array, fileSize: number): IndexFooter | string {
  if (fileSize < HEADER_SIZE + FOOTER_SIZE || footer.length !== FOOTER_SIZE) return 'index file is too short';
  const v = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  if (!matchesAscii(footer, 16, FOOTER_MAGIC)) return 'index footer missing (torn write?)';
  const version = v.getUint32(24, true);
  if (version !== INDEX_VERSION) return `index version ${version} is not ${INDEX_VERSION}`;
  const tableOffset = v.getFloat64(0, true);
  const sectionCount = v.getUint32(8, true);
  if (!Number.isSafeInteger(tableOffset) || tableOffset + sectionCount * TABLE_ENTRY_SIZE !== fileSize - FOOTER_SIZE)
    return 'index section table is inconsistent';
  return { tableOffset, sectionCount, crc: v.getUint32(12, true) };
}

export function checkIndexHeader(header: Uint8Array): string | null {
  if (!matchesAscii(header, 0, HEADER_MAGIC)) return 'not a Tapline index (bad magic)';
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const version = v.getUint32(8, true);
  return version === INDEX_VERSION ? null : `index version ${version} is not ${INDEX_VERSION}`;
}

export function parseSectionTable(table: Uint8Array, count: number, tableOffset: number): Map<number, SectionSpan> | string {
  const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out = new Map<number, SectionSpan>();
  for (let i = 0; i < count; i++) {
    const at = i * TABLE_ENTRY_SIZE;
    const type = v.getUint32(at, true);
    const offset = v.getFloat64(at + 8, true);
    const length = v.getFloat64(at + 16, true);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < HEADER_SIZE || offset + length > tableOffset)
      return `index section ${type} lies outside the file`;
    out.set(type, { offset, length });
  }
  return out;
}

/** One flow as stored, decoded for output. */
export interface FlowRecord {
  index: number;
  kind: FlowKind;
  ipVersion: number;
  proto: number;
  hasPorts: boolean;
  hasIcmp: boolean;
  fragmented: boolean;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  vlan: number;
  vlanInner: number;
  l2Type: number;
  client: Uint8Array;
  server: Uint8Array;
  clientPort: number;
  serverPort: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  offsetsStart: number;
  offsetsLength: number;
}

export interface FlowQuery {
  /** Each host must be an endpoint; with two hosts, one each side. */
  hosts?: AddressRange[];
  port?: number;
  proto?: number;
  since?: Timestamp;
  until?: Timestamp;
  communityId?: string;
}

export interface TupleQuery {
  sip: AddressRange;
  dip: AddressRange;
  spt?: number;
  dpt?: number;
  proto?: number;
  stime?: Timestamp;
  etime?: Timestamp;
}

export interface IndexSections {
  meta: IndexMeta;
  flows: Uint8Array;
  ipPostings: Uint8Array;
  portPostings: Uint8Array;
  protoPostings: Uint8Array;
  timeOrder: Uint8Array;
  /** Index parts: the Continuations section, when present. */
  continuations?: Uint8Array;
}

export class IndexView {
  readonly meta: IndexMeta;
  readonly flowCount: number;
  private readonly flows: Uint8Array;
  private readonly fv: DataView;
  private readonly ip: PostingsView;
  private readonly port: PostingsView;
  private readonly proto: PostingsView;
  private readonly timeOrder: Uint32Array;
  /** (flow, earlier part, flow there) triples; empty unless this is an index part continuing flows. */
  readonly continuations: Uint32Array;
  private readonly key = new Uint8Array(16);

  constructor(s: IndexSections) {
    this.meta = s.meta;
    this.flows = s.flows;
    this.fv = new DataView(s.flows.buffer, s.flows.byteOffset, s.flows.byteLength);
    this.flowCount = Math.floor(s.flows.length / FLOW_RECORD_SIZE);
    if (this.flowCount !== s.meta.flowCount || s.flows.length % FLOW_RECORD_SIZE !== 0) throw new RangeError('flow section size disagrees with the index metadata');
    this.ip = new PostingsView(s.ipPostings);
    this.port = new PostingsView(s.portPostings);
    this.proto = new PostingsView(s.protoPostings);
    const to = s.timeOrder;
    const aligned = to.byteOffset % 4 === 0 ? to : to.slice();
    this.timeOrder = new Uint32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
    if (this.timeOrder.length !== this.flowCount) throw new RangeError('time order section size disagrees with the flow count');
    const c = s.continuations ?? new Uint8Array(0);
    if (c.length % 12 !== 0) throw new RangeError('continuations section size is not a multiple of 12');
    const ca = c.byteOffset % 4 === 0 ? c : c.slice();
    this.continuations = new Uint32Array(ca.buffer, ca.byteOffset, ca.byteLength / 4);
    const part = s.meta.part?.number ?? 0;
    for (let k = 0; k < this.continuations.length; k += 3) {
      if (this.continuations[k] >= this.flowCount || this.continuations[k + 1] >= part) throw new RangeError('continuations section points outside the index parts before it');
    }
  }

  firstSec(i: number): number {
    return this.fv.getFloat64(i * FLOW_RECORD_SIZE + 56, true);
  }
  firstNsec(i: number): number {
    return this.fv.getUint32(i * FLOW_RECORD_SIZE + 52, true);
  }
  lastSec(i: number): number {
    return this.firstSec(i) + this.fv.getUint32(i * FLOW_RECORD_SIZE + 64, true);
  }
  lastNsec(i: number): number {
    return this.fv.getUint32(i * FLOW_RECORD_SIZE + 68, true);
  }

  /**
   * The Flows section itself (FLOW_RECORD_SIZE bytes per flow; read it, never change it): for
   * code that scans many flows' raw fields without building a record per flow.
   */
  get flowSection(): Uint8Array {
    return this.flows;
  }

  record(i: number): FlowRecord {
    const at = i * FLOW_RECORD_SIZE;
    const v = this.fv;
    const b = this.flows;
    const flags = b[at + 3];
    const hasIcmp = (flags & FlowFlag.HasIcmp) !== 0;
    return {
      index: i,
      kind: b[at] as FlowKind,
      ipVersion: b[at + 1],
      proto: b[at + 2],
      hasPorts: (flags & FlowFlag.HasPorts) !== 0,
      hasIcmp,
      fragmented: (flags & FlowFlag.Fragmented) !== 0,
      tcpFlags: v.getUint16(at + 4, true),
      icmpType: hasIcmp ? b[at + 6] : -1,
      icmpCode: hasIcmp ? b[at + 7] : -1,
      vlan: v.getUint16(at + 8, true) - 1,
      vlanInner: v.getUint16(at + 10, true) - 1,
      l2Type: v.getUint32(at + 12, true),
      client: b.slice(at + 16, at + 32),
      server: b.slice(at + 32, at + 48),
      clientPort: v.getUint16(at + 48, true),
      serverPort: v.getUint16(at + 50, true),
      firstSec: this.firstSec(i),
      firstNsec: this.firstNsec(i),
      lastSec: this.lastSec(i),
      lastNsec: this.lastNsec(i),
      clientPackets: v.getUint32(at + 72, true),
      serverPackets: v.getUint32(at + 76, true),
      clientBytes: v.getFloat64(at + 80, true),
      serverBytes: v.getFloat64(at + 88, true),
      offsetsStart: v.getFloat64(at + 96, true),
      offsetsLength: v.getUint32(at + 104, true),
    };
  }

  /** The endpoint address of flow i as a 16-byte posting key (IPv4 mapped). */
  private endpointKey(i: number, server: boolean): Uint8Array {
    const at = i * FLOW_RECORD_SIZE + (server ? 32 : 16);
    const k = this.key;
    if (this.flows[i * FLOW_RECORD_SIZE + 1] === 4) {
      k.fill(0, 0, 10);
      k[10] = 0xff;
      k[11] = 0xff;
      k[12] = this.flows[at];
      k[13] = this.flows[at + 1];
      k[14] = this.flows[at + 2];
      k[15] = this.flows[at + 3];
    } else k.set(this.flows.subarray(at, at + 16));
    return k;
  }

  private hostMatches(i: number, r: AddressRange, server: boolean): boolean {
    if (this.flows[i * FLOW_RECORD_SIZE] !== 0) return false;
    return rangeContains(r, this.endpointKey(i, server));
  }

  private idsForRange(r: AddressRange): Uint32Array {
    return this.ip.idsInRange(this.ip.lowerBound(r.lo), this.ip.upperBound(r.hi));
  }

  private idsForU16(p: PostingsView, hi: number, lo: number): Uint32Array {
    const k = new Uint8Array([hi, lo]);
    const i = p.lowerBound(k);
    if (i < p.count && p.key(i)[0] === hi && p.key(i)[1] === lo) return p.ids(i);
    return new Uint32Array(0);
  }

  /** Flows overlapping [since, until], via the first-time order (bounded by the longest flow). */
  private idsForTime(since: Timestamp | undefined, until: Timestamp | undefined): Uint32Array {
    const order = this.timeOrder;
    let lo = 0;
    let hi = order.length;
    if (until) {
      // first index whose first time is > until
      let a = 0;
      let b = order.length;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (compareTs(this.firstSec(order[m]), this.firstNsec(order[m]), until.sec, until.nsec) <= 0) a = m + 1;
        else b = m;
      }
      hi = a;
    }
    if (since) {
      const bound = since.sec - Math.ceil(this.meta.maxDurationSec) - 1;
      let a = 0;
      let b = hi;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (this.firstSec(order[m]) < bound) a = m + 1;
        else b = m;
      }
      lo = a;
    }
    return Uint32Array.from(order.subarray(lo, hi)).sort();
  }

  private overlapsTime(i: number, since?: Timestamp, until?: Timestamp): boolean {
    if (since && compareTs(this.lastSec(i), this.lastNsec(i), since.sec, since.nsec) < 0) return false;
    if (until && compareTs(this.firstSec(i), this.firstNsec(i), until.sec, until.nsec) > 0) return false;
    return true;
  }

  /** Ids of flows matching q, ascending. */
  match(q: FlowQuery): Uint32Array {
    let cand: Uint32Array | null = null;
    const narrow = (ids: Uint32Array): void => {
      cand = cand === null ? ids : intersectIds(cand, ids);
    };
    for (const h of q.hosts ?? []) narrow(this.idsForRange(h));
    if (q.port !== undefined) narrow(this.idsForU16(this.port, q.port >>> 8, q.port & 0xff));
    if (q.proto !== undefined) narrow(this.idsForU16(this.proto, 0, q.proto));
    if (cand === null && (q.since || q.until)) narrow(this.idsForTime(q.since, q.until));
    let ids: Uint32Array = cand ?? Uint32Array.from({ length: this.flowCount }, (_, i) => i);
    const hosts = q.hosts ?? [];
    const cidHash = q.communityId !== undefined ? fnv1a(q.communityId) : 0;
    const out: number[] = [];
    for (const i of ids) {
      if (!this.overlapsTime(i, q.since, q.until)) continue;
      if (hosts.length === 2) {
        const direct = this.hostMatches(i, hosts[0], false) && this.hostMatches(i, hosts[1], true);
        if (!direct && !(this.hostMatches(i, hosts[0], true) && this.hostMatches(i, hosts[1], false))) continue;
      } else if (hosts.length > 0) {
        if (!hosts.every((h) => this.hostMatches(i, h, false) || this.hostMatches(i, h, true))) continue;
      }
      if (q.communityId !== undefined) {
        if (this.fv.getUint32(i * FLOW_RECORD_SIZE + 108, true) !== cidHash) continue;
        if (communityIdOf(this.record(i)) !== q.communityId) continue;
      }
      out.push(i);
    }
    ids = Uint32Array.from(out);
    return ids;
  }

  /** Flows carrying the 5-tuple in either direction (ports and protocol optional). */
  matchTuple(q: TupleQuery): Uint32Array {
    const ids = this.match({ hosts: [q.sip, q.dip], proto: q.proto, since: q.stime, until: q.etime });
    if (q.spt === undefined && q.dpt === undefined) return ids;
    const out: number[] = [];
    for (const i of ids) {
      const at = i * FLOW_RECORD_SIZE;
      if ((this.flows[at + 3] & FlowFlag.HasPorts) === 0) continue;
      const cp = this.fv.getUint16(at + 48, true);
      const sp = this.fv.getUint16(at + 50, true);
      const fwd =
        this.hostMatches(i, q.sip, false) && this.hostMatches(i, q.dip, true) && (q.spt === undefined || q.spt === cp) && (q.dpt === undefined || q.dpt === sp);
      const rev =
        this.hostMatches(i, q.sip, true) && this.hostMatches(i, q.dip, false) && (q.spt === undefined || q.spt === sp) && (q.dpt === undefined || q.dpt === cp);
      if (fwd || rev) out.push(i);
    }
    return Uint32Array.from(out);
  }
}

export function communityIdOf(r: FlowRecord): string | null {
  if (r.kind !== 0) return null;
  return flowCommunityId(r.ipVersion, r.proto, r.client, r.server, r.hasPorts, r.clientPort, r.serverPort, r.icmpType, r.icmpCode);
}

/** Absolute record offsets from a flow's slice of the Offsets section. */
export function decodeOffsets(bytes: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  decodeZigzagOffsets(bytes, count, out);
  return out;
}
