/**
 * Community ID v1 flow hash (github.com/corelight/community-id-spec, reference implementation
 * corelight/pycommunityid). Computed once per flow, so clarity wins over allocation here.
 *
 * Hash input: seed (2 bytes BE) . saddr . daddr . proto (1 byte) . 0 (1 byte padding)
 * [. sport (2 bytes BE) . dport (2 bytes BE)], endpoints ordered so the smaller address (then
 * port) comes first unless the ICMP message is one-way; result "1:" + base64(SHA-1) or hex.
 */
import { base64Encode } from './base64.js';
import { bytesToHex } from './hex.js';
import { sha1Into } from './sha1.js';

export { ipToString, parseIp } from './ip-address.js';
export type { ParsedIp } from './ip-address.js';

export interface CommunityIdOptions {
  /** 0..65535, default 0. */
  seed?: number;
  /** Base64 digest (default true) or lowercase hex. */
  base64?: boolean;
}

const PROTO_ICMP = 1;
const PROTO_ICMPV6 = 58;

/** ICMP request/response type pairs (Zeek's mapping); types not listed are one-way. */
const ICMP_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [8, 0], [0, 8], // echo / echo reply
  [13, 14], [14, 13], // timestamp / reply
  [15, 16], [16, 15], // information request / reply
  [10, 9], [9, 10], // router solicitation / advertisement
  [17, 18], [18, 17], // address mask request / reply
]);

const ICMPV6_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [128, 129], [129, 128], // echo request / reply
  [130, 131], [131, 130], // MLD listener query / report
  [133, 134], [134, 133], // router solicitation / advertisement
  [135, 136], [136, 135], // neighbor solicitation / advertisement
  [139, 140], [140, 139], // node information (who-are-you) query / reply
  [144, 145], [145, 144], // home agent address discovery request / reply
]);

function checkPort(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${what} must be 0..65535, got ${value}`);
}

/** Negative when a sorts before b (bytewise, i.e. numerically in network order). */
function compareBytes(a: Uint8Array, b: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/**
 * Community ID v1 of a flow. For ICMP (proto 1) and ICMPv6 (58) pass the message type as
 * `srcPort` and the code as `dstPort`; the spec's type→port mapping is applied here. For
 * protocols without ports pass -1 for both, and no ports are hashed. `src`/`dst` may be longer
 * than the address (the decoder's 16-byte buffers): only the first 4 or 16 bytes are used.
 */
export function communityId(
  ipVersion: 4 | 6,
  proto: number,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  opts?: CommunityIdOptions,
): string {
  const input = new Uint8Array(MAX_INPUT);
  const n = communityIdInput(ipVersion, proto, src, dst, srcPort, dstPort, opts?.seed ?? 0, input);
  const digest = new Uint8Array(20);
  sha1Into(input, n, digest);
  return '1:' + (opts?.base64 === false ? bytesToHex(digest) : base64Encode(digest));
}

/** Longest hash input: seed, two IPv6 addresses, proto, padding, two ports. */
export const MAX_INPUT = 2 + 32 + 2 + 4;

/**
 * Writes the spec's hash input for these arguments (as communityId takes them) into `out`
 * (at least MAX_INPUT bytes) and returns its length; throws RangeError on invalid arguments.
 */
export function communityIdInput(
  ipVersion: 4 | 6,
  proto: number,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  seed: number,
  out: Uint8Array,
): number {
  checkPort(seed, 'seed');
  if (!Number.isInteger(proto) || proto < 0 || proto > 255) throw new RangeError(`protocol must be 0..255, got ${proto}`);
  const addrLen = ipVersion === 4 ? 4 : 16;
  if (src.length < addrLen || dst.length < addrLen) throw new RangeError(`IPv${ipVersion} address needs ${addrLen} bytes`);
  const hasPorts = srcPort >= 0 && dstPort >= 0;
  if (hasPorts) {
    checkPort(srcPort, 'source port');
    checkPort(dstPort, 'destination port');
  } else if (srcPort >= 0 || dstPort >= 0) {
    throw new RangeError('pass either both ports or neither (-1)');
  }

  let sport = srcPort;
  let dport = dstPort;
  let oneWay = false;
  if (hasPorts && (proto === PROTO_ICMP || proto === PROTO_ICMPV6)) {
    const counterpart = (proto === PROTO_ICMP ? ICMP_COUNTERPART : ICMPV6_COUNTERPART).get(srcPort);
    if (counterpart === undefined) oneWay = true; // (type, code) as is, never reordered
    else dport = counterpart;
  }

  let a = src;
  let b = dst;
  const cmp = compareBytes(src, dst, addrLen);
  const ordered = oneWay || cmp < 0 || (cmp === 0 && hasPorts && sport < dport);
  if (!ordered) {
    a = dst;
    b = src;
    const t = sport;
    sport = dport;
    dport = t;
  }

  const input = out;
  let o = 0;
  input[o++] = seed >> 8;
  input[o++] = seed & 0xff;
  for (let i = 0; i < addrLen; i++) input[o++] = a[i];
  for (let i = 0; i < addrLen; i++) input[o++] = b[i];
  input[o++] = proto;
  input[o++] = 0;
  if (hasPorts) {
    input[o++] = sport >> 8;
    input[o++] = sport & 0xff;
    input[o++] = dport >> 8;
    input[o++] = dport & 0xff;
  }
  return o;
}
