/**
 * The import's fast path for the common packet: Ethernet (up to two VLAN tags) → IPv4, not a
 * fragment → TCP or UDP with its ports readable. It reads only what the flow table needs, into a
 * small reused object written once per accepted packet, and accepts only packets for which
 * decodePacketAt would report exactly the same values for those fields; anything else (other
 * link types, IPv6, fragments, ICMP, truncated or malformed headers, MPLS, LLC/SNAP) returns
 * false and takes the general decoder. tests/unit/flow/ipv4-fast-path.test.ts holds the two to
 * the same result on generated and mutated packets and on the corpus.
 */

export interface FastIpv4 {
  /** Outer and inner VLAN ids, -1 when absent (as DecodedPacket.vlan/vlanInner). */
  vlan: number;
  vlanInner: number;
  /** Source and destination address as big-endian uint32. */
  src: number;
  dst: number;
  /** 6 (TCP) or 17 (UDP). */
  proto: number;
  srcPort: number;
  dstPort: number;
  /** TCP flags with NS as 0x100 (0 for UDP), as DecodedPacket.tcpFlags. */
  tcpFlags: number;
}

export function createFastIpv4(): FastIpv4 {
  return { vlan: -1, vlanInner: -1, src: 0, dst: 0, proto: 0, srcPort: 0, dstPort: 0, tcpFlags: 0 };
}

/**
 * Decodes the Ethernet frame buf[s, e) if it is a plain IPv4 TCP/UDP packet; returns false,
 * leaving `out` unspecified, for everything else. Never reads outside [s, e) (e clamped to buf).
 */
export function decodeFastIpv4(buf: Uint8Array, s: number, e: number, out: FastIpv4): boolean {
  if (e > buf.length) e = buf.length;
  if (s < 0 || e - s < 34) return false; // Ethernet + minimal IPv4 header
  let off = s + 12;
  let type = (buf[off] << 8) | buf[off + 1];
  off += 2;
  let vlan = -1;
  let vlanInner = -1;
  // 802.1Q, 802.1ad and the old QinQ type, as decodeEtherType: the outer two ids are recorded,
  // deeper tags skipped (three or more tags are rare: the general path takes them)
  for (let tags = 0; type === 0x8100 || type === 0x88a8 || type === 0x9100; tags++) {
    if (tags === 2 || off + 4 > e) return false;
    const vid = ((buf[off] << 8) | buf[off + 1]) & 0x0fff;
    if (tags === 0) vlan = vid;
    else vlanInner = vid;
    type = (buf[off + 2] << 8) | buf[off + 3];
    off += 4;
  }
  if (type !== 0x0800 || off + 20 > e) return false;
  const vihl = buf[off];
  if (vihl >> 4 !== 4) return false;
  const ihl = (vihl & 15) << 2;
  if (ihl < 20) return false;
  // not a fragment: MF clear and offset 0 (the DF bit may be set)
  if ((buf[off + 6] & 0x3f) !== 0 || buf[off + 7] !== 0) return false;
  const totalLen = (buf[off + 2] << 8) | buf[off + 3];
  let end: number;
  if (totalLen === 0) end = e; // segmentation offload: the capture bounds the datagram
  else {
    if (totalLen < ihl) return false;
    end = off + totalLen;
    if (end > e) end = e;
  }
  const p = off + ihl;
  const proto = buf[off + 9];
  const avail = end - p;
  if (proto === 6) {
    if (avail < 20) return false;
    out.tcpFlags = buf[p + 13] | ((buf[p + 12] & 1) << 8);
  } else if (proto === 17) {
    if (avail < 8) return false;
    out.tcpFlags = 0;
  } else return false;
  out.vlan = vlan;
  out.vlanInner = vlanInner;
  out.src = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0;
  out.dst = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0;
  out.proto = proto;
  out.srcPort = (buf[p] << 8) | buf[p + 1];
  out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
  return true;
}
