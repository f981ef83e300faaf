/**
 * Link-layer decoding: finds where the IP header starts for each supported link type.
 *
 * Each function decodes the packet held in d[s, e) (s: packet start, e: end of the captured
 * bytes; nothing at or after e is read) and returns the ABSOLUTE index in `d` of the IP header,
 * having set `out.ipVersion` to the IP version the link layer announces (the IP decoder verifies
 * it) and `out.etherType`/VLAN ids; or returns -1 after recording NonIp / Malformed /
 * UnsupportedLink in `out`. Working in absolute indices lets the decoder read a record in place
 * inside the parser's chunk, without a per-packet subarray.
 */
import type { DecodedPacket } from './decoded-packet.js';
import { u16be, u16le, u32be } from './bytes.js';
import { EtherType, nonIpEtherTypeReason } from './ether-types.js';
import { LinkType, unsupportedLinkReason } from './link-types.js';
import { markMalformed, markNonIp, markUnsupportedLink } from './decode-result.js';

// Module-level aliases for the per-packet path: V8 folds them into immediates (EtherType.X and
// LinkType.X are loads of an imported object each time).
const ETHERNET = LinkType.ETHERNET;
const ET_IPV4 = EtherType.IPV4;
const ET_IPV6 = EtherType.IPV6;
const ET_VLAN = EtherType.VLAN;
const ET_QINQ = EtherType.QINQ;
const ET_QINQ_OLD = EtherType.QINQ_OLD;

export function decodeLinkLayer(linkType: number, d: Uint8Array, s: number, e: number, out: DecodedPacket): number {
  // Ethernet first and alone: this function is small enough for V8 to inline into the caller,
  // the other link types cost one more call.
  if (linkType === ETHERNET) {
    if (e - s < 14) return markMalformed(out, 'Ethernet header truncated');
    return decodeEtherType(d, e, u16be(d, s + 12), s + 14, out);
  }
  return decodeOtherLinkLayer(linkType, d, s, e, out);
}

function decodeOtherLinkLayer(linkType: number, d: Uint8Array, s: number, e: number, out: DecodedPacket): number {
  switch (linkType) {
    case LinkType.LINUX_SLL:
      return decodeSll(d, s, e, out);
    case LinkType.LINUX_SLL2:
      return decodeSll2(d, s, e, out);
    case LinkType.RAW:
    case LinkType.DLT_RAW_12:
    case LinkType.DLT_RAW_14:
      return decodeRawIp(d, s, e, out);
    case LinkType.IPV4:
      out.ipVersion = 4;
      return s;
    case LinkType.IPV6:
      out.ipVersion = 6;
      return s;
    case LinkType.NULL:
      return decodeBsdLoopback(d, s, e, out, true);
    case LinkType.LOOP:
      return decodeBsdLoopback(d, s, e, out, false);
    case LinkType.NFLOG:
      return decodeNflog(d, s, e, out);
    default:
      return markUnsupportedLink(out, unsupportedLinkReason(linkType));
  }
}

/**
 * Follows an EtherType through VLAN tags, LLC/SNAP, MPLS and PPPoE to IP. `off` is the offset of
 * the bytes the EtherType `type` describes; `len` is the end of the captured bytes. Every step
 * consumes bytes, so the loop terminates.
 */
function decodeEtherType(d: Uint8Array, len: number, type: number, off: number, out: DecodedPacket): number {
  for (;;) {
    switch (type) {
      case ET_IPV4:
        out.etherType = type;
        out.ipVersion = 4;
        return off;
      case ET_IPV6:
        out.etherType = type;
        out.ipVersion = 6;
        return off;
      case ET_VLAN:
      case ET_QINQ:
      case ET_QINQ_OLD: {
        if (off + 4 > len) return markMalformed(out, 'VLAN tag truncated');
        const vid = u16be(d, off) & 0x0fff;
        // Record the outer two tags; deeper tags (rare) are skipped without being recorded.
        if (out.vlan < 0) out.vlan = vid;
        else if (out.vlanInner < 0) out.vlanInner = vid;
        type = u16be(d, off + 2);
        off += 4;
        continue;
      }
      case EtherType.MPLS_UNICAST:
      case EtherType.MPLS_MULTICAST:
        return decodeMpls(d, len, type, off, out);
      case EtherType.PPPOE_SESSION:
        return decodePppoeSession(d, len, off, out);
      default:
        if (type <= 1500) {
          // 802.3 length field: an LLC header follows. SNAP with OUI 00-00-00 (RFC 1042) or
          // 00-00-f8 (Cisco) carries an EtherType; anything else (STP, NetBIOS…) is not IP.
          if (
            off + 8 <= len && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03 &&
            d[off + 3] === 0 && d[off + 4] === 0 && (d[off + 5] === 0 || d[off + 5] === 0xf8)
          ) {
            type = u16be(d, off + 6);
            off += 8;
            continue;
          }
          return markNonIp(out, 0, 'IEEE 802.3 frame with an LLC header (no EtherType)');
        }
        return markNonIp(out, type, nonIpEtherTypeReason(type));
    }
  }
}

/** Skips the label stack to the bottom-of-stack label; MPLS has no payload type, so IP is guessed from the first nibble (as tshark and Zeek do). */
function decodeMpls(d: Uint8Array, len: number, type: number, off: number, out: DecodedPacket): number {
  for (;;) {
    if (off + 4 > len) return markMalformed(out, 'MPLS label stack truncated');
    const bottom = d[off + 2] & 1;
    off += 4;
    if (bottom) break;
  }
  if (off >= len) return markMalformed(out, 'MPLS payload missing');
  const version = d[off] >> 4;
  if (version === 4) {
    out.etherType = EtherType.IPV4;
    out.ipVersion = 4;
    return off;
  }
  if (version === 6) {
    out.etherType = EtherType.IPV6;
    out.ipVersion = 6;
    return off;
  }
  return markNonIp(out, type, 'MPLS payload is not IP (pseudowire control word or Ethernet)');
}

