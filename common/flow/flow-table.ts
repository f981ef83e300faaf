/**
 * The flow table: bidirectional flows keyed by VLAN + 5-tuple, built one packet at a time with
 * columnar typed arrays and an open-addressing hash (no per-packet objects). It also records, per
 * flow, the file offset of every packet (in an OffsetArena) so a slice is a seek-and-copy.
 *
 * Orientation: the client is the sender of a pure SYN (or the receiver of a SYN+ACK); without a
 * handshake, the side on an ephemeral port talking to a port < 1024 or to a well-known service
 * port; otherwise the sender of the first packet. ICMP echo/other requests orient by type.
 */
import type { PacketRecordView } from '../capture/capture-types.js';
import { DecodeStatus, FragmentKind, type DecodedPacket } from '../packet/decoded-packet.js';
import { BLOCK_SIZE, OffsetArena, PAGE_MASK, PAGE_SHIFT, PAYLOAD, copyList, decodeZigzagOffsets, encodeZigzagOffsets, type OffsetListState } from './offset-arena.js';
import { FragmentTracker, type PendingFragment } from './fragment-tracker.js';
import { isWellKnownServicePort } from './service-ports.js';
import type { FastIpv4 } from '../packet/ipv4-fast-path.js';
import { CarriedFlows, KEY_WORDS, copyFlowState, flowKeyHash, keySlot, type FlowStateColumns } from './carried-flows.js';

/** What kind of traffic a flow aggregates. */
export const FlowKind = {
  /** An IP flow (5-tuple or address pair). */
  Ip: 0,
  /** Link-layer traffic that is not IP (ARP, LLDP…), one flow per EtherType and VLAN. */
  NonIp: 1,
  /** Frames of a link type Tapline does not decode, one flow per link type. */
  Undecoded: 2,
  /** Frames whose IP header could not be read, one flow per link type. */
  Malformed: 3,
} as const;
export type FlowKind = (typeof FlowKind)[keyof typeof FlowKind];

export const TcpState = { SynSeen: 1, FinFromA: 2, FinFromB: 4, Rst: 8 } as const;

export interface FlowTableOptions {
  /** Idle gap after which the same 5-tuple starts a new flow, per protocol family (seconds). */
  tcpIdleSec?: number;
  udpIdleSec?: number;
  otherIdleSec?: number;
  /** How long fragments wait for their first fragment before they form an address-pair flow. */
  fragmentTimeoutSec?: number;
}

const KW = KEY_WORDS; // key words per flow
const EMPTY = 0;
/** Bytes of the per-flow columns (see grow). */
const FLOW_COLUMN_BYTES = KW * 4 + 5 + 12 + 4 + 24 + 32 + 4 + 8 + 22;
/** Flows a budget check ahead of growing (CaptureIndexer checks every few hundred packets). */
const GROWTH_MARGIN = 2048;
/** Offset arena pages (1 MiB each) a reset table keeps for its next use. */
const RESET_KEEP_PAGES = 64;
/** How far back in time packets may go and still continue a flow carried to the next index part. */
export const CARRY_SLACK_SEC = 60;

/**
 * What a native indexer of packets of existing flows works on (node/store/live/native-stretch.ts):
 * the table's own columns, hash slots and offset arena pages, written in place. Valid until the
 * table's layoutVersion changes.
 */
export interface FlowTableNativeColumns {
  keys: Uint32Array;
  slots: Int32Array;
  slotMask: number;
  firstSec: Float64Array;
  firstNsec: Uint32Array;
  lastSec: Float64Array;
  lastNsec: Uint32Array;
  pktsA: Float64Array;
  pktsB: Float64Array;
  bytesA: Float64Array;
  bytesB: Float64Array;
  tcpFlags: Uint16Array;
  tcpState: Uint8Array;
  offHead: Int32Array;
  offTail: Int32Array;
  offTailPos: Uint8Array;
  offBytes: Uint32Array;
  offLast: Float64Array;
  offUnsorted: Uint8Array;
  pages: Uint8Array[];
  tcpIdleSec: number;
  udpIdleSec: number;
}

export class FlowTable {
  count = 0;
  private capacity = 0;
  // key and identity
  keys = new Uint32Array(0);
  kind = new Uint8Array(0);
  ipVersion = new Uint8Array(0);
  proto = new Uint8Array(0);
  hasPorts = new Uint8Array(0);
  clientIsA = new Uint8Array(0);
  vlan = new Int32Array(0);
  vlanInner = new Int32Array(0);
  /** EtherType (NonIp) or link type (Undecoded/Malformed). */
  l2Type = new Uint32Array(0);
  icmpType = new Int16Array(0);
  icmpCode = new Int16Array(0);
  // statistics
  firstSec = new Float64Array(0);
  firstNsec = new Uint32Array(0);
  lastSec = new Float64Array(0);
  lastNsec = new Uint32Array(0);
  pktsA = new Float64Array(0);
  pktsB = new Float64Array(0);
  bytesA = new Float64Array(0);
  bytesB = new Float64Array(0);
  tcpFlags = new Uint16Array(0);
  tcpState = new Uint8Array(0);
  /** Set when a fragment had to be attributed by its fragment id rather than its own header. */
  fragmented = new Uint8Array(0);
  /**
   * Index parts (nextPart): the part and flow number of the flow an earlier part holds that this
   * flow continues; contPart -1 when it continues none.
   */
  contPart = new Int32Array(0);
  contFlow = new Uint32Array(0);
  /** Flows of this table that continue a flow of an earlier part. */
  continuations = 0;
  // packet offsets
  readonly arena = new OffsetArena();
  // offset list cursors, held as fields so the per-packet append loads them directly
  private offHead = new Int32Array(0);
  private offTail = new Int32Array(0);
  private offTailPos = new Uint8Array(0);
  private offBytes = new Uint32Array(0);
  private offLast = new Float64Array(0);
  private offUnsorted = new Uint8Array(0);
  private off: OffsetListState = {
    head: this.offHead,
    tail: this.offTail,
    tailPos: this.offTailPos,
    bytes: this.offBytes,
    last: this.offLast,
    unsorted: this.offUnsorted,
  };
  // hash: slot -> flow index + 1
  private slots = new Int32Array(1024);
  private slotMask = 1023;
  private slotsUsed = 0;

