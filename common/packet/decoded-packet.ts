/**
 * Contract between the packet decoder and the flow table. The decoder fills one reused
 * DecodedPacket per call (no per-packet allocation). Environment-free.
 */

export const DecodeStatus = {
  /** An IP packet (possibly a fragment) whose addresses and, where present, L4 header were read. */
  Ip: 0,
  /** Decoded link layer carrying something other than IP (ARP, LLDP, …): etherType says what. */
  NonIp: 1,
  /** A link type this decoder does not understand: the packet is kept but not decoded. */
  UnsupportedLink: 2,
  /** The packet is too short or inconsistent to decode its IP header: reason says why. */
  Malformed: 3,
} as const;
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

export const FragmentKind = {
  None: 0,
  /** Fragment offset 0 with more-fragments set: carries the L4 header when present. */
  First: 1,
  /** Any fragment with offset > 0 (the L4 header is not in this packet). */
  Later: 2,
} as const;
export type FragmentKind = (typeof FragmentKind)[keyof typeof FragmentKind];

export interface DecodedPacket {
  status: DecodeStatus;
  /** Human-readable, constant string for NonIp/UnsupportedLink/Malformed ('' when Ip). */
  reason: string;
  /** EtherType of the payload after VLAN/MPLS (0 when not Ethernet-like). */
  etherType: number;
  /** Outermost 802.1Q/802.1ad VLAN id, or -1 when untagged. */
  vlan: number;
  /** Inner VLAN id of QinQ, or -1. */
  vlanInner: number;
  /** 4 or 6 (0 when not IP). */
  ipVersion: number;
  /** Source/destination address: 4 bytes used for IPv4, 16 for IPv6. Reused buffers. */
  src: Uint8Array;
  dst: Uint8Array;
  /** Transport protocol number after IPv6 extension headers (IANA). */
  proto: number;
  /** True for TCP, UDP, SCTP when the L4 header was read (ports valid). */
  hasPorts: boolean;
  srcPort: number;
  dstPort: number;
  /** ICMP/ICMPv6 type and code, -1 when not ICMP or not read. */
  icmpType: number;
  icmpCode: number;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80) plus NS as 0x100; 0 otherwise. */
  tcpFlags: number;
  tcpSeq: number;
  tcpAck: number;
  fragment: FragmentKind;
  /** IPv4 identification or IPv6 fragment identification (when fragment != None). */
  fragId: number;
  /** Fragment offset in bytes and the more-fragments flag. */
  fragOffset: number;
  moreFragments: boolean;
  /** Offsets within the packet data: start of IP header, of L4 header, of L4 payload (-1 when absent). */
  l3Offset: number;
  l4Offset: number;
  payloadOffset: number;
  /** L4 payload length in captured bytes available (bounded by IP total length and capLen). */
  payloadLength: number;
  /** True when the captured bytes end before the IP datagram does (snaplen/truncation). */
  truncated: boolean;
}

export function createDecodedPacket(): DecodedPacket {
  return {
    status: DecodeStatus.Malformed,
    reason: '',
    etherType: 0,
    vlan: -1,
    vlanInner: -1,
    ipVersion: 0,
    src: new Uint8Array(16),
    dst: new Uint8Array(16),
    proto: 0,
    hasPorts: false,
    srcPort: 0,
    dstPort: 0,
    icmpType: -1,
    icmpCode: -1,
    tcpFlags: 0,
    tcpSeq: 0,
    tcpAck: 0,
    fragment: FragmentKind.None,
    fragId: 0,
    fragOffset: 0,
    moreFragments: false,
    l3Offset: -1,
    l4Offset: -1,
    payloadOffset: -1,
    payloadLength: 0,
    truncated: false,
  };
}