/** PPPoE session header (6 bytes) + PPP protocol (2 bytes). */
function decodePppoeSession(d: Uint8Array, len: number, off: number, out: DecodedPacket): number {
  if (off + 8 > len) return markMalformed(out, 'PPPoE header truncated');
  const ppp = u16be(d, off + 6);
  if (ppp === 0x0021) {
    out.etherType = EtherType.IPV4;
    out.ipVersion = 4;
    return off + 8;
  }
  if (ppp === 0x0057) {
    out.etherType = EtherType.IPV6;
    out.ipVersion = 6;
    return off + 8;
  }
  return markNonIp(out, EtherType.PPPOE_SESSION, 'PPPoE session frame carries a non-IP PPP protocol');
}

const ARPHRD_NETLINK = 824;
const SLL_PROTO_LLC = 0x0004;

/** Linux cooked v1: 16 bytes, ARPHRD type at 2, protocol (an EtherType for most devices) at 14. */
function decodeSll(d: Uint8Array, s: number, e: number, out: DecodedPacket): number {
  if (e - s < 16) return markMalformed(out, 'Linux cooked (SLL) header truncated');
  return decodeSllProtocol(d, e, u16be(d, s + 2), u16be(d, s + 14), s + 16, out);
}

/** Linux cooked v2: 20 bytes, protocol at 0, ARPHRD type at 8. */
function decodeSll2(d: Uint8Array, s: number, e: number, out: DecodedPacket): number {
  if (e - s < 20) return markMalformed(out, 'Linux cooked (SLL2) header truncated');
  return decodeSllProtocol(d, e, u16be(d, s + 8), u16be(d, s), s + 20, out);
}

function decodeSllProtocol(d: Uint8Array, e: number, hatype: number, proto: number, off: number, out: DecodedPacket): number {
  // On netlink captures the protocol field is the netlink family, not an EtherType.
  if (hatype === ARPHRD_NETLINK) return markNonIp(out, 0, 'Linux cooked capture of netlink messages');
  if (proto < 0x0600) {
    // Small values are Linux ETH_P_* pseudo-protocols; only 802.2 LLC can lead to IP (via SNAP).
    if (proto === SLL_PROTO_LLC) return decodeEtherType(d, e, 0, off, out);
    return markNonIp(out, 0, 'Linux cooked capture of a non-EtherType protocol');
  }
  return decodeEtherType(d, e, proto, off, out);
}

/** Raw IP: the version nibble decides between IPv4 and IPv6. */
function decodeRawIp(d: Uint8Array, off: number, e: number, out: DecodedPacket): number {
  if (off >= e) return markMalformed(out, 'raw IP packet is empty');
  const version = d[off] >> 4;
  if (version === 4 || version === 6) {
    out.ipVersion = version;
    return off;
  }
  return markMalformed(out, 'raw IP packet has an IP version other than 4 or 6');
}

/**
 * NULL (4-byte address family in the capturing host's byte order) and LOOP (network order).
 * For NULL the order is detected: address families are small, so a value with bits in the upper
 * half is byte-swapped. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD)
 * or 30 (macOS).
 */
function decodeBsdLoopback(d: Uint8Array, s: number, e: number, out: DecodedPacket, hostOrder: boolean): number {
  if (e - s < 4) return markMalformed(out, 'BSD loopback header truncated');
  let af = u32be(d, s);
  if (hostOrder && af > 0xffff) af = d[s] | (d[s + 1] << 8) | (d[s + 2] << 16) | (d[s + 3] << 24);
  if (af === 2) {
    out.ipVersion = 4;
    return s + 4;
  }
  if (af === 24 || af === 28 || af === 30) {
    out.ipVersion = 6;
    return s + 4;
  }
  return markNonIp(out, 0, 'BSD loopback address family is not IPv4 or IPv6');
}

const NFULA_PAYLOAD = 9;
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * NFLOG (tcpdump.org LINKTYPE_NFLOG): 4-byte header (family, version, resource id in network
 * order), then TLVs whose 16-bit length and type are in the capturing host's byte order; the
 * length includes the 4-byte TLV header and TLVs are padded to 4 bytes. The byte order is
 * detected from the first TLV's type: real types are below 256, byte-swapped ones are not.
 */
function decodeNflog(d: Uint8Array, s: number, len: number, out: DecodedPacket): number {
  if (len - s < 4) return markMalformed(out, 'NFLOG header truncated');
  const family = d[s];
  const littleEndian = len - s < 8 || (u16le(d, s + 6) & 0x7fff) < 0x100;
  let p = s + 4;
  while (p + 4 <= len) {
    const tlvLen = littleEndian ? u16le(d, p) : u16be(d, p);
    const tlvType = (littleEndian ? u16le(d, p + 2) : u16be(d, p + 2)) & 0x7fff;
    if (tlvLen < 4) return markMalformed(out, 'NFLOG TLV length below 4');
    if (tlvType === NFULA_PAYLOAD) {
      if (family === AF_INET) out.ipVersion = 4;
      else if (family === AF_INET6) out.ipVersion = 6;
      else return markNonIp(out, 0, 'NFLOG address family is not IPv4 or IPv6');
      return p + 4;
    }
    p += (tlvLen + 3) & ~3;
  }
  if (p < len) return markMalformed(out, 'NFLOG TLV truncated');
  return markNonIp(out, 0, 'NFLOG record without a packet payload');
}
