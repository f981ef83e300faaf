/**
 * Turns one flow's captured packets into its TCP or UDP streams: decodes each packet, orients it
 * by the flow's client and server, reassembles IP fragments, and feeds the TCP reassembler or
 * the UDP datagram streams. Environment-free: the store (node/store/flow-stream.ts) and, later, the
 * capture pipeline feed it packets.
 */
import { decodePacket } from '../packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus, FragmentKind, type DecodedPacket } from '../packet/decoded-packet.js';
import { Defragmenter, type DefragOptions } from './ip-defrag.js';
import type { Direction, StreamSink } from './stream-types.js';
import { TcpReassembler, type TcpReassemblerOptions, type TcpSegmentInput } from './tcp-reassembler.js';
import type { TcpDirectionStats } from './tcp-direction.js';
import { UdpStreams } from './udp-streams.js';

const TCP = 6;
const UDP = 17;

export interface FlowEndpoints {
  ipVersion: number;
  proto: number;
  /** Address bytes: the first 4 used for IPv4, 16 for IPv6. */
  client: Uint8Array;
  server: Uint8Array;
  clientPort: number;
  serverPort: number;
}

export interface FlowFollowerOptions extends TcpReassemblerOptions {
  defrag?: DefragOptions;
}

export interface FollowerStats {
  /** Packets pushed, and those that carried nothing usable (not this flow's TCP/UDP, cut headers). */
  packets: number;
  unusable: number;
  /** Fragmented datagrams reassembled, still incomplete at the end, or dropped by the limits. */
  datagramsReassembled: number;
  datagramsIncomplete: number;
  datagramsDropped: number;
  /** Per-direction TCP statistics (null for UDP). */
  tcp: readonly [TcpDirectionStats, TcpDirectionStats] | null;
}

export function isFollowable(proto: number): boolean {
  return proto === TCP || proto === UDP;
}

export class FlowFollower {
  readonly protocol: 'tcp' | 'udp';
  private readonly tcp: TcpReassembler | null;
  private readonly udp: UdpStreams | null;
  private readonly defrag: Defragmenter;
  private readonly decoded: DecodedPacket = createDecodedPacket();
  private readonly seg: TcpSegmentInput = { dir: 0, seq: 0, ack: 0, flags: 0, payload: new Uint8Array(0), wireLength: 0, tsSec: 0, tsNsec: 0, packet: 0 };
  private readonly addrLen: number;
  private packets = 0;
  private unusable = 0;
  private reassembled = 0;
  private finished = false;

  constructor(
    private readonly ep: FlowEndpoints,
    sink: StreamSink,
    opts: FlowFollowerOptions = {},
  ) {
    if (!isFollowable(ep.proto)) throw new Error(`protocol ${ep.proto} has no stream to follow (TCP and UDP only)`);
    this.protocol = ep.proto === TCP ? 'tcp' : 'udp';
    this.tcp = this.protocol === 'tcp' ? new TcpReassembler(sink, opts) : null;
    this.udp = this.protocol === 'udp' ? new UdpStreams(sink) : null;
    this.defrag = new Defragmenter(opts.defrag);
    this.addrLen = ep.ipVersion === 6 ? 16 : 4;
  }

