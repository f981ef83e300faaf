/**
 * The one decode → flow pipeline for every packet source (file import now, live capture later):
 * a CaptureSink that decodes each record and adds it to a FlowTable, keeping the file-level
 * facts the index needs.
 */
import type { CaptureFileInfo, CaptureInterface, CaptureSink, PacketRecordView } from '../capture/capture-types.js';
import { decodePacketAt } from '../packet/decode-packet.js';
import { DecodeStatus, createDecodedPacket } from '../packet/decoded-packet.js';
import type { IndexInterface } from '../index/index-format.js';
import { formatTs } from '../time/timestamp.js';
import { createFastIpv4, decodeFastIpv4 } from '../packet/ipv4-fast-path.js';
import { FlowKind, FlowTable, flowKindOf, type FlowTableOptions } from './flow-table.js';

/** An index part's table and the file-level facts of the records read while it was current. */
export interface IndexerPart {
  table: FlowTable;
  packets: number;
  bytes: number;
  nonIpPackets: number;
  undecodedPackets: number;
  malformedPackets: number;
  firstTs: string | null;
  lastTs: string | null;
}

/**
 * The decoded packet and fast-path fields onPacket fills and reads within one call (nothing keeps
 * them: fragments waiting for their first fragment are copied), one pair for every indexer of a
 * thread. V8 specializes the decoder and the flow table on these objects' shapes; each further
 * object made from the same literal, or made before the first packets widened the fields' number
 * representations (32-bit addresses, sequence numbers), made it drop that optimized code when the
 * object came into use: a live capture starts an indexer per segment, and each time the hot path
 * was compiled again mid-capture.
 */
const SCRATCH = { decoded: createDecodedPacket(), fast: createFastIpv4() };

/** How often (in packets) a budgeted indexer compares its table's memory with the budget. */
export const PART_CHECK_PACKETS = 256;

export class CaptureIndexer implements CaptureSink {
  /** The current part's table (the only one unless nextPart splits the input into index parts). */
  table: FlowTable;
  fileInfo: CaptureFileInfo | null = null;
  interfaces: IndexInterface[] = [];
  packets = 0;
  bytes = 0;
  nonIpPackets = 0;
  undecodedPackets = 0;
  malformedPackets = 0;
  private firstSec = Infinity;
  private firstNsec = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  /** Latest packet second of every part so far (what carried flows expire against). */
  private latestSec = -Infinity;
  /** Scratch of one onPacket call, shared by every indexer of this thread (see SCRATCH). */
  private readonly decoded = SCRATCH.decoded;
  private readonly fast = SCRATCH.fast;
  private readonly fastPath: boolean;
  private readonly partBudget: number;
  private readonly maxCarry: number | undefined;
  /** Parts ended by the budget and not yet taken (takeParts). */
  private readonly ended: IndexerPart[] = [];

  /**
   * `fastPath: false` sends every packet through the general decoder (the tests compare both).
   * `partBudget` (bytes, 0: none): every PART_CHECK_PACKETS packets, when the table holds more,
   * the current part ends (nextPart) and waits in takeParts; where parts end depends only on the
   * packets and the budget, so a rebuild ends them at the same packets.
   */
  constructor(opts?: FlowTableOptions & { fastPath?: boolean; partBudget?: number; maxCarry?: number }) {
    this.table = new FlowTable(opts);
    this.fastPath = opts?.fastPath ?? true;
    this.partBudget = opts?.partBudget ?? 0;
    this.maxCarry = opts?.maxCarry;
  }

  /**
   * Starts over on a new input with the same options, reusing this indexer and its table
   * (FlowTable.reset): what a fresh `new CaptureIndexer(opts)` would give, without allocating a
   * table with its columns and offset arena again (a live capture indexes each segment anew).
   * Only for an indexer that never split its input into index parts.
   */
  reset(): void {
    if (this.partsEnded !== 0) throw new Error('CaptureIndexer.reset: an indexer that ended index parts cannot be reused');
    this.table.reset();
    this.fileInfo = null;
    // a new array: index metadata encoded before may still refer to the old one
    this.interfaces = [];
    this.packets = this.bytes = this.nonIpPackets = this.undecodedPackets = this.malformedPackets = 0;
    this.firstSec = Infinity;
    this.firstNsec = 0;
    this.lastSec = -Infinity;
    this.lastNsec = 0;
    this.latestSec = -Infinity;
  }

  /** Parts the budget ended since the last call, in order (numbered from 0 over the whole input). */
  takeParts(): IndexerPart[] {
    return this.ended.splice(0);
  }

  /** Number of parts ended so far (the current part's number). */
  partsEnded = 0;

  onFileInfo(info: CaptureFileInfo): void {
    this.fileInfo = info;
  }

