/**
 * Per-packet decoder: link layer → first IP header → transport header, written into a reused
 * DecodedPacket. Hot path: no allocation, no exceptions, no per-packet view of the bytes; every
 * field describes the current packet after each call (see resetForDecode for what is reset).
 */
import type { DecodedPacket } from './decoded-packet.js';
import { decodeLinkLayer } from './decode-link.js';
import { decodeIpv4, decodeIpv6 } from './decode-ip.js';
import { clearStaleAddressBytes, resetDecodedPacket, resetForDecode } from './decode-result.js';

export { resetDecodedPacket };

/**
 * Decodes one captured packet of the given LINKTYPE_* into `out`. `data` is the captured bytes
 * only (its length is the capture length). Never throws on any input.
 *
 * Address buffers: bytes not holding the current address are always zero (IPv4 uses 0..3, non-IP
 * results leave all 16 zero), so consumers may hash all 16 bytes. To keep that cheap only the
 * bytes the previous decode into `out` wrote are cleared; that relies on `out` being written
 * only by this function and resetDecodedPacket (or created by createDecodedPacket).
 */
export function decodePacket(linkType: number, data: Uint8Array, out: DecodedPacket): void {
  decodePacketAt(linkType, data, 0, data.length, out);
}

/**
 * decodePacket for the captured bytes buf[start, end), read in place: the import path hands in
 * the parser's chunk and the record's offset, so no per-packet Uint8Array view is created.
 * Offsets written to `out` (l3Offset, l4Offset, payloadOffset) are relative to `start`, exactly
 * as decodePacket(linkType, buf.subarray(start, end), out) reports them. Bytes outside
 * [start, end) are never read (bytes after `end` may be the next record of the chunk); a range
 * reaching outside `buf` is clamped to it. Never throws on any input.
 */
export function decodePacketAt(linkType: number, buf: Uint8Array, start: number, end: number, out: DecodedPacket): void {
  // Clamp: an out-of-range index would read undefined (and deoptimize), never a wrong byte.
  if (end > buf.length) end = buf.length;
  if (start < 0) start = 0;
  if (start > end) start = end;
  const previousVersion = out.ipVersion;
  resetForDecode(out);
  const l3 = decodeLinkLayer(linkType, buf, start, end, out);
  if (l3 >= 0) {
    if (out.ipVersion === 4) decodeIpv4(buf, start, l3, end, out);
    else decodeIpv6(buf, start, l3, end, out);
  }
  clearStaleAddressBytes(out, previousVersion);
}
