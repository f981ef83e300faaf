/**
 * The contract between live capture sources (libpcap, ssh + remote tcpdump, PCAP-over-IP,
 * stdin/pipe) and what records them (the live store writer, or a test's collector).
 *
 * A source announces each link it captures on (`link`), then hands over packets one at a time
 * with `packet`. The packet's bytes are only valid during the call: a sink copies what it keeps.
 * `gap` records a span in which the source could not capture (an ssh reconnect, a restarted
 * remote tcpdump), so an analyst sees "no data" rather than "no traffic".
 *
 * Environment-free: no Node, no DOM.
 */
import type { Timestamp } from '../time/timestamp.js';

export interface LiveLink {
  /** Source-local link id, stable for the capture (0 for a single interface). */
  id: number;
  /** LINKTYPE_* value of the frames on this link. */
  linkType: number;
  snapLen: number;
  /** Interface name as the analyst knows it ("eth0", "ssh://user@host/eth1", "pcap-over-ip://h:p"). */
  name: string;
}

export interface LivePacket {
  linkId: number;
  tsSec: number;
  /** 0..999,999,999; sources with µs clocks pass µs × 1000. */
  tsNsec: number;
  /** Captured length; equals data.length. */
  capLen: number;
  /** Length on the wire. */
  origLen: number;
  data: Uint8Array;
}

export interface LiveGap {
  from: Timestamp;
  to: Timestamp;
  reason: string;
}

export interface LivePacketSink {
  link(link: LiveLink): void;
  /** Synchronous and cheap: the sink buffers; it must not block a capture loop. */
  packet(p: LivePacket): void;
  gap(g: LiveGap): void;
}