  /** Bumped when a column or the hash slots are replaced (see layoutVersion). */
  private layout = 0;
  private readonly scratch = new Uint32Array(KW);
  private readonly tcpIdle: number;
  private readonly udpIdle: number;
  private readonly otherIdle: number;
  private fragments: FragmentTracker;
  private readonly opts: FlowTableOptions;
  /** Flows of the part before this one that a packet may still continue (null: a first part). */
  private readonly carry: CarriedFlows | null;
  /** The carried flow the last createAt continued (-1: none), read right after it by the caller. */
  private carriedAt = -1;
  packets = 0;
  // last IPv4 key looked up and its flow (-1: none); any new flow invalidates it
  private cacheF = -1;
  private cacheW0 = 0;
  private cacheW1 = 0;
  private cacheA = 0;
  private cacheB = 0;
  private cachePorts = 0;

  /** `carry` and `fragments`: from nextPart only. */
  constructor(opts: FlowTableOptions = {}, carry: CarriedFlows | null = null, fragments?: FragmentTracker) {
    this.opts = opts;
    this.tcpIdle = opts.tcpIdleSec ?? 900;
    this.udpIdle = opts.udpIdleSec ?? 120;
    this.otherIdle = opts.otherIdleSec ?? 120;
    this.fragments = fragments ?? new FragmentTracker(opts.fragmentTimeoutSec ?? 60);
    this.carry = carry;
    this.grow(1024);
  }

  /**
   * Empties this table for reuse as a new first part (no carried flows), keeping its grown
   * columns, hash slots and offset arena pages: afterwards it behaves exactly as
   * `new FlowTable(opts)` with the same options. A live capture starts a table per segment, and
   * allocating the columns and arena afresh each time (tens of MB per million packets) was
   * garbage-collector work at line rate. Only for a table that carries no flows of a part before
   * (nextPart's tables keep referring to theirs).
   */
  reset(): void {
    if (this.carry !== null) throw new Error('FlowTable.reset: a table continuing an earlier part cannot be reused');
    const n = this.count;
    // createAt sets only some columns of a new flow and relies on zeros in the rest
    this.keys.fill(0, 0, n * KW);
    for (const c of [this.kind, this.ipVersion, this.proto, this.hasPorts, this.clientIsA, this.tcpState, this.fragmented, this.offTailPos, this.offUnsorted]) c.fill(0, 0, n);
    for (const c of [this.vlan, this.vlanInner, this.contPart, this.offHead, this.offTail]) c.fill(0, 0, n);
    for (const c of [this.l2Type, this.firstNsec, this.lastNsec, this.contFlow, this.offBytes]) c.fill(0, 0, n);
    for (const c of [this.icmpType, this.icmpCode]) c.fill(0, 0, n);
    this.tcpFlags.fill(0, 0, n);
    for (const c of [this.firstSec, this.lastSec, this.pktsA, this.pktsB, this.bytesA, this.bytesB, this.offLast]) c.fill(0, 0, n);
    this.slots.fill(EMPTY);
    this.slotsUsed = 0;
    this.count = 0;
    this.packets = 0;
    this.continuations = 0;
    this.carriedAt = -1;
    this.cacheF = -1;
    this.cacheW0 = this.cacheW1 = this.cacheA = this.cacheB = this.cachePorts = 0;
    this.arena.reset(RESET_KEEP_PAGES);
    this.fragments = new FragmentTracker(this.opts.fragmentTimeoutSec ?? 60);
  }

  /** Adds one packet. `rec` and `d` are the reused parser/decoder objects. */
  add(rec: PacketRecordView, d: DecodedPacket): void {
    this.packets++;
    if (d.status === DecodeStatus.Ip) {
      if (d.fragment !== FragmentKind.None) {
        this.addFragment(rec, d);
        return;
      }
      this.addIp(rec, d, d.hasPorts);
      return;
    }
    const kind = flowKindOf(d);
    const k = this.scratch;
    k.fill(0);
    k[0] = kind;
    k[1] = ((d.vlan + 1) & 0xffff) | (((d.vlanInner + 1) & 0xffff) << 16);
    k[11] = kind === FlowKind.NonIp ? (d.status === DecodeStatus.NonIp ? d.etherType : 0) : rec.linkType;
    let f = this.lookup(k);
    if (f < 0) {
      f = this.create(k, rec, kind);
      this.vlan[f] = d.vlan;
      this.vlanInner[f] = d.vlanInner;
      this.l2Type[f] = k[11];
      this.clientIsA[f] = 1;
    }
    this.account(f, rec, true);
  }

