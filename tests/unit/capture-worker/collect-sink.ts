/** A LivePacketSink that keeps copies of everything, for source and writer tests. */
import type { LiveGap, LiveLink, LivePacket, LivePacketSink } from '../../../common/capture/live-packet-sink.js';

export class CollectSink implements LivePacketSink {
  readonly links: LiveLink[] = [];
  readonly packets: LivePacket[] = [];
  readonly gaps: LiveGap[] = [];
  link(l: LiveLink): void {
    this.links.push({ ...l });
  }
  packet(p: LivePacket): void {
    this.packets.push({ ...p, data: p.data.slice() });
  }
  gap(g: LiveGap): void {
    this.gaps.push(g);
  }
}