  /** One captured packet of the flow, in capture order. `data` is read only during the call. */
  push(linkType: number, data: Uint8Array, tsSec: number, tsNsec: number): void {
    const packet = this.packets++;
    if (this.finished) return;
    const p = this.decoded;
    decodePacket(linkType, data, p);
    if (p.status !== DecodeStatus.Ip || p.proto !== this.ep.proto) {
      this.unusable++;
      return;
    }
    const ipEnd = ipDatagramEnd(p, data);
    if (p.fragment !== FragmentKind.None) {
      this.pushFragment(p, data, ipEnd, tsSec, tsNsec, packet);
      return;
    }
    if (!p.hasPorts) {
      this.unusable++;
      return;
    }
    const dir = this.direction(p.src, p.srcPort, p.dst, p.dstPort);
    if (dir < 0) {
      this.unusable++;
      return;
    }
    const payload = p.payloadOffset >= 0 ? data.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength) : EMPTY;
    let wire = payload.length;
    if (p.truncated && ipEnd.wire > 0) wire = Math.max(wire, ipEnd.wire - transportPayloadStart(p, data));
    if (this.tcp) this.pushTcp(dir as Direction, p.tcpSeq, p.tcpAck, p.tcpFlags, payload, wire, tsSec, tsNsec, packet);
    else this.udp?.push(dir as Direction, payload, wire, tsSec, tsNsec, packet);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.tcp?.finish();
    this.udp?.finish();
  }

  get stats(): FollowerStats {
    const tcp = this.tcp;
    return {
      packets: this.packets,
      unusable: this.unusable,
      datagramsReassembled: this.reassembled,
      datagramsIncomplete: this.defrag.incomplete,
      datagramsDropped: this.defrag.dropped,
      tcp: tcp ? [tcp.stats(0), tcp.stats(1)] : null,
    };
  }

  private pushTcp(dir: Direction, seq: number, ack: number, flags: number, payload: Uint8Array, wire: number, tsSec: number, tsNsec: number, packet: number): void {
    const s = this.seg;
    s.dir = dir;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = payload;
    s.wireLength = wire;
    s.tsSec = tsSec;
    s.tsNsec = tsNsec;
    s.packet = packet;
    this.tcp?.push(s);
    s.payload = EMPTY;
  }

  private pushFragment(p: DecodedPacket, data: Uint8Array, ipEnd: IpEnd, tsSec: number, tsNsec: number, packet: number): void {
    // the fragment's slice of the datagram: from the transport header (first) or after the IP headers
    const start = p.fragment === FragmentKind.First ? p.l4Offset : p.payloadOffset;
    if (start < 0) {
      this.unusable++;
      return;
    }
    const bytes = data.subarray(start, Math.max(start, ipEnd.captured));
    // key by the sending address: ports are only in the first fragment
    const keyDir: Direction = sameAddr(p.src, this.ep.client, this.addrLen) ? 0 : 1;
    const whole = this.defrag.add(keyDir, p.fragId, p.fragOffset, p.moreFragments, bytes);
    if (!whole) return;
    this.reassembled++;
    if (this.tcp) {
      if (whole.length < 20) return void this.unusable++;
      const hlen = (whole[12] >> 4) * 4;
      if (hlen < 20 || hlen > whole.length) return void this.unusable++;
      const dir = this.direction(p.src, u16(whole, 0), p.dst, u16(whole, 2));
      if (dir < 0) return void this.unusable++;
      const flags = whole[13] | ((whole[12] & 1) << 8);
      this.pushTcp(dir as Direction, u32(whole, 4), u32(whole, 8), flags, whole.subarray(hlen), whole.length - hlen, tsSec, tsNsec, packet);
    } else {
      if (whole.length < 8) return void this.unusable++;
      const dir = this.direction(p.src, u16(whole, 0), p.dst, u16(whole, 2));
      if (dir < 0) return void this.unusable++;
      const udpLen = u16(whole, 4);
      const end = udpLen >= 8 && udpLen < whole.length ? udpLen : whole.length;
      this.udp?.push(dir as Direction, whole.subarray(8, end), end - 8, tsSec, tsNsec, packet);
    }
  }

  /** 0 client → server, 1 server → client, −1 neither. Ports break ties between equal addresses. */
  private direction(src: Uint8Array, sport: number, dst: Uint8Array, dport: number): number {
    const ep = this.ep;
    const n = this.addrLen;
    if (sport === ep.clientPort && dport === ep.serverPort && sameAddr(src, ep.client, n) && sameAddr(dst, ep.server, n)) return 0;
    if (sport === ep.serverPort && dport === ep.clientPort && sameAddr(src, ep.server, n) && sameAddr(dst, ep.client, n)) return 1;
    return -1;
  }
}

const EMPTY = new Uint8Array(0);

interface IpEnd {
  /** End of the IP datagram as declared by its header (0 when unknown: TSO, jumbogram). */
  wire: number;
  /** End of the datagram's bytes present in the capture. */
  captured: number;
}

/** Where the IP datagram ends, from its header (the decoder clamps to it; we need the wire length). */
function ipDatagramEnd(p: DecodedPacket, data: Uint8Array): IpEnd {
  const l3 = p.l3Offset;
  let wire = 0;
  if (l3 >= 0 && p.ipVersion === 4 && l3 + 4 <= data.length) {
    const total = u16(data, l3 + 2);
    if (total > 0) wire = l3 + total;
  } else if (l3 >= 0 && p.ipVersion === 6 && l3 + 6 <= data.length) {
    const plen = u16(data, l3 + 4);
    if (plen > 0) wire = l3 + 40 + plen;
  }
  return { wire, captured: wire > 0 ? Math.min(wire, data.length) : data.length };
}

/** Offset of the transport payload, also when the decoder stopped because options were cut. */
function transportPayloadStart(p: DecodedPacket, data: Uint8Array): number {
  if (p.payloadOffset >= 0) return p.payloadOffset;
  if (p.proto === TCP && p.l4Offset >= 0 && p.l4Offset + 12 < data.length) return p.l4Offset + (data[p.l4Offset + 12] >> 4) * 4;
  if (p.proto === UDP && p.l4Offset >= 0) return p.l4Offset + 8;
  return data.length;
}

function sameAddr(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function u16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

function u32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}