  private addIp(rec: PacketRecordView, d: DecodedPacket, withPorts: boolean): number {
    let f: number;
    let srcIsA: boolean;
    if (d.ipVersion === 4) {
      // IPv4: the key's five meaningful words in locals; scratch is filled only for a new flow
      const s = d.src;
      const t = d.dst;
      const sp = withPorts ? d.srcPort : 0;
      const dp = withPorts ? d.dstPort : 0;
      const w0 = FlowKind.Ip | (4 << 8) | (d.proto << 16) | ((withPorts ? 1 : 0) << 24);
      const w1 = ((d.vlan + 1) & 0xffff) | (((d.vlanInner + 1) & 0xffff) << 16);
      const s0 = ((s[0] << 24) | (s[1] << 16) | (s[2] << 8) | s[3]) >>> 0;
      const t0 = ((t[0] << 24) | (t[1] << 16) | (t[2] << 8) | t[3]) >>> 0;
      srcIsA = s0 < t0 || (s0 === t0 && sp <= dp);
      const a = srcIsA ? s0 : t0;
      const b = srcIsA ? t0 : s0;
      const ports = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
      // key words as int32 (`| 0`): see cachedLookup4
      f = this.cachedLookup4(w0, w1, a | 0, b | 0, ports | 0);
      if (f >= 0 && this.startsNewFlow(f, rec, d)) f = -1;
      if (f < 0) {
        const k = this.scratch;
        k.fill(0);
        k[0] = w0;
        k[1] = w1;
        k[2] = a;
        k[6] = b;
        k[10] = ports;
      }
    } else {
      srcIsA = this.buildIpKey(d, withPorts);
      f = this.lookup(this.scratch);
      if (f >= 0 && this.startsNewFlow(f, rec, d)) f = -1;
    }
    if (f < 0) {
      f = this.createAt(this.scratch, rec.tsSec, rec.tsNsec, FlowKind.Ip, d.proto === 6 && withPorts && (d.tcpFlags & 0x12) === 0x02);
      this.ipVersion[f] = d.ipVersion;
      this.proto[f] = d.proto;
      this.hasPorts[f] = withPorts ? 1 : 0;
      this.vlan[f] = d.vlan;
      this.vlanInner[f] = d.vlanInner;
      this.icmpType[f] = d.icmpType;
      this.icmpCode[f] = d.icmpCode;
      const clientIsSrc = this.clientIsSource(d, withPorts);
      this.clientIsA[f] = clientIsSrc === srcIsA ? 1 : 0;
      if (this.carriedAt >= 0) this.adoptCarried(f);
    }
    this.accountRaw(f, rec.recordOffset, rec.tsSec, rec.tsNsec, rec.origLen, srcIsA);
    if (d.proto === 6 && withPorts) this.trackTcp(f, d, srcIsA);
    return f;
  }

  /**
   * add() for a packet the fast path decoded (see ipv4-fast-path.ts), when it belongs to a flow
   * that already exists and does not start a new one. Returns false, having changed nothing,
   * when the packet needs the general path (a new flow: its orientation and identity fields come
   * from the full decode).
   */
  addFastIpv4(p: FastIpv4, recordOffset: number, tsSec: number, tsNsec: number, origLen: number): boolean {
    const proto = p.proto;
    const sp = p.srcPort;
    const dp = p.dstPort;
    const s0 = p.src;
    const t0 = p.dst;
    const w0 = FlowKind.Ip | (4 << 8) | (proto << 16) | (1 << 24);
    const w1 = ((p.vlan + 1) & 0xffff) | (((p.vlanInner + 1) & 0xffff) << 16);
    const srcIsA = s0 < t0 || (s0 === t0 && sp <= dp);
    const a = srcIsA ? s0 : t0;
    const b = srcIsA ? t0 : s0;
    const ports = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    const f = this.cachedLookup4(w0, w1, a | 0, b | 0, ports | 0);
    if (f < 0) return false;
    // startsNewFlow for this packet
    if (this.idleExpired(f, tsSec, tsNsec, proto)) return false;
    const fl = p.tcpFlags;
    if (proto === 6) {
      const st = this.tcpState[f];
      if ((fl & 0x12) === 0x02 && (st & (TcpState.FinFromA | TcpState.FinFromB | TcpState.Rst)) !== 0) return false;
      this.packets++;
      this.accountRaw(f, recordOffset, tsSec, tsNsec, origLen, srcIsA);
      let next = st;
      if (fl & 0x02) next |= TcpState.SynSeen;
      if (fl & 0x01) next |= srcIsA ? TcpState.FinFromA : TcpState.FinFromB;
      if (fl & 0x04) next |= TcpState.Rst;
      this.tcpState[f] = next;
      this.tcpFlags[f] |= fl;
      return true;
    }
    this.packets++;
    this.accountRaw(f, recordOffset, tsSec, tsNsec, origLen, srcIsA);
    return true;
  }

  private addFragment(rec: PacketRecordView, d: DecodedPacket): void {
    const fr = this.fragments;
    fr.expire(rec.tsSec, (p) => this.settleOrphan(p));
    const key = fr.keyOf(d);
    if (d.fragment === FragmentKind.First && d.hasPorts) {
      const f = this.addIp(rec, d, true);
      this.fragmented[f] = 1;
      fr.bind(key, f, rec.tsSec);
      const waiting = fr.takePending(key);
      if (waiting) for (const p of waiting) this.accountPending(f, p);
      return;
    }
    let bound = fr.flowOf(key);
    if (bound <= -2) {
      // bound in an earlier index part: the part's continuation of that flow
      bound = this.continuationOf(-2 - bound, rec.tsSec, rec.tsNsec);
      fr.bind(key, bound, rec.tsSec);
    }
    if (bound >= 0) {
      // later fragment of a datagram whose first fragment we saw: same flow, direction by address
      const srcIsA = this.srcIsEndpointA(bound, d);
      this.account(bound, rec, srcIsA);
      return;
    }
    fr.addPending(key, rec, d, (p) => this.settleOrphan(p));
  }

  /** A fragment whose first fragment never came: it joins the address-pair flow. */
  private settleOrphan(p: PendingFragment): void {
    const d = p.decoded;
    const f = this.addIpFromPending(p, d);
    this.fragmented[f] = 1;
  }

