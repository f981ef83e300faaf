/**
 * Turns a pcap or pcapng byte stream (remote tcpdump over ssh, a PCAP-over-IP feed, a pipe) into
 * LivePacketSink calls, through the same streaming parser as import
 * (common/capture/capture-parser.ts). Each of the stream's interfaces becomes one LiveLink; a
 * caller that reads several streams in turn (ssh reconnects) shares one LinkRegistry so a link
 * keeps its id across streams when its link type and snap length are unchanged.
 */
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import type { CaptureFileInfo, CaptureInterface, CaptureParser, CaptureSink, PacketRecordView } from '../../../common/capture/capture-types.js';
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import type { SourceStats } from './source-types.js';

/** Link ids by (name, link type, snap length), announced to the sink once each. */
export class LinkRegistry {
  private readonly ids = new Map<string, number>();
  constructor(private readonly sink: LivePacketSink) {}

  idFor(name: string, linkType: number, snapLen: number): number {
    const key = `${linkType}/${snapLen}/${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
      this.sink.link({ id, linkType, snapLen, name });
    }
    return id;
  }
}

export class PcapStreamFeeder implements CaptureSink {
  private readonly parser: CaptureParser;
  /** Stream interface id → link id. */
  private readonly linkIds: number[] = [];
  private sawHeader = false;

  constructor(
    private readonly links: LinkRegistry,
    /** The analyst's name for the stream's link ("ssh://user@host/eth0"); a pcapng IDB name is appended. */
    private readonly linkName: string,
    private readonly sink: LivePacketSink,
    private readonly counters: SourceStats,
    /** Called once when the stream's file header has been read (the feed is live). */
    private readonly onHeader: () => void = () => {},
  ) {
    this.parser = createCaptureParser(this);
  }

  /** Whether the stream delivered a capture header (it was a working feed). */
  get started(): boolean {
    return this.sawHeader;
  }

  /** Throws CaptureFormatError on a corrupt stream; every packet before the damage was delivered. */
  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** Throws when the stream ended inside a record. */
  end(): void {
    if (this.parser.consumed === 0 && !this.sawHeader) return;
    this.parser.end();
  }

  onFileInfo(_info: CaptureFileInfo): void {
    if (!this.sawHeader) {
      this.sawHeader = true;
      this.onHeader();
    }
  }

  onInterface(i: CaptureInterface): void {
    const name = i.name && i.id > 0 ? `${this.linkName}#${i.name}` : this.linkName;
    this.linkIds[i.id] = this.links.idFor(name, i.linkType, i.snapLen);
  }

  onPacket(rec: PacketRecordView): void {
    this.counters.packets++;
    this.counters.bytes += rec.origLen;
    this.sink.packet({
      linkId: this.linkIds[rec.interfaceId] ?? 0,
      tsSec: rec.tsSec,
      tsNsec: rec.tsNsec,
      capLen: rec.capLen,
      origLen: rec.origLen,
      data: rec.buffer.subarray(rec.bufferOffset, rec.bufferOffset + rec.capLen),
    });
  }
}
