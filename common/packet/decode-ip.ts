/**
 * IPv4 and IPv6 header decoding: addresses, protocol, fragmentation, IPv6 extension headers,
 * then the transport header. Only the first (outer) IP header is decoded.
 *
 * Indices into `d` are absolute (the packet is d[s, e), the header at `off`); offsets stored in
 * `out` are relative to the packet start `s`, so callers see the same values whether the packet
 * is its own array or a record inside a larger chunk.
 */
import { DecodeStatus, FragmentKind } from './decoded-packet.js';
import type { DecodedPacket } from './decoded-packet.js';
import { u16be, u32be } from './bytes.js';
import { markMalformed } from './decode-result.js';
import { decodeTransport } from './decode-transport.js';

// Module-level aliases: V8 folds them into immediates (DecodeStatus.X is an object load).
const STATUS_IP = DecodeStatus.Ip;
const FRAGMENT_FIRST = FragmentKind.First;
const FRAGMENT_LATER = FragmentKind.Later;

export function decodeIpv4(d: Uint8Array, s: number, off: number, len: number, out: DecodedPacket): void {
  out.l3Offset = off - s;
  if (off + 20 > len) {
    markMalformed(out, 'IPv4 header truncated');
    return;
  }
  const vihl = d[off];
  if (vihl >> 4 !== 4) {
    markMalformed(out, 'IPv4 version field is not 4');
    return;
  }
  const ihl = (vihl & 15) << 2;
  if (ihl < 20) {
    markMalformed(out, 'IPv4 header length below 20 bytes');
    return;
  }
  const totalLen = u16be(d, off + 2);
  let end: number;
  let capLimited: boolean;
  if (totalLen === 0) {
    // Segmentation offload captures leave the length 0 for the NIC to fill in: use the capture.
    end = len;
    capLimited = true;
  } else {
    if (totalLen < ihl) {
      markMalformed(out, 'IPv4 total length smaller than its header');
      return;
    }
    // The total length, not the frame, bounds the datagram (excludes Ethernet padding/FCS).
    end = off + totalLen;
    capLimited = end > len;
    if (capLimited) {
      out.truncated = true;
      end = len;
    }
  }

  out.status = STATUS_IP;
  out.ipVersion = 4;
  out.proto = d[off + 9];
  const src = out.src;
  const dst = out.dst;
  // Unrolled: the loop version costs more in loop and bounds-check overhead than the 8 copies.
  src[0] = d[off + 12];
  src[1] = d[off + 13];
  src[2] = d[off + 14];
  src[3] = d[off + 15];
  dst[0] = d[off + 16];
  dst[1] = d[off + 17];
  dst[2] = d[off + 18];
  dst[3] = d[off + 19];

  const flagsFrag = u16be(d, off + 6);
  const fragOffset = (flagsFrag & 0x1fff) << 3;
  const more = (flagsFrag & 0x2000) !== 0;
  if (more || fragOffset !== 0) {
    out.fragment = fragOffset !== 0 ? FRAGMENT_LATER : FRAGMENT_FIRST;
    out.fragId = u16be(d, off + 4);
    out.fragOffset = fragOffset;
    out.moreFragments = more;
  }

  const p = off + ihl;
  if (p > end) return; // options cut by the snaplen (truncated already set)
  if (fragOffset !== 0) {
    // No transport header here: the payload is this fragment's slice of the datagram.
    out.payloadOffset = p - s;
    out.payloadLength = end - p;
    return;
  }
  decodeTransport(d, s, p, end, capLimited, out);
}

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
const EXT_DEST_OPTS = 60;
const EXT_MOBILITY = 135;

export function decodeIpv6(d: Uint8Array, s: number, off: number, len: number, out: DecodedPacket): void {
  out.l3Offset = off - s;
  if (off + 40 > len) {
    markMalformed(out, 'IPv6 header truncated');
    return;
  }
  if (d[off] >> 4 !== 6) {
    markMalformed(out, 'IPv6 version field is not 6');
    return;
  }
  out.status = STATUS_IP;
  out.ipVersion = 6;
  const src = out.src;
  const dst = out.dst;
  for (let i = 0; i < 16; i++) {
    src[i] = d[off + 8 + i];
    dst[i] = d[off + 24 + i];
  }

  const payloadLen = u16be(d, off + 4);
  let end = off + 40 + payloadLen;
  let capLimited: boolean;
  if (payloadLen === 0) {
    // Jumbogram (length in a hop-by-hop option) or offload capture: only the capture bounds it.
    end = len;
    capLimited = true;
  } else {
    capLimited = end > len;
    if (capLimited) {
      out.truncated = true;
      end = len;
    }
  }

  let nh = d[off + 6];
  let p = off + 40;
  // Every extension header is at least 8 bytes, so the loop always advances.
  for (;;) {
    let headerLen: number;
    if (nh === EXT_HOP_BY_HOP || nh === EXT_ROUTING || nh === EXT_DEST_OPTS || nh === EXT_MOBILITY) {
      headerLen = p + 2 <= end ? (d[p + 1] + 1) << 3 : 8;
    } else if (nh === EXT_AH) {
      headerLen = p + 2 <= end ? (d[p + 1] + 2) << 2 : 8;
    } else if (nh === EXT_FRAGMENT) {
      headerLen = 8;
    } else {
      break;
    }
    if (p + headerLen > end) {
      // Extension header cut off: the protocol is the header we could not get past.
      out.proto = nh;
      if (capLimited) out.truncated = true;
      return;
    }
    if (nh === EXT_FRAGMENT) {
      const offsetFlags = u16be(d, p + 2);
      const fragOffset = offsetFlags & 0xfff8;
      const more = (offsetFlags & 1) !== 0;
      // Offset 0 without M is an "atomic fragment" (RFC 6946): a whole packet, not a fragment.
      if (more || fragOffset !== 0) {
        out.fragment = fragOffset !== 0 ? FRAGMENT_LATER : FRAGMENT_FIRST;
        out.fragId = u32be(d, p + 4);
        out.fragOffset = fragOffset;
        out.moreFragments = more;
      }
      nh = d[p];
      p += 8;
      if (fragOffset !== 0) {
        out.proto = nh;
        out.payloadOffset = p - s;
        out.payloadLength = end - p;
        return;
      }
      continue;
    }
    nh = d[p];
    p += headerLen;
  }
  // ESP (50) and No Next Header (59) end the chain like any upper-layer protocol.
  out.proto = nh;
  decodeTransport(d, s, p, end, capLimited, out);
}