  private addIpFromPending(p: PendingFragment, d: DecodedPacket): number {
    const k = this.scratch;
    const srcIsA = this.buildIpKey(d, false);
    let f = this.lookup(k);
    if (f >= 0 && this.idleExpired(f, p.tsSec, p.tsNsec, d.proto)) f = -1;
    if (f < 0) {
      f = this.createAt(k, p.tsSec, p.tsNsec, FlowKind.Ip);
      this.ipVersion[f] = d.ipVersion;
      this.proto[f] = d.proto;
      this.hasPorts[f] = 0;
      this.vlan[f] = d.vlan;
      this.vlanInner[f] = d.vlanInner;
      this.clientIsA[f] = srcIsA ? 1 : 0;
      if (this.carriedAt >= 0) this.adoptCarried(f);
    }
    this.accountRaw(f, p.recordOffset, p.tsSec, p.tsNsec, p.origLen, srcIsA);
    return f;
  }

  private accountPending(f: number, p: PendingFragment): void {
    this.accountRaw(f, p.recordOffset, p.tsSec, p.tsNsec, p.origLen, this.srcIsEndpointA(f, p.decoded));
  }

  /** Settles fragments still waiting at the end of the input. Call once before reading flows. */
  finish(): void {
    this.fragments.drain((p) => this.settleOrphan(p));
  }

  // ---- key handling ----

  /** Fills scratch with the canonical key of d; returns true when d's source is endpoint A. */
  private buildIpKey(d: DecodedPacket, withPorts: boolean): boolean {
    const k = this.scratch;
    const s = d.src;
    const t = d.dst;
    const sp = withPorts ? d.srcPort : 0;
    const dp = withPorts ? d.dstPort : 0;
    k[0] = FlowKind.Ip | (d.ipVersion << 8) | (d.proto << 16) | ((withPorts ? 1 : 0) << 24);
    k[1] = ((d.vlan + 1) & 0xffff) | (((d.vlanInner + 1) & 0xffff) << 16);
    k[11] = 0;
    // addresses as big-endian words: comparing words orders like comparing bytes
    const s0 = ((s[0] << 24) | (s[1] << 16) | (s[2] << 8) | s[3]) >>> 0;
    const t0 = ((t[0] << 24) | (t[1] << 16) | (t[2] << 8) | t[3]) >>> 0;
    if (d.ipVersion === 4) {
      const srcIsA = s0 < t0 || (s0 === t0 && sp <= dp);
      k[2] = srcIsA ? s0 : t0;
      k[6] = srcIsA ? t0 : s0;
      k[3] = k[4] = k[5] = k[7] = k[8] = k[9] = 0;
      k[10] = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
      return srcIsA;
    }
    const s1 = ((s[4] << 24) | (s[5] << 16) | (s[6] << 8) | s[7]) >>> 0;
    const s2 = ((s[8] << 24) | (s[9] << 16) | (s[10] << 8) | s[11]) >>> 0;
    const s3 = ((s[12] << 24) | (s[13] << 16) | (s[14] << 8) | s[15]) >>> 0;
    const t1 = ((t[4] << 24) | (t[5] << 16) | (t[6] << 8) | t[7]) >>> 0;
    const t2 = ((t[8] << 24) | (t[9] << 16) | (t[10] << 8) | t[11]) >>> 0;
    const t3 = ((t[12] << 24) | (t[13] << 16) | (t[14] << 8) | t[15]) >>> 0;
    const cmp = s0 !== t0 ? s0 - t0 : s1 !== t1 ? s1 - t1 : s2 !== t2 ? s2 - t2 : s3 !== t3 ? s3 - t3 : sp <= dp ? -1 : 1;
    const srcIsA = cmp < 0;
    if (srcIsA) {
      k[2] = s0; k[3] = s1; k[4] = s2; k[5] = s3;
      k[6] = t0; k[7] = t1; k[8] = t2; k[9] = t3;
    } else {
      k[2] = t0; k[3] = t1; k[4] = t2; k[5] = t3;
      k[6] = s0; k[7] = s1; k[8] = s2; k[9] = s3;
    }
    k[10] = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    return srcIsA;
  }

  /** Whether d's source address is endpoint A of flow f (ports ignored: used for fragments). */
  private srcIsEndpointA(f: number, d: DecodedPacket): boolean {
    const base = f * KW + 2;
    const s = d.src;
    const n = d.ipVersion === 4 ? 1 : 4;
    for (let w = 0; w < n; w++) {
      const o = w * 4;
      const v = ((s[o] << 24) | (s[o + 1] << 16) | (s[o + 2] << 8) | s[o + 3]) >>> 0;
      if (v !== this.keys[base + w]) return false;
    }
    return true;
  }

  private hashKey(k: Uint32Array): number {
    return flowKeyHash(k);
  }

