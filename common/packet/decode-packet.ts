/**
 * Per-packet decoder: link layer → first IP header → transport header, written into a reused
 * DecodedPacket. Hot path: no allocation, no exceptions, every field reset on each call.
 */
import type { DecodedPacket } from './decoded-packet.js';
import { decodeLinkLayer } from './decode-link.js';
import { decodeIpv4, decodeIpv6 } from './decode-ip.js';
import { resetDecodedPacket } from './decode-result.js';

export { resetDecodedPacket };

/**
 * Decodes one captured packet of the given LINKTYPE_* into `out`. `data` is the captured bytes
 * only (its length is the capture length). Never throws on any input.
 */
export function decodePacket(linkType: number, data: Uint8Array, out: DecodedPacket): void {
  resetDecodedPacket(out);
  const l3 = decodeLinkLayer(linkType, data, out);
  if (l3 < 0) return;
  if (out.ipVersion === 4) decodeIpv4(data, l3, out);
  else decodeIpv6(data, l3, out);
}
