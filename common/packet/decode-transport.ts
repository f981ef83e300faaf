/**
 * Transport-layer decoding (TCP, UDP, SCTP, ICMP, ICMPv6) once the IP layer has found the
 * upper-layer protocol. Tunnels (GRE, IP-in-IP, VXLAN inside UDP) are deliberately not followed:
 * the flow is the outer one.
 */
import type { DecodedPacket } from './decoded-packet.js';
import { u16be, u32be } from './bytes.js';

export const IpProto = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
  SCTP: 132,
} as const;

// Module-level aliases: V8 folds these into immediates, whereas each IpProto.X in the hot switch
// is a load of the imported object plus a map check.
const TCP = IpProto.TCP;
const UDP = IpProto.UDP;
const SCTP = IpProto.SCTP;
const ICMP = IpProto.ICMP;
const ICMPV6 = IpProto.ICMPV6;

/**
 * Reads the transport header of protocol `out.proto` at `p`; `end` is where the IP datagram's
 * captured bytes end. Both are absolute indices into `d`; `s` is the packet start, which offsets
 * stored in `out` are relative to. `capLimited` says `end` is the end of the captured data
 * rather than the IP-declared end, so a header running past it was cut by the snaplen
 * (→ `truncated`), not by a short datagram.
 */
export function decodeTransport(d: Uint8Array, s: number, p: number, end: number, capLimited: boolean, out: DecodedPacket): void {
  if (p < end) out.l4Offset = p - s;
  const avail = end - p;
  switch (out.proto) {
    case TCP: {
      if (avail < 20) break;
      out.hasPorts = true;
      out.srcPort = u16be(d, p);
      out.dstPort = u16be(d, p + 2);
      out.tcpSeq = u32be(d, p + 4);
      out.tcpAck = u32be(d, p + 8);
      const offFlags = d[p + 12];
      out.tcpFlags = d[p + 13] | ((offFlags & 1) << 8); // NS is the low bit of the data-offset byte
      const headerLen = (offFlags >> 4) * 4;
      // A data offset below 5 words is bogus: ports stay valid, the payload is unknown.
      if (headerLen < 20) return;
      if (headerLen > avail) {
        if (capLimited) out.truncated = true;
        return;
      }
      setPayload(out, s, p + headerLen, end);
      return;
    }
    case UDP: {
      if (avail < 8) break;
      out.hasPorts = true;
      out.srcPort = u16be(d, p);
      out.dstPort = u16be(d, p + 2);
      // The UDP length can only shorten the payload (e.g. trailing garbage inside the datagram).
      const udpLen = u16be(d, p + 4);
      setPayload(out, s, p + 8, udpLen >= 8 && p + udpLen < end ? p + udpLen : end);
      return;
    }
    case SCTP: {
      if (avail < 12) break;
      out.hasPorts = true;
      out.srcPort = u16be(d, p);
      out.dstPort = u16be(d, p + 2);
      setPayload(out, s, p + 12, end);
      return;
    }
    case ICMP:
    case ICMPV6: {
      // Type, code and checksum; the payload starts after the 4-byte rest-of-header when present.
      if (avail < 4) break;
      out.icmpType = d[p];
      out.icmpCode = d[p + 1];
      if (avail >= 8) setPayload(out, s, p + 8, end);
      return;
    }
    default:
      // Unparsed protocols (GRE, ESP, OSPF…): everything after the IP headers counts as payload.
      if (avail >= 0) setPayload(out, s, p, end);
      return;
  }
  // Header of a known transport cut off: addresses stay valid, ports do not.
  if (capLimited) out.truncated = true;
}

/** Payload at d[start, end); its offset is stored relative to the packet start `s`. */
function setPayload(out: DecodedPacket, s: number, start: number, end: number): void {
  out.payloadOffset = start - s;
  out.payloadLength = end - start;
}