  onInterface(i: CaptureInterface): void {
    this.interfaces.push({
      id: i.id,
      section: i.section,
      localId: i.localId,
      linkType: i.linkType,
      snapLen: i.snapLen,
      tsUnitsPerSecond: i.tsUnitsPerSecond,
      tsResolutionPow2: i.tsResolutionPow2,
      tsOffsetSec: i.tsOffsetSec,
      name: i.name,
      blockOffset: i.blockOffset,
    });
  }

  onPacket(rec: PacketRecordView): void {
    const start = rec.bufferOffset;
    const end = start + rec.capLen;
    // Most packets: Ethernet/IPv4/TCP|UDP of a flow already in the table (one pass over the
    // headers, no DecodedPacket); the rest, and every packet starting a flow, take the general path.
    if (
      !(
        this.fastPath &&
        rec.linkType === 1 &&
        decodeFastIpv4(rec.buffer, start, end, this.fast) &&
        this.table.addFastIpv4(this.fast, rec.recordOffset, rec.tsSec, rec.tsNsec, rec.origLen)
      )
    ) {
      const d = this.decoded;
      decodePacketAt(rec.linkType, rec.buffer, start, end, d);
      if (d.status !== DecodeStatus.Ip) {
        const kind = flowKindOf(d);
        if (kind === FlowKind.NonIp) this.nonIpPackets++;
        else if (kind === FlowKind.Undecoded) this.undecodedPackets++;
        else this.malformedPackets++;
      }
      this.table.add(rec, d);
    }
    this.packets++;
    this.bytes += rec.origLen;
    const s = rec.tsSec;
    const n = rec.tsNsec;
    if (s < this.firstSec || (s === this.firstSec && n < this.firstNsec)) {
      this.firstSec = s;
      this.firstNsec = n;
    }
    if (s > this.lastSec || (s === this.lastSec && n > this.lastNsec)) {
      this.lastSec = s;
      this.lastNsec = n;
      if (s > this.latestSec) this.latestSec = s;
    }
    if (this.partBudget > 0 && (this.packets & (PART_CHECK_PACKETS - 1)) === 0 && this.table.memoryBytes > this.partBudget) {
      this.ended.push(this.nextPart(this.partsEnded, this.maxCarry));
    }
  }

  /**
   * Whether packets may be indexed by a native indexer of existing flows (addedNatively): only
   * with the fast path (it is the fast path) and without a part budget (which is checked per packet).
   */
  get nativeEligible(): boolean {
    return this.fastPath && this.partBudget === 0;
  }

  /**
   * Counts packets a native indexer added to this indexer's table (FlowTable.addedNatively):
   * onPacket's counters for `packets` records of `bytes` original bytes whose earliest and latest
   * timestamps were (firstSec, firstNsec) and (lastSec, lastNsec).
   */
  addedNatively(packets: number, bytes: number, firstSec: number, firstNsec: number, lastSec: number, lastNsec: number, nextFreeBlock: number): void {
    this.table.addedNatively(packets, nextFreeBlock);
    this.packets += packets;
    this.bytes += bytes;
    if (firstSec < this.firstSec || (firstSec === this.firstSec && firstNsec < this.firstNsec)) {
      this.firstSec = firstSec;
      this.firstNsec = firstNsec;
    }
    if (lastSec > this.lastSec || (lastSec === this.lastSec && lastNsec > this.lastNsec)) {
      this.lastSec = lastSec;
      this.lastNsec = lastNsec;
    }
    // onPacket's `if (s > latestSec)` as a max: latestSec >= lastSec always, so it is the same;
    // a store that only the capture's first new second reaches deoptimized the writer's loop
    // there (no type feedback from the warm-up) and cost a recompile of it mid-capture
    this.latestSec = lastSec > this.latestSec ? lastSec : this.latestSec;
  }

  /**
   * Ends the current index part (number `part`) and starts the next with a fresh table that
   * continues the flows still open (FlowTable.nextPart, at most maxCarry of them): returns the
   * finished part, whose counters cover the records read while it was current.
   */
  nextPart(part: number, maxCarry?: number): IndexerPart {
    const done: IndexerPart = {
      table: this.table,
      packets: this.packets,
      bytes: this.bytes,
      nonIpPackets: this.nonIpPackets,
      undecodedPackets: this.undecodedPackets,
      malformedPackets: this.malformedPackets,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
    };
    this.table = this.table.nextPart(part, this.latestSec, maxCarry);
    this.partsEnded = part + 1;
    this.packets = this.bytes = this.nonIpPackets = this.undecodedPackets = this.malformedPackets = 0;
    this.firstSec = Infinity;
    this.firstNsec = 0;
    this.lastSec = -Infinity;
    this.lastNsec = 0;
    return done;
  }

  /** Settles pending state; call once when the input ends. */
  finish(): void {
    this.table.finish();
  }

  get firstTs(): string | null {
    return this.packets ? formatTs(this.firstSec, this.firstNsec) : null;
  }

  get lastTs(): string | null {
    return this.packets ? formatTs(this.lastSec, this.lastNsec) : null;
  }
}
