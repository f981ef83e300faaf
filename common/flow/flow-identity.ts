/** Identity strings derived from a flow's key: its Community ID and readable addresses. */
import { communityId } from '../packet/community-id.js';

const ICMP4_RESPONSES = new Set([0, 14, 16, 18]);
const ICMP6_RESPONSES = new Set([129, 131, 136]);

/**
 * Community ID v1 of a flow. For ICMP the spec hashes type/code in the direction of the packet, so
 * we hash the flow's first packet: from the client unless it was a response.
 */
export function flowCommunityId(
  ipVersion: number,
  proto: number,
  client: Uint8Array,
  server: Uint8Array,
  hasPorts: boolean,
  clientPort: number,
  serverPort: number,
  icmpType: number,
  icmpCode: number,
  seed = 0,
): string | null {
  if (ipVersion !== 4 && ipVersion !== 6) return null;
  const v = ipVersion as 4 | 6;
  const c = client.subarray(0, v === 4 ? 4 : 16);
  const s = server.subarray(0, v === 4 ? 4 : 16);
  if ((proto === 1 || proto === 58) && icmpType >= 0) {
    const response = proto === 1 ? ICMP4_RESPONSES.has(icmpType) : ICMP6_RESPONSES.has(icmpType);
    return response
      ? communityId(v, proto, s, c, icmpType, icmpCode, { seed })
      : communityId(v, proto, c, s, icmpType, icmpCode, { seed });
  }
  if (hasPorts) return communityId(v, proto, c, s, clientPort, serverPort, { seed });
  return communityId(v, proto, c, s, -1, -1, { seed });
}
