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

export class CaptureIndexer implements CaptureSink {
  readonly table: FlowTable;
  fileInfo: CaptureFileInfo | null = null;
  readonly interfaces: IndexInterface[] = [];
  packets = 0;
  bytes = 0;
  nonIpPackets = 0;
  undecodedPackets = 0;
  malformedPackets = 0;
  private firstSec = Infinity;
  private firstNsec = 0;
  private lastSec = -Infinity;
  private lastNsec = 0;
  private readonly decoded = createDecodedPacket();
  private readonly fast = createFastIpv4();
  private readonly fastPath: boolean;

  /** `fastPath: false` sends every packet through the general decoder (the tests compare both). */
  constructor(opts?: FlowTableOptions & { fastPath?: boolean }) {
    this.table = new FlowTable(opts);
    this.fastPath = opts?.fastPath ?? true;
  }

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
    }
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