  /** hashKey of an IPv4 key (words 3–5, 7–9 and 11 zero). */
  private static hash4(w0: number, w1: number, a: number, b: number, ports: number): number {
    let h = Math.imul(w0 ^ 0x811c9dc5, 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ w1, 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ a, 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ b, 0x01000193);
    h = Math.imul(h ^ (h >>> 15) ^ ports, 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /**
   * lookup() for an IPv4 key. Word 0 holds the kind and IP version, so any stored key equal in
   * word 0 is an IPv4 key too, with zeros in the words not compared. a, b and ports are the key
   * words as int32 (see cachedLookup4), compared with the stored words read as int32.
   */
  private lookup4(w0: number, w1: number, a: number, b: number, ports: number): number {
    const slots = this.slots;
    const mask = this.slotMask;
    const keys = this.keys;
    let slot = FlowTable.hash4(w0, w1, a, b, ports) & mask;
    for (;;) {
      const v = slots[slot];
      if (v === EMPTY) return -1;
      const base = (v - 1) * KW;
      if ((keys[base + 2] | 0) === a && (keys[base + 6] | 0) === b && (keys[base + 10] | 0) === ports && keys[base] === w0 && keys[base + 1] === w1) return v - 1;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * lookup4 behind a 1-entry cache: consecutive packets of one flow skip the hash probe. The
   * address and port words come as int32 (`x | 0` of the uint32 word): an int32 always crosses
   * into this (not inlined) function as a small integer, while a uint32 above 2^31, or one read
   * from a double field (the fast path's addresses), was a heap number allocated per packet
   * (three per packet: about two thirds of the writer thread's garbage).
   */
  private cachedLookup4(w0: number, w1: number, a: number, b: number, ports: number): number {
    if (this.cacheF >= 0 && a === this.cacheA && b === this.cacheB && ports === this.cachePorts && w0 === this.cacheW0 && w1 === this.cacheW1) return this.cacheF;
    const f = this.lookup4(w0, w1, a, b, ports);
    if (f >= 0) {
      this.cacheF = f;
      this.cacheW0 = w0;
      this.cacheW1 = w1;
      this.cacheA = a;
      this.cacheB = b;
      this.cachePorts = ports;
    }
    return f;
  }

  /** Returns the current flow for key k, or -1. */
  private lookup(k: Uint32Array): number {
    return this.slots[keySlot(this.slots, this.slotMask, this.keys, k, this.hashKey(k))] - 1;
  }

  /** Points key k's slot at flow f (replacing an older flow of the same key). */
  private bindSlot(k: Uint32Array, f: number): void {
    const slot = keySlot(this.slots, this.slotMask, this.keys, k, this.hashKey(k));
    const fresh = this.slots[slot] === EMPTY;
    this.slots[slot] = f + 1;
    if (fresh && ++this.slotsUsed * 2 > this.slotMask) this.rehash();
  }

  private rehash(): void {
    const old = this.slots;
    const size = old.length * 2;
    this.slots = new Int32Array(size);
    this.slotMask = size - 1;
    this.layout++;
    const k = new Uint32Array(KW);
    for (let i = 0; i < old.length; i++) {
      const v = old[i];
      if (v === EMPTY) continue;
      const base = (v - 1) * KW;
      for (let j = 0; j < KW; j++) k[j] = this.keys[base + j];
      let slot = this.hashKey(k) & this.slotMask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.slotMask;
      this.slots[slot] = v;
    }
  }

  // ---- flow lifecycle ----

  private create(k: Uint32Array, rec: PacketRecordView, kind: FlowKind): number {
    return this.createAt(k, rec.tsSec, rec.tsNsec, kind);
  }

  /**
   * A new flow for key k. After an index part (carry set), a flow of the part before with this
   * key is continued when this packet would have continued it in one table (pureSyn: the packet is
   * a TCP SYN without ACK); carriedAt then says which, for the caller's adoptCarried.
   */
  private createAt(k: Uint32Array, tsSec: number, tsNsec: number, kind: FlowKind, pureSyn = false): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    const f = this.count++;
    this.cacheF = -1;
    this.contPart[f] = -1;
    this.carriedAt = -1;
    if (this.carry !== null) {
      const c = this.carry.find(k);
      if (c >= 0) {
        // looked up once: from now on this table's own flow for the key decides
        this.carry.taken[c] = 1;
        if (!this.carriedRestarts(c, kind, tsSec, tsNsec, pureSyn)) {
          this.carriedAt = c;
          this.carry.continuedBy[c] = f;
          this.contPart[f] = this.carry.part[c];
          this.contFlow[f] = this.carry.flow[c];
          this.tcpState[f] = this.carry.tcpState[c];
          this.continuations++;
        }
      }
    }
    this.keys.set(k, f * KW);
    this.kind[f] = kind;
    this.firstSec[f] = tsSec;
    this.firstNsec[f] = tsNsec;
    this.lastSec[f] = tsSec;
    this.lastNsec[f] = tsNsec;
    this.vlan[f] = -1;
    this.vlanInner[f] = -1;
    this.icmpType[f] = -1;
    this.icmpCode[f] = -1;
    this.offHead[f] = -1;
    this.bindSlot(k, f);
    return f;
  }

  /** startsNewFlow for a carried flow (non-IP flows never restart, as in add()). */
  private carriedRestarts(c: number, kind: FlowKind, tsSec: number, tsNsec: number, pureSyn: boolean): boolean {
    const carry = this.carry as CarriedFlows;
    if (kind !== FlowKind.Ip) return false;
    const proto = carry.proto[c];
    const limit = proto === 6 ? this.tcpIdle : proto === 17 ? this.udpIdle : this.otherIdle;
    const gap = tsSec - carry.lastSec[c] + (tsNsec - carry.lastNsec[c]) / 1e9;
    if (gap > limit) return true;
    return pureSyn && (carry.tcpState[c] & (TcpState.FinFromA | TcpState.FinFromB | TcpState.Rst)) !== 0;
  }

  /** A continuation keeps the identity of the flow it continues: orientation, ICMP type and code. */
  private adoptCarried(f: number): void {
    const carry = this.carry as CarriedFlows;
    const c = this.carriedAt;
    this.carriedAt = -1;
    this.clientIsA[f] = carry.clientIsA[c];
    this.icmpType[f] = carry.icmpType[c];
    this.icmpCode[f] = carry.icmpCode[c];
  }

  /**
   * This table's flow for carried flow c (a fragment bound to it in the part before): the one
   * that continues it, else a new continuation (a fragment only joins a flow, it never restarts it).
   */
  private continuationOf(c: number, tsSec: number, tsNsec: number): number {
    const carry = this.carry as CarriedFlows;
    if (carry.continuedBy[c] >= 0) return carry.continuedBy[c];
    const k = this.scratch;
    for (let i = 0; i < KW; i++) k[i] = carry.keys[c * KW + i];
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    const f = this.count++;
    this.cacheF = -1;
    this.keys.set(k, f * KW);
    copyFlowState(carry, c, this, f, false);
    this.firstSec[f] = tsSec;
    this.firstNsec[f] = tsNsec;
    this.lastSec[f] = tsSec;
    this.lastNsec[f] = tsNsec;
    this.offHead[f] = -1;
    this.contPart[f] = carry.part[c];
    this.contFlow[f] = carry.flow[c];
    this.continuations++;
    carry.continuedBy[c] = f;
    // the key's current flow unless a later packet already made one for it
    if (!carry.taken[c]) {
      carry.taken[c] = 1;
      this.bindSlot(k, f);
    }
    return f;
  }

  private startsNewFlow(f: number, rec: PacketRecordView, d: DecodedPacket): boolean {
    if (this.idleExpired(f, rec.tsSec, rec.tsNsec, d.proto)) return true;
    if (d.proto === 6 && d.hasPorts) {
      const st = this.tcpState[f];
      const pureSyn = (d.tcpFlags & 0x12) === 0x02;
      if (pureSyn && (st & (TcpState.FinFromA | TcpState.FinFromB | TcpState.Rst)) !== 0) return true;
    }
    return false;
  }

  private idleExpired(f: number, tsSec: number, tsNsec: number, proto: number): boolean {
    const limit = proto === 6 ? this.tcpIdle : proto === 17 ? this.udpIdle : this.otherIdle;
    const secGap = tsSec - this.lastSec[f];
    // the nanosecond part adds less than one second either way
    if (secGap < limit - 1) return false;
    const gap = secGap + (tsNsec - this.lastNsec[f]) / 1e9;
    return gap > limit;
  }

  private clientIsSource(d: DecodedPacket, withPorts: boolean): boolean {
    if (d.proto === 6 && withPorts) {
      const syn = (d.tcpFlags & 0x02) !== 0;
      const ack = (d.tcpFlags & 0x10) !== 0;
      if (syn && !ack) return true;
      if (syn && ack) return false;
    }
    if (withPorts) return portSaysClientIsSource(d.srcPort, d.dstPort);
    if (d.proto === 1 || d.proto === 58) return !isIcmpResponse(d.proto, d.icmpType);
    return true;
  }

  private trackTcp(f: number, d: DecodedPacket, srcIsA: boolean): void {
    const fl = d.tcpFlags;
    let st = this.tcpState[f];
    if (fl & 0x02) st |= TcpState.SynSeen;
    if (fl & 0x01) st |= srcIsA ? TcpState.FinFromA : TcpState.FinFromB;
    if (fl & 0x04) st |= TcpState.Rst;
    this.tcpState[f] = st;
    this.tcpFlags[f] |= fl;
  }

  private account(f: number, rec: PacketRecordView, fromA: boolean): void {
    this.accountRaw(f, rec.recordOffset, rec.tsSec, rec.tsNsec, rec.origLen, fromA);
  }

  private accountRaw(f: number, recordOffset: number, tsSec: number, tsNsec: number, origLen: number, fromA: boolean): void {
    if (fromA) {
      this.pktsA[f]++;
      this.bytesA[f] += origLen;
    } else {
      this.pktsB[f]++;
      this.bytesB[f] += origLen;
    }
    // first <= last always holds, so a packet after last (the usual case) cannot be before first
    const lastSec = this.lastSec[f];
    if (tsSec > lastSec || (tsSec === lastSec && tsNsec > this.lastNsec[f])) {
      this.lastSec[f] = tsSec;
      this.lastNsec[f] = tsNsec;
    } else if (tsSec < this.firstSec[f] || (tsSec === this.firstSec[f] && tsNsec < this.firstNsec[f])) {
      this.firstSec[f] = tsSec;
      this.firstNsec[f] = tsNsec;
    }
    this.appendOffset(f, recordOffset);
  }

  /** Appends recordOffset to flow f's list (see offset-arena.ts: zigzag LEB128 deltas). */
  private appendOffset(f: number, offset: number): void {
    const arena = this.arena;
    let delta: number;
    let block: number;
    let pos: number;
    if (this.offHead[f] < 0) {
      block = arena.allocBlock();
      this.offHead[f] = block;
      pos = 0;
      delta = offset;
    } else {
      block = this.offTail[f];
      pos = this.offTailPos[f];
      delta = offset - this.offLast[f];
      if (delta < 0) this.offUnsorted[f] = 1;
    }
    this.offLast[f] = offset;
    let page = arena.pages[block >>> PAGE_SHIFT];
    let at = (block & PAGE_MASK) * BLOCK_SIZE + 4 + pos;
    // zigzag so out-of-order offsets (late IP fragments) still encode
    let z = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    if (z < 0x100000000 && pos <= PAYLOAD - 5) {
      // the usual case: a uint32 needs at most 5 bytes, so no block boundary check per byte
      const at0 = at;
      while (z >= 0x80) {
        page[at++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      page[at] = z;
      const n = at - at0 + 1;
      this.offTail[f] = block;
      this.offTailPos[f] = pos + n;
      this.offBytes[f] += n;
      return;
    }
    // general case: any size, crossing into a new block where needed (float arithmetic: z may exceed 2^32)
    let n = 0;
    for (;;) {
      if (pos === PAYLOAD) {
        const nb = arena.allocBlock();
        arena.setNext(block, nb);
        block = nb;
        pos = 0;
        page = arena.pages[block >>> PAGE_SHIFT];
        at = (block & PAGE_MASK) * BLOCK_SIZE + 4;
      }
      n++;
      pos++;
      if (z < 0x80) {
        page[at] = z;
        break;
      }
      page[at++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    this.offTail[f] = block;
    this.offTailPos[f] = pos;
    this.offBytes[f] += n;
  }

  // ---- a native indexer of existing flows ----

  /**
   * Changes whenever the arrays nativeColumns returns are replaced or the offset arena gains or
   * loses a page; a native view taken before is then stale.
   */
  get layoutVersion(): number {
    return this.layout + this.arena.pagesVersion;
  }

  /** The arrays (and idle limits) a native indexer writes for packets of existing flows. */
  nativeColumns(): FlowTableNativeColumns {
    return {
      keys: this.keys,
      slots: this.slots,
      slotMask: this.slotMask,
      firstSec: this.firstSec,
      firstNsec: this.firstNsec,
      lastSec: this.lastSec,
      lastNsec: this.lastNsec,
      pktsA: this.pktsA,
      pktsB: this.pktsB,
      bytesA: this.bytesA,
      bytesB: this.bytesB,
      tcpFlags: this.tcpFlags,
      tcpState: this.tcpState,
      offHead: this.offHead,
      offTail: this.offTail,
      offTailPos: this.offTailPos,
      offBytes: this.offBytes,
      offLast: this.offLast,
      offUnsorted: this.offUnsorted,
      pages: this.arena.pages,
      tcpIdleSec: this.tcpIdle,
      udpIdleSec: this.udpIdle,
    };
  }

  /**
   * Counts `packets` a native indexer added to existing flows through nativeColumns (what
   * addFastIpv4 did for each), which allocated the arena's blocks up to `nextFreeBlock`.
   */
  addedNatively(packets: number, nextFreeBlock: number): void {
    this.packets += packets;
    this.arena.adoptAllocated(nextFreeBlock);
  }

  // ---- index parts ----

  /** Flows of earlier parts this table may continue (0 for a first part). */
  get carried(): number {
    return this.carry?.count ?? 0;
  }

  /**
   * Bytes this table holds: its columns at capacity, hash slots, offset arena, carried flows;
   * when it is about to grow its columns (while growing, the old and the new ones are both held),
   * plus the new ones.
   */
  get memoryBytes(): number {
    const growing = this.count + GROWTH_MARGIN >= this.capacity ? this.capacity * 2 * FLOW_COLUMN_BYTES : 0;
    return this.capacity * FLOW_COLUMN_BYTES + growing + this.slots.length * 4 + this.arena.bytesAllocated + (this.carry?.bytes ?? 0);
  }

  /**
   * Ends this table as index part `part` and returns the table of the next part, which carries
   * (CarriedFlows) every flow a later packet could still continue: each key's current flow, and
   * the carried flows no packet of this part looked up, unless quiet for longer than its idle
   * timeout plus CARRY_SLACK_SEC before `nowSec` (the latest packet time read; the slack covers
   * timestamps that go back a little). At most `maxCarry`, the most recently active first. The
   * fragment tracker moves to the next table with its bindings re-pointed at carried flows.
   * Encode this table's flows after; never add packets to it (nor finish() it) again.
   */
  nextPart(part: number, nowSec: number, maxCarry = Infinity): FlowTable {
    const old = this.carry;
    const tcpLimit = nowSec - this.tcpIdle - CARRY_SLACK_SEC;
    const udpLimit = nowSec - this.udpIdle - CARRY_SLACK_SEC;
    const otherLimit = nowSec - this.otherIdle - CARRY_SLACK_SEC;
    // candidates (flow f of this table, or -1 - c for carried flow c) and their last packet
    // second (non-IP flows never expire: Infinity, always carried)
    const cand = new Int32Array(this.slotsUsed + (old ? old.count : 0));
    const lasts = new Float64Array(cand.length);
    let n = 0;
    const offer = (x: number, from: FlowStateColumns, i: number): void => {
      let last = Infinity;
      if (from.kind[i] === FlowKind.Ip) {
        const p = from.proto[i];
        last = from.lastSec[i];
        if (last < (p === 6 ? tcpLimit : p === 17 ? udpLimit : otherLimit)) return;
      }
      lasts[n] = last;
      cand[n++] = x;
    };
    for (let s = 0; s < this.slots.length; s++) {
      const v = this.slots[s];
      if (v !== EMPTY) offer(v - 1, this, v - 1);
    }
    if (old) for (let c = 0; c < old.count; c++) if (!old.taken[c]) offer(-1 - c, old, c);
    let minLast = -Infinity;
    if (n > maxCarry) minLast = lasts.slice(0, n).sort()[n - Math.max(1, maxCarry)];
    const carry = new CarriedFlows(Math.min(n, maxCarry));
    const tableMap = new Int32Array(this.count).fill(-1);
    const oldMap = new Int32Array(old ? old.count : 0).fill(-1);
    for (let k = 0; k < n && carry.count < carry.capacity; k++) {
      if (lasts[k] < minLast) continue;
      const x = cand[k];
      if (x >= 0) {
        const f = x;
        const c = carry.push(this.keys, f * KW);
        tableMap[f] = c;
        carry.part[c] = part;
        carry.flow[c] = f;
        copyFlowState(this, f, carry, c, true);
      } else {
        const o = -1 - x;
        const prev = old as CarriedFlows;
        const c = carry.push(prev.keys, o * KW);
        oldMap[o] = c;
        carry.part[c] = prev.part[o];
        carry.flow[c] = prev.flow[o];
        copyFlowState(prev, o, carry, c, true);
      }
    }
    // fragment bindings: a flow of this table, or (<= -2) a carried flow of the part before
    this.fragments.remapBindings((b) => {
      let f = b;
      if (b <= -2) {
        const o = -2 - b;
        if (!old) return -1;
        if (old.continuedBy[o] < 0) return oldMap[o] >= 0 ? -2 - oldMap[o] : -1;
        f = old.continuedBy[o];
      }
      return tableMap[f] >= 0 ? -2 - tableMap[f] : -1;
    });
    return new FlowTable(this.opts, carry, this.fragments);
  }

  // ---- reading back ----

  packetCount(f: number): number {
    return this.pktsA[f] + this.pktsB[f];
  }

  /** The record offsets of flow f in capture order. */
  offsetsOf(f: number): Float64Array {
    const n = this.packetCount(f);
    const raw = new Uint8Array(this.off.bytes[f]);
    copyList(this.arena, this.off, f, raw, 0);
    const out = new Float64Array(n);
    decodeZigzagOffsets(raw, n, out);
    if (this.off.unsorted[f]) out.sort();
    return out;
  }

  /**
   * Flow f's offsets in the index encoding (zigzag LEB128 deltas, capture order): a straight copy
   * of its arena chain, unless late fragments put it out of order.
   */
  encodedOffsets(f: number): Uint8Array {
    if (this.offUnsorted[f]) return encodeZigzagOffsets(this.offsetsOf(f));
    const raw = new Uint8Array(this.offBytes[f]);
    copyList(this.arena, this.off, f, raw, 0);
    return raw;
  }

  /** Whether flow f's offsets are out of capture order (then only encodedOffsets gives them). */
  offsetsUnsorted(f: number): boolean {
    return this.offUnsorted[f] === 1;
  }

  /** Byte length of an in-order flow's encoded offsets. */
  encodedOffsetsLength(f: number): number {
    return this.offBytes[f];
  }

  /** Copies an in-order flow's encoded offsets (encodedOffsets without the copy) to out at at. */
  copyEncodedOffsets(f: number, out: Uint8Array, at: number): void {
    copyList(this.arena, this.off, f, out, at);
  }

  /** Endpoint A (x = 0) or B (x = 1) address of flow f as 16 bytes (IPv4 in the first 4). */
  addressOf(f: number, x: 0 | 1, out: Uint8Array): void {
    const base = f * KW + 2 + x * 4;
    for (let w = 0; w < 4; w++) {
      const v = this.keys[base + w];
      out[w * 4] = v >>> 24;
      out[w * 4 + 1] = (v >>> 16) & 0xff;
      out[w * 4 + 2] = (v >>> 8) & 0xff;
      out[w * 4 + 3] = v & 0xff;
    }
  }

  portOf(f: number, x: 0 | 1): number {
    const w = this.keys[f * KW + 10];
    return x === 0 ? w >>> 16 : w & 0xffff;
  }

  private grow(cap: number): void {
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int16Array | Int32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.keys = g(this.keys, cap * KW);
    this.kind = g(this.kind, cap);
    this.ipVersion = g(this.ipVersion, cap);
    this.proto = g(this.proto, cap);
    this.hasPorts = g(this.hasPorts, cap);
    this.clientIsA = g(this.clientIsA, cap);
    this.vlan = g(this.vlan, cap);
    this.vlanInner = g(this.vlanInner, cap);
    this.l2Type = g(this.l2Type, cap);
    this.icmpType = g(this.icmpType, cap);
    this.icmpCode = g(this.icmpCode, cap);
    this.firstSec = g(this.firstSec, cap);
    this.firstNsec = g(this.firstNsec, cap);
    this.lastSec = g(this.lastSec, cap);
    this.lastNsec = g(this.lastNsec, cap);
    this.pktsA = g(this.pktsA, cap);
    this.pktsB = g(this.pktsB, cap);
    this.bytesA = g(this.bytesA, cap);
    this.bytesB = g(this.bytesB, cap);
    this.tcpFlags = g(this.tcpFlags, cap);
    this.tcpState = g(this.tcpState, cap);
    this.fragmented = g(this.fragmented, cap);
    this.contPart = g(this.contPart, cap);
    this.contFlow = g(this.contFlow, cap);
    this.offHead = g(this.offHead, cap);
    this.offTail = g(this.offTail, cap);
    this.offTailPos = g(this.offTailPos, cap);
    this.offBytes = g(this.offBytes, cap);
    this.offLast = g(this.offLast, cap);
    this.offUnsorted = g(this.offUnsorted, cap);
    this.off = {
      head: this.offHead,
      tail: this.offTail,
      tailPos: this.offTailPos,
      bytes: this.offBytes,
      last: this.offLast,
      unsorted: this.offUnsorted,
    };
    this.capacity = cap;
    this.layout++;
  }
}

/**
 * The kind of flow a decoded packet belongs to: the one classification used for flows and for
 * the index's packet counts. A frame cut off inside its link-layer header never reached IP: it is
 * filed with non-IP traffic (EtherType 0), as tshark does; only an unreadable IP header makes a
 * Malformed flow.
 */
export function flowKindOf(d: DecodedPacket): FlowKind {
  switch (d.status) {
    case DecodeStatus.Ip:
      return FlowKind.Ip;
    case DecodeStatus.NonIp:
      return FlowKind.NonIp;
    case DecodeStatus.UnsupportedLink:
      return FlowKind.Undecoded;
    default:
      return d.l3Offset < 0 ? FlowKind.NonIp : FlowKind.Malformed;
  }
}

/** Port heuristic when no handshake was seen; exported for the documentation's tests. */
export function portSaysClientIsSource(srcPort: number, dstPort: number): boolean {
  const sLow = srcPort < 1024;
  const dLow = dstPort < 1024;
  if (dLow && !sLow) return true;
  if (sLow && !dLow) return false;
  const sSvc = isWellKnownServicePort(srcPort);
  const dSvc = isWellKnownServicePort(dstPort);
  if (dSvc && !sSvc) return true;
  if (sSvc && !dSvc) return false;
  return true;
}

function isIcmpResponse(proto: number, type: number): boolean {
  if (proto === 1) return type === 0 || type === 14 || type === 16 || type === 18;
  return type === 129 || type === 131 || type === 136;
}
