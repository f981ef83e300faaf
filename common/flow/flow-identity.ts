/** Identity strings derived from a flow's key: its Community ID and readable addresses. */
import { base64Encode } from '../packet/base64.js';
import { MAX_INPUT, communityIdInput } from '../packet/community-id.js';
import { sha1Into } from '../packet/sha1.js';

const ICMP4_RESPONSES = new Set([0, 14, 16, 18]);
const ICMP6_RESPONSES = new Set([129, 131, 136]);

const input = new Uint8Array(MAX_INPUT);
const digest = new Uint8Array(20);

/**
 * Writes the flow's Community ID hash input into `input` and returns its length; -1 when the flow
 * has no Community ID (not IP). For ICMP the spec hashes type/code in the direction of the packet,
 * so we hash the flow's first packet: from the client unless it was a response.
 */
function flowHashInput(
  ipVersion: number,
  proto: number,
  client: Uint8Array,
  server: Uint8Array,
  hasPorts: boolean,
  clientPort: number,
  serverPort: number,
  icmpType: number,
  icmpCode: number,
  seed: number,
): number {
  if (ipVersion !== 4 && ipVersion !== 6) return -1;
  const v = ipVersion as 4 | 6;
  if ((proto === 1 || proto === 58) && icmpType >= 0) {
    const response = proto === 1 ? ICMP4_RESPONSES.has(icmpType) : ICMP6_RESPONSES.has(icmpType);
    return response
      ? communityIdInput(v, proto, server, client, icmpType, icmpCode, seed, input)
      : communityIdInput(v, proto, client, server, icmpType, icmpCode, seed, input);
  }
  if (hasPorts) return communityIdInput(v, proto, client, server, clientPort, serverPort, seed, input);
  return communityIdInput(v, proto, client, server, -1, -1, seed, input);
}

/** Community ID v1 of a flow ("1:" + base64 of the SHA-1), or null when it is not an IP flow. */
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
  const n = flowHashInput(ipVersion, proto, client, server, hasPorts, clientPort, serverPort, icmpType, icmpCode, seed);
  if (n < 0) return null;
  sha1Into(input, n, digest);
  return '1:' + base64Encode(digest);
}

const B64 = new Uint8Array(64);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[i] = c.charCodeAt(0)));

function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/**
 * fnv1a(flowCommunityId(...)) without building the string (the index stores it for every flow):
 * the FNV-1a of "1:" and the base64 characters of the digest, fed as they are produced. 0 when
 * the flow has no Community ID.
 */
export function flowCommunityIdFnv(
  ipVersion: number,
  proto: number,
  client: Uint8Array,
  server: Uint8Array,
  hasPorts: boolean,
  clientPort: number,
  serverPort: number,
  icmpType: number,
  icmpCode: number,
): number {
  const n = flowHashInput(ipVersion, proto, client, server, hasPorts, clientPort, serverPort, icmpType, icmpCode, 0);
  if (n < 0) return 0;
  sha1Into(input, n, digest);
  return digestFnv();
}

/** FNV-1a of "1:" + base64 of `digest`, fed as the characters are produced. */
function digestFnv(): number {
  let h = fnvStep(fnvStep(0x811c9dc5, 0x31), 0x3a); // "1:"
  // 20 bytes: six full groups of three, then two bytes → three characters and one '='
  let i = 0;
  for (; i < 18; i += 3) {
    const v = (digest[i] << 16) | (digest[i + 1] << 8) | digest[i + 2];
    h = fnvStep(h, B64[v >>> 18]);
    h = fnvStep(h, B64[(v >>> 12) & 63]);
    h = fnvStep(h, B64[(v >>> 6) & 63]);
    h = fnvStep(h, B64[v & 63]);
  }
  const v = (digest[18] << 16) | (digest[19] << 8);
  h = fnvStep(h, B64[v >>> 18]);
  h = fnvStep(h, B64[(v >>> 12) & 63]);
  h = fnvStep(h, B64[(v >>> 6) & 63]);
  h = fnvStep(h, 0x3d); // '='
  return h >>> 0;
}
